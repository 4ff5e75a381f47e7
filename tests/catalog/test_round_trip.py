"""Import → export → import of the shipped courses changes nothing (no new version)."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from lms.catalog.exporter import export_course
from lms.catalog.importer import parse_course
from lms.catalog.models import Course, CourseVersion
from lms.catalog.parts import ImportErrors
from tests.catalog.helpers import import_dir

COURSES = Path(__file__).resolve().parents[2] / "courses"


def test_every_shipped_course_round_trips_unchanged(session, tmp_path):
    changes = import_dir(session, COURSES) + import_dir(session, COURSES / "_example")
    slugs = sorted(c.slug for c in changes)
    assert "vi-du" in slugs
    assert len(slugs) >= 4
    assert all(c.action == "new" for c in changes)
    versions_before = session.scalar(select(func.count()).select_from(CourseVersion))

    out = tmp_path / "out"
    for course in session.scalars(select(Course)):
        export_course(session, course, out)
    # The exporter leaves quiz keys at their default value out: the files differ...
    assert (out / "vi-du" / "final_exam.yaml").read_text(encoding="utf-8") != (
        COURSES / "_example" / "vi-du" / "final_exam.yaml"
    ).read_text(encoding="utf-8")
    # ...but their content is the same, so nothing changes.
    again = import_dir(session, out)
    assert sorted(c.slug for c in again) == slugs
    assert {c.slug: (c.action, c.notes) for c in again} == {s: ("unchanged", []) for s in slugs}
    assert session.scalar(select(func.count()).select_from(CourseVersion)) == versions_before


def test_a_default_written_out_hashes_like_the_default_left_out(tmp_path):
    course = tmp_path / "vi-du"
    shutil.copytree(COURSES / "_example" / "vi-du", course)
    errors = ImportErrors()
    before = parse_course(course, errors).content_hash
    final = course / "final_exam.yaml"
    text = final.read_text(encoding="utf-8")
    assert "\nrequired: true\n" in text
    final.write_text(text.replace("\nrequired: true\n", "\n"), encoding="utf-8")
    assert parse_course(course, errors).content_hash == before
    final.write_text(text.replace("\nrequired: true\n", "\nrequired: false\n"), encoding="utf-8")
    assert parse_course(course, errors).content_hash != before
    assert not errors
