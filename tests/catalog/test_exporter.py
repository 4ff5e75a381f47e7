from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lms.catalog.exporter import export_course
from lms.catalog.importer import parse_course
from lms.catalog.models import Course
from lms.catalog.parts import ImportErrors
from tests.catalog.helpers import FIXTURES, import_dir, import_fixtures


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_import_export_import_is_lossless(session, tmp_path):
    import_fixtures(session)
    course = session.scalars(select(Course).where(Course.slug == "co-ban-chu-ky-so")).one()
    exported = export_course(session, course, tmp_path / "a")

    errors = ImportErrors()
    original = parse_course(FIXTURES / "co-ban-chu-ky-so", errors)
    again = parse_course(exported, errors)
    assert not errors
    assert again.content_hash == original.content_hash
    assert again.meta == original.meta
    assert [
        (m.key, m.title, m.order, [(le.key, le.title, le.body, le.html) for le in m.lessons])
        for m in again.modules
    ] == [
        (m.key, m.title, m.order, [(le.key, le.title, le.body, le.html) for le in m.lessons])
        for m in original.modules
    ]
    assert {p: a.data for p, a in again.assets.items()} == {p: a.data for p, a in original.assets.items()}

    (change,) = import_dir(session, tmp_path / "a")
    assert change.action == "unchanged"
    second = export_course(session, course, tmp_path / "b")
    assert _tree(second) == _tree(exported)


def test_cli_import_dry_run_then_import_then_export(app, session, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "courses", "import", str(FIXTURES), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would add co-ban-chu-ky-so v1" in result.output
    assert "dry run: nothing was written" in result.output
    assert session.scalars(select(Course)).first() is None

    result = runner.invoke(args=["lms", "courses", "import", str(FIXTURES)])
    assert result.exit_code == 0, result.output
    assert "added van-ban-lien-thong v1" in result.output
    result = runner.invoke(args=["lms", "courses", "export", "van-ban-lien-thong", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "van-ban-lien-thong" / "01-quy-trinh" / "01-gui-van-ban.md").is_file()


def test_cli_reports_errors_and_fails(app, tmp_path):
    (tmp_path / "hong").mkdir()
    (tmp_path / "hong" / "course.yaml").write_text("slug: hong\ntitle: [\n")
    result = app.test_cli_runner().invoke(args=["lms", "courses", "import", str(tmp_path)])
    assert result.exit_code == 1
    assert "ERROR hong: not imported" in result.output
    assert "course.yaml:3: YAML syntax error" in result.output


def test_real_courses_round_trip(session, tmp_path):
    """Every course in courses/ (and the example) exports to the same lessons, images and metadata."""
    from lms.catalog.importer import find_course_dirs
    from tests.conftest import ROOT

    dirs = find_course_dirs([ROOT / "courses", ROOT / "courses" / "_example"])
    assert len(dirs) >= 1
    import_dir(session, ROOT / "courses" / "_example")
    import_dir(session, ROOT / "courses")
    for course_dir in dirs:
        errors = ImportErrors()
        original = parse_course(course_dir, errors)
        course = session.scalars(select(Course).where(Course.slug == course_dir.name)).one()
        again = parse_course(export_course(session, course, tmp_path), errors)
        assert not errors, [str(p) for p in errors.problems]
        assert again.meta == original.meta
        assert [
            (m.key, m.title, m.summary, [(le.key, le.body, le.html) for le in m.lessons])
            for m in again.modules
        ] == [
            (m.key, m.title, m.summary, [(le.key, le.body, le.html) for le in m.lessons])
            for m in original.modules
        ]
        assert {p: a.sha256 for p, a in again.assets.items()} == {
            p: a.sha256 for p, a in original.assets.items()
        }
