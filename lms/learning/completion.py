"""Course completion rules, with a registry other features plug into.

A requirement is a function ``(session, enrollment) -> Requirement | None``;
None means "does not apply to this course". The quiz feature registers "required
quizzes passed", the training feature "attendance recorded". The lessons rule is
built in. ``enrollment_completed`` is sent once when an enrollment completes
(certificates subscribe to it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from blinker import Namespace
from sqlalchemy.orm import Session

from lms.core.registry import Registry
from lms.learning.models import Enrollment


@dataclass(frozen=True)
class Requirement:
    key: str  # e.g. "lessons", "quizzes", "final_exam", "attendance"
    label: str  # translated, for the learner
    done: bool
    detail: str = ""


RequirementCheck = Callable[[Session, Enrollment], "Requirement | list[Requirement] | None"]

REQUIREMENTS: Registry[RequirementCheck] = Registry(
    "learning.requirements", "(session, enrollment) -> Requirement(s) a course adds to completion."
)

ManyRequirementCheck = Callable[
    [Session, Sequence[Enrollment]], "Mapping[int, Requirement | list[Requirement] | None]"
]
REQUIREMENTS_MANY: Registry[ManyRequirementCheck] = Registry(
    "learning.requirements_many",
    "(session, enrollments) -> {enrollment id: Requirement(s)}: a requirement checked for many at once.",
)

signals = Namespace()
enrollment_completed = signals.signal("enrollment-completed")
"""Sent with sender=enrollment, session=session, after completed_at is set (flushed)."""
enrollments_completed = signals.signal("enrollments-completed")
"""Sent once per set of enrolments completed together (sender None, session=, enrollments=[...]).

Also sent (with one enrolment) after each ``enrollment_completed``. Receivers that write
(certificates) listen here, so completing a class of 30 costs what completing one does.
"""
enrollments_created = signals.signal("enrollments-created")
"""Sent once per set of new enrolments (sender None, session=, enrollment_ids=[...]), after the flush:
one learner enrolling, or an assignment enrolling a unit set-based."""
lesson_opened = signals.signal("lesson-opened")
"""Sent with sender=enrollment, session=, lesson_id= when a learner opens another lesson (the
"continue" pointer moves; inside the lesson page's ``write_on_get``)."""
lesson_completed = signals.signal("lesson-completed")
"""Sent with sender=enrollment, session=, progress= (the LessonProgress row) when a lesson is newly done."""


def register_requirement(
    check: RequirementCheck, *, many: ManyRequirementCheck | None = None
) -> RequirementCheck:
    """Register a completion requirement (usable as a decorator); idempotent.

    ``many(session, enrollments)`` answers the same for many enrolments in a constant number of
    statements (``lms.learning.services.refresh_enrollments``, e.g. HR's attendance save);
    without it the single check runs once per enrolment.
    """
    if many is not None:
        REQUIREMENTS_MANY.add(many, check)
    return REQUIREMENTS.add(check)


def many_requirement(check: RequirementCheck) -> ManyRequirementCheck | None:
    return REQUIREMENTS_MANY.get(check)


def registered_requirements() -> list[RequirementCheck]:
    return REQUIREMENTS.values()


ModuleCheck = Callable[[Session, Enrollment], dict[int, bool]]
MODULE_CHECKS: Registry[ModuleCheck] = Registry(
    "learning.module_checks", "(session, enrollment) -> {module_id: passed}: extra gates of a module."
)


def register_module_check(check: ModuleCheck) -> ModuleCheck:
    """Register an extra condition for finishing a module (e.g. its required quiz passed).

    ``check(session, enrollment)`` returns ``{module_id: passed}`` for the modules
    it has a condition on, in a fixed number of statements. In a course with
    ``sequential_modules`` the next module opens only when the previous one's
    required lessons are done and every check says passed.
    """
    return MODULE_CHECKS.add(check)


def registered_module_checks() -> list[ModuleCheck]:
    return MODULE_CHECKS.values()


NextStep = Callable[[Session, Enrollment, int], "dict[str, str] | None"]
NEXT_STEPS: Registry[NextStep] = Registry(
    "learning.next_steps",
    "(session, enrollment, module_id) -> {text, label, url} | None: what to do once a module's lessons are done.",
)


def next_step_after_module(session: Session, enrollment: Enrollment, module_id: int) -> dict[str, str] | None:
    """The first registered step still to do after this module's lessons (e.g. its quiz), or None."""
    for step in NEXT_STEPS.values():
        found = step(session, enrollment, module_id)
        if found:
            return found
    return None
