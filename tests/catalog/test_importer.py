from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.catalog import parts
from lms.catalog.importer import find_course_dirs, import_course, parse_course
from lms.catalog.models import Course, CourseAsset, CourseVersion, Lesson
from lms.catalog.parts import ImportErrors
from tests.catalog.helpers import FIXTURES, copy_fixture, import_dir, import_fixtures


def _problems(path: Path) -> list[str]:
    errors = ImportErrors()
    assert parse_course(path, errors) is None
    return [str(p) for p in errors.problems]


def test_fixture_courses_import_with_rendered_lessons(session):
    courses = import_fixtures(session)
    course = courses["co-ban-chu-ky-so"]
    assert course.status == "published"
    assert [m.key for m in course.modules] == ["01-khai-niem", "02-thuc-hanh"]
    first = course.modules[0].lessons[0]
    assert first.title == "Chữ ký số là gì?"
    html = first.body_html
    assert '<img src="../../assets/01-khai-niem/so-do-ky.svg?v=' in html
    assert 'href="../01-khai-niem/02-khoa-va-chung-thu#khoa"' in html
    assert '<div class="admonition note">' in html
    assert "<table>" in html
    second = course.modules[0].lessons[1]
    assert 'src="../../assets/media/logo.png?v=' in second.body_html
    assert course.modules[1].lessons[1].required is False
    assert "chu ky so" in course.search_text
    assert [link.required_course.slug for link in courses["van-ban-lien-thong"].prerequisite_links] == [
        "co-ban-chu-ky-so"
    ]
    versions = session.scalars(select(CourseVersion).where(CourseVersion.course_id == course.id)).all()
    assert [(v.number, v.changes) for v in versions] == [(1, "new course: 2 modules, 4 lessons, 2 images")]
    svg = session.scalars(select(CourseAsset).where(CourseAsset.path == "01-khai-niem/so-do-ky.svg")).one()
    assert svg.content_type == "image/svg+xml"


def test_import_is_idempotent(session):
    import_fixtures(session)
    changes = import_dir(session, FIXTURES)
    assert {c.action for c in changes} == {"unchanged"}
    assert session.scalar(select(func.count(CourseVersion.id))) == 2


def test_underscore_folders_are_skipped_unless_named(tmp_path):
    (tmp_path / "_example" / "vi-du").mkdir(parents=True)
    (tmp_path / "_example" / "vi-du" / "course.yaml").write_text("slug: vi-du\n")
    (tmp_path / "mot").mkdir()
    (tmp_path / "mot" / "course.yaml").write_text("slug: mot\n")
    assert [p.name for p in find_course_dirs([tmp_path])] == ["mot"]
    assert [p.name for p in find_course_dirs([tmp_path / "_example"])] == ["vi-du"]
    assert [p.name for p in find_course_dirs([tmp_path / "_example" / "vi-du"])] == ["vi-du"]


def test_changed_course_becomes_new_version_with_summary(session, tmp_path):
    folder = copy_fixture(tmp_path)
    import_dir(session, tmp_path)
    (folder / "02-thuc-hanh" / "03-kiem-tra.md").write_text(
        "---\ntitle: Kiểm tra chữ ký\norder: 3\nestimated_minutes: 5\n---\n\nMở bảng chữ ký.\n"
    )
    text = (folder / "01-khai-niem" / "01-chu-ky-so-la-gi.md").read_text()
    (folder / "01-khai-niem" / "01-chu-ky-so-la-gi.md").write_text(text.replace("người ký", "người đã ký"))
    (change,) = import_dir(session, tmp_path)
    assert change.action == "changed"
    assert (change.old_version, change.new_version) == (1, 2)
    assert change.warnings  # course.yaml still says version 1
    assert "lessons added: 02-thuc-hanh/03-kiem-tra" in change.notes
    assert "changed: 01-khai-niem/01-chu-ky-so-la-gi" in change.notes
    course = session.scalars(select(Course).where(Course.slug == "co-ban-chu-ky-so")).one()
    assert course.version == 2
    rows = session.execute(
        select(CourseVersion.number, CourseVersion.changes)
        .where(CourseVersion.course_id == course.id)
        .order_by(CourseVersion.number)
    ).all()
    assert [n for n, _ in rows] == [1, 2]
    assert "lessons added" in rows[1][1]


