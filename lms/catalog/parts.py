"""How other features add content to a course folder (e.g. quizzes).

The importer in ``lms.catalog.importer`` reads course.yaml, modules and lessons
itself, then gives every registered ``CoursePart`` the course folder: ``parse``
validates its files without touching the database (errors go to the shared
``ImportErrors`` with file, line and field), ``load`` writes them inside the
importer's single transaction, ``export`` writes them back out.

``register_progress_provider`` lets the feature that tracks learners (learning)
show their progress on the catalogue cards without catalog importing it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from blinker import Namespace
from sqlalchemy.orm import Session

from lms.catalog.models import Course, Module
from lms.core.registry import Registry


@dataclass(frozen=True)
class ImportProblem:
    file: str  # path relative to the courses root, e.g. "chu-ky-so/01-tong-quan/quiz.yaml"
    line: int | None
    field: str  # dotted path of the offending key, e.g. "questions[3].options"
    message: str  # English msgid, may hold %(name)s placeholders filled from params
    params: tuple[tuple[str, Any], ...] = ()

    def text(self, translate: bool = False) -> str:
        """The message with its parameters; translated with gettext when asked (needs an app)."""
        msg = self.message
        if translate:
            from flask_babel import gettext

            msg = gettext(msg) if not self.params else gettext(msg, **dict(self.params))
            return msg
        return msg % dict(self.params) if self.params else msg

    def render(self, translate: bool = False) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        msg = self.text(translate)
        return f"{where}: {self.field}: {msg}" if self.field else f"{where}: {msg}"

    def __str__(self) -> str:
        return self.render()


@dataclass
class ImportErrors:
    problems: list[ImportProblem] = field(default_factory=list)

    def add(self, file: str | Path, line: int | None, field_name: str, message: str, **params: Any) -> None:
        """Record a problem; message is an English msgid (``%(name)s`` filled from params)."""
        self.problems.append(ImportProblem(str(file), line, field_name, message, tuple(params.items())))

    def __bool__(self) -> bool:
        return bool(self.problems)


class CoursePart(Protocol):
    name: str

    def parse(self, course_dir: Path, rel: Path, errors: ImportErrors) -> Any:
        """Read and validate this part's files in course_dir (rel = path shown in errors)."""

    def load(self, session: Session, course: Course, parsed: Any, modules: dict[str, Module]) -> list[str]:
        """Write the parsed content for course (modules by folder key); return change notes."""

    def export(self, session: Session, course: Course, course_dir: Path) -> None:
        """Write this part's files into course_dir (the reverse of parse + load)."""

    # Optional: ``fingerprint(parsed) -> Any`` returns JSON-serialisable, normalised
    # content (defaults filled in, no file paths or line numbers) so that equivalent
    # files give the same course content hash. Parts without it are hashed by the
    # parsed YAML of their files.


COURSE_PARTS: Registry[CoursePart] = Registry(
    "catalog.parts", "Extra parts of a course folder (quizzes): parse, load, export, fingerprint."
)


def register_part(part: CoursePart) -> None:
    COURSE_PARTS.add(part, part.name)


def registered_parts() -> list[CoursePart]:
    return COURSE_PARTS.values()


class LearnerProgress(Protocol):
    """What the catalogue shows of a learner's progress in a course (an Enrollment, in practice)."""

    @property
    def is_complete(self) -> bool: ...

    @property
    def progress_percent(self) -> int: ...


ProgressProvider = Callable[[Session, Any, list[int]], Mapping[int, LearnerProgress]]
PROGRESS_PROVIDERS: Registry[ProgressProvider] = Registry(
    "catalog.progress",
    "(session, user, course_ids) -> {course_id: progress} for the catalogue cards (learning: enrolments).",
)


def register_progress_provider(provider: ProgressProvider) -> None:
    PROGRESS_PROVIDERS.add(provider)


def learner_progress(session: Session, user: Any, course_ids: list[int]) -> dict[int, LearnerProgress]:
    """The user's progress per course, from whichever feature tracks it."""
    progress: dict[int, LearnerProgress] = {}
    for provider in PROGRESS_PROVIDERS:
        progress.update(provider(session, user, course_ids))
    return progress


_signals = Namespace()
course_changed = _signals.signal("course-changed")
"""Sent by the importer after a course was created or got a new version
(sender=course, session=session, change=CourseChange); learning recomputes progress."""
