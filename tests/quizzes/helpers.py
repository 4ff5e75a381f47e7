"""Load fixture course folders through the quizzes CoursePart (until the importer exists)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.models import Course, Module
from lms.catalog.parts import ImportErrors
from lms.quizzes.part import QuizzesPart
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures"


def course_from_folder(
    session: Session, folder: Path, *, slug: str | None = None
) -> tuple[Course, dict[str, Module]]:
    """The course row and modules of a fixture folder (quizzes and the final exam required)."""
    meta = yaml.safe_load((folder / "course.yaml").read_text(encoding="utf-8"))
    course = factories.make_course(
        session,
        slug=slug or meta["slug"],
        title=meta["title"],
        summary=meta["summary"],
        require_lessons=True,
        require_quizzes=True,
        require_final_exam=True,
    )
    modules = {}
    for sub in sorted(folder.iterdir()):
        if (sub / "module.yaml").exists():
            m = yaml.safe_load((sub / "module.yaml").read_text(encoding="utf-8"))
            modules[sub.name] = Module(
                course_id=course.id, key=sub.name, position=m["order"], title=m["title"]
            )
            session.add(modules[sub.name])
    session.flush()
    return course, modules


def import_quizzes(
    session: Session, course: Course, folder: Path, modules: dict[str, Module] | None = None
) -> list[str]:
    if modules is None:
        modules = {m.key: m for m in session.scalars(select(Module).where(Module.course_id == course.id))}
    part = QuizzesPart()
    errors = ImportErrors()
    parsed = part.parse(folder, Path(folder.name), errors)
    if errors:
        raise AssertionError("\n".join(map(str, errors.problems)))
    return part.load(session, course, parsed, modules)


def load_fixture_course(session: Session, name: str = "kiem-thu", *, slug: str | None = None) -> Course:
    folder = FIXTURES / name
    course, modules = course_from_folder(session, folder, slug=slug)
    import_quizzes(session, course, folder, modules)
    return course


def quiz_by_key(session: Session, course: Course, key: str) -> Any:
    from lms.quizzes.models import Quiz

    return session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == key)).one()