def test_explicit_version_bump_is_used(session, tmp_path):
    folder = copy_fixture(tmp_path)
    import_dir(session, tmp_path)
    text = (folder / "course.yaml").read_text()
    (folder / "course.yaml").write_text(text.replace("version: 1", "version: 5").replace("1.5", "2"))
    (change,) = import_dir(session, tmp_path)
    assert change.new_version == 5
    assert not change.warnings
    assert change.notes == ["course: estimated_hours changed"]


def test_removed_lesson_is_removed(session, tmp_path):
    folder = copy_fixture(tmp_path)
    import_dir(session, tmp_path)
    (folder / "02-thuc-hanh" / "02-doc-them.md").unlink()
    (change,) = import_dir(session, tmp_path)
    assert "lessons removed: 02-thuc-hanh/02-doc-them" in change.notes
    assert session.scalars(select(Lesson).where(Lesson.key == "02-doc-them")).first() is None


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("course.yaml", "topic: digital-signature", "topic: signatures", "course.yaml:6: topic: must be one of"),
        ("course.yaml", "language: vi", "language: vi\ncolour: blue", "course.yaml:8: colour: unknown key"),
        ("course.yaml", "title: Cơ bản về chữ ký số\n", "", "course.yaml:1: title: missing required key"),
        ("course.yaml", "version: 1", "version: one", "course.yaml:8: version: must be an integer"),
        ("course.yaml", "estimated_hours: 1.5", "estimated_hours: [1", "course.yaml:10: YAML syntax error"),
        ("course.yaml", "version: 1", "version: 1\nversion: 2", "course.yaml:9: version: duplicate key"),
        ("course.yaml", "attendance: none", "attendance: maybe", "course.yaml:17: completion.attendance: must be one of: required, none"),
        ("course.yaml", "slug: co-ban-chu-ky-so", "slug: khac", "course.yaml:1: slug: must equal the folder"),
        ("01-khai-niem/module.yaml", "order: 1", "order: 2", "02-thuc-hanh/module.yaml: order: same order"),
        ("01-khai-niem/01-chu-ky-so-la-gi.md", "estimated_minutes: 10", "estimated_minutes: 0",
         "01-chu-ky-so-la-gi.md:4: estimated_minutes: must be greater than 0"),
        ("01-khai-niem/01-chu-ky-so-la-gi.md", "order: 1", "order: 1\nauthor: X", "01-chu-ky-so-la-gi.md:4: author: unknown key"),
        ("01-khai-niem/01-chu-ky-so-la-gi.md", "## Tài liệu", "# Tài liệu", "01-chu-ky-so-la-gi.md:22: headings start at ##"),
        ("01-khai-niem/01-chu-ky-so-la-gi.md", "02-khoa-va-chung-thu.md", "03-khong-co.md",
         "01-chu-ky-so-la-gi.md:20: link 03-khong-co.md#khoa: no such lesson"),
        ("01-khai-niem/01-chu-ky-so-la-gi.md", "so-do-ky.svg", "khong-co.png", "no such image in the course"),
        ("01-khai-niem/01-chu-ky-so-la-gi.md", "](02-khoa", "](../../../etc/passwd.md", "points outside the course"),
        ("01-khai-niem/01-chu-ky-so-la-gi.md", "](02-khoa", "](ftp://files.test/a.md", "only http, https and mailto"),
        ("01-khai-niem/so-do-ky.svg", "<title>", "<script>alert(1)</script><title>", "so-do-ky.svg: SVG contains a forbidden element"),
        ("01-khai-niem/so-do-ky.svg", "<rect ", '<rect onclick="alert(1)" ', "SVG contains an event handler"),
        ("01-khai-niem/so-do-ky.svg", "<title>", '<image href="https://evil.test/x.png"/><title>', "forbidden element"),
        ("01-khai-niem/so-do-ky.svg", "<title>", '<a href="https://evil.test/"><circle r="1"/></a><title>', "external resource"),
    ],
)  # fmt: skip
def test_broken_files_name_file_line_and_field(tmp_path, file, old, new, expected):
    folder = copy_fixture(tmp_path)
    path = folder / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    problems = _problems(folder)
    assert any(expected in p for p in problems), problems


