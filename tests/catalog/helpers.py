"""Shared helpers for course tests: import the fixture courses, build big courses fast."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from lms.catalog.importer import find_course_dirs, import_course, order_by_prerequisites, parse_course
from lms.catalog.models import Course, CourseStatus, Lesson, Module
from lms.catalog.parts import ImportErrors
from lms.core.text import fold

FIXTURES = Path(__file__).parent / "fixtures" / "courses"


def import_dir(session, path: Path) -> list:
    """Parse and import every course under path; fail the test on any problem."""
    errors = ImportErrors()
    parsed = [parse_course(d, errors) for d in find_course_dirs([path])]
    assert not errors, [str(p) for p in errors.problems]
    changes = [import_course(session, c, errors) for c in order_by_prerequisites(parsed, errors)]
    assert not errors, [str(p) for p in errors.problems]
    return changes


def import_fixtures(session) -> dict[str, Course]:
    import_dir(session, FIXTURES)
    return {c.slug: c for c in session.scalars(select(Course))}


def copy_fixture(tmp_path: Path, slug: str = "co-ban-chu-ky-so") -> Path:
    target = tmp_path / slug
    shutil.copytree(FIXTURES / slug, target)
    return target


def build_course(session, *, slug: str, modules: int, lessons_per_module: int, **kw) -> Course:
    """A published course straight in the database (for query-count tests)."""
    course = Course(
        slug=slug,
        title=kw.get("title", f"Khoá {slug}"),
        summary="Tóm tắt",
        topic=kw.get("topic", "other"),
        status=CourseStatus.PUBLISHED,
        sequential_modules=kw.get("sequential", False),
    )
    course.search_text = fold(course.title)
    session.add(course)
    session.flush()
    for m in range(1, modules + 1):
        module = Module(course_id=course.id, key=f"{m:02d}-mo-dun", position=m, title=f"Mô-đun {m}")
        session.add(module)
        session.flush()
        session.add_all(
            Lesson(
                course_id=course.id,
                module_id=module.id,
                key=f"{n:02d}-bai",
                position=n,
                title=f"Bài {m}.{n}",
                estimated_minutes=5,
                body_markdown="Nội dung",
                body_html="<p>Nội dung</p>",
            )
            for n in range(1, lessons_per_module + 1)
        )
    session.flush()
    return course