def test_oversized_and_mislabelled_images_are_refused(tmp_path):
    folder = copy_fixture(tmp_path)
    (folder / "media" / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * (600 * 1024))
    (folder / "media" / "fake.jpg").write_bytes(b"\x89PNG\r\n\x1a\n0000")
    (folder / "01-khai-niem" / "notes.txt").write_text("x")
    problems = _problems(folder)
    assert any("media/big.png: image is larger than 512 KB" in p for p in problems)
    assert any("media/fake.jpg: file content does not match its extension" in p for p in problems)
    assert any("01-khai-niem/notes.txt: unexpected file" in p for p in problems)


def test_problem_messages_translate_to_vietnamese(app, tmp_path):
    folder = copy_fixture(tmp_path)
    (folder / "course.yaml").write_text((folder / "course.yaml").read_text() + "colour: blue\n")
    errors = ImportErrors()
    parse_course(folder, errors)
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("vi"):
        text = errors.problems[0].render(translate=True)
    assert "khoá không hợp lệ" in text
    assert "course.yaml:18: colour" in text


def test_broken_course_is_not_half_imported(session, tmp_path):
    folder = copy_fixture(tmp_path)
    (folder / "02-thuc-hanh" / "01-ky-van-ban.md").write_text("no front matter")
    errors = ImportErrors()
    assert parse_course(folder, errors) is None
    assert session.scalars(select(Course).where(Course.slug == "co-ban-chu-ky-so")).first() is None


def test_unknown_prerequisite_is_an_error(session, tmp_path):
    shutil_copy = copy_fixture(tmp_path, "van-ban-lien-thong")
    errors = ImportErrors()
    parsed = parse_course(shutil_copy, errors)
    assert import_course(session, parsed, errors) is None
    assert "unknown course(s): co-ban-chu-ky-so" in str(errors.problems[0])


class RecordingPart:
    """A fake course part (like the quiz feature's) that records the importer's calls."""

    name = "recording"

    def __init__(self):
        self.calls = []

    def parse(self, course_dir, rel, errors):
        self.calls.append("parse")
        if (course_dir / "final_exam.yaml").exists():
            text = (course_dir / "final_exam.yaml").read_text()
            if "broken" in text:
                errors.add(rel / "final_exam.yaml", 1, "title", "must not be broken")
            return text
        return None

    def load(self, session, course, parsed, modules):
        self.calls.append(("load", course.id is not None, sorted(modules)))
        return ["final exam loaded"] if parsed else []

    def export(self, session, course, course_dir):
        self.calls.append("export")
        (course_dir / "final_exam.yaml").write_text("title: Thi cuối khoá\n")


@pytest.fixture
def recording_part():
    """The fake part alone (other features' real parts are set aside for the test)."""
    with parts.COURSE_PARTS.set_aside():
        part = RecordingPart()
        parts.register_part(part)
        yield part


def test_parts_parse_before_load_and_their_errors_stop_the_import(session, tmp_path, recording_part):
    folder = copy_fixture(tmp_path)
    (folder / "final_exam.yaml").write_text("title: broken\n")
    errors = ImportErrors()
    assert parse_course(folder, errors) is None
    assert "final_exam.yaml:1: title: must not be broken" in str(errors.problems[0])
    assert recording_part.calls == ["parse"]

    (folder / "final_exam.yaml").write_text("title: Thi cuối khoá\n")
    (change,) = import_dir(session, tmp_path)
    assert recording_part.calls[-2:] == ["parse", ("load", True, ["01-khai-niem", "02-thuc-hanh"])]
    assert change.action == "new"

    (folder / "final_exam.yaml").write_text("title: Thi cuối khoá (sửa)\n")
    (change,) = import_dir(session, tmp_path)
    assert change.action == "changed"
    assert change.notes == ["final exam loaded"]
