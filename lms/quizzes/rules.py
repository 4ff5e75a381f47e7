"""What quizzes contribute to a course: its quiz list and links, completion, module gates, the final score.

Read-only: these functions answer questions for other features (course pages,
``lms.learning.completion``, certificates) and never write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from lms.auth.models import User
from lms.catalog.models import Course, Module
from lms.learning.completion import Requirement
from lms.learning.models import Enrollment
from lms.quizzes.models import Attempt, Quiz
from lms.quizzes.part import FINAL_KEY

# A course page asks three questions of the same rows (its quiz links, the completion
# requirements, the module gates): each is read once per session until the session writes.
_MEMO = "lms.quizzes.rules"
T = TypeVar("T")


def _memo(session: Session, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    memo: dict[tuple[Any, ...], Any] = session.info.setdefault(_MEMO, {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info.pop(_MEMO, None)


def course_quizzes(session: Session, course: Course) -> list[Quiz]:
    """Active quizzes of a course: module quizzes in module order, then the final exam."""

    def load() -> list[Quiz]:
        return list(
            session.scalars(
                select(Quiz)
                .outerjoin(Module, Quiz.module_id == Module.id)
                .where(Quiz.course_id == course.id, Quiz.active.is_(True))
                .order_by(Quiz.key == FINAL_KEY, Module.position, Quiz.key)
            )
        )

    return list(_memo(session, ("quizzes", course.id), load))


def _graded_attempts(session: Session, user_id: int, course: Course) -> list[Attempt]:
    """The user's graded attempts at the course's active quizzes."""
    quiz_ids = [q.id for q in course_quizzes(session, course)]

    def load() -> list[Attempt]:
        if not quiz_ids:
            return []
        return list(
            session.scalars(
                select(Attempt).where(
                    Attempt.user_id == user_id, Attempt.quiz_id.in_(quiz_ids), Attempt.percent.is_not(None)
                )
            )
        )

    return _memo(session, ("attempts", user_id, course.id), load)


def _passed_quiz_ids(session: Session, user_id: int, course: Course) -> set[int]:
    """Which of the course's active quizzes the user has passed (at least one passing attempt)."""
    return {a.quiz_id for a in _graded_attempts(session, user_id, course) if a.passed}


def course_quiz_links(session: Session, course: Course, user: User) -> dict[str, Any]:
    """For course pages: {"modules": {module key: link}, "final": link | None}.

    A link is {"quiz", "best" (highest graded Attempt or None), "passed" (any
    attempt passed)}; one query for the quizzes, one for the learner's attempts.
    """
    quizzes = course_quizzes(session, course)
    best: dict[int, Attempt] = {}
    passed: set[int] = set()
    if quizzes and getattr(user, "is_authenticated", False):
        for a in _graded_attempts(session, user.id, course):
            if a.passed:
                passed.add(a.quiz_id)
            if a.quiz_id not in best or (a.percent or 0) > (best[a.quiz_id].percent or 0):
                best[a.quiz_id] = a
    links: dict[str, Any] = {"modules": {}, "final": None}
    for quiz in quizzes:
        link = {"quiz": quiz, "best": best.get(quiz.id), "passed": quiz.id in passed}
        if quiz.is_final:
            links["final"] = link
        else:
            links["modules"][quiz.key] = link
    return links


def quiz_requirements(session: Session, enrollment: Enrollment) -> list[Requirement] | None:
    """Completion rule: required module quizzes passed; final exam passed (when the course asks)."""
    from flask_babel import lazy_gettext as _l

    course = enrollment.course
    quizzes = course_quizzes(session, course)
    if not quizzes:
        return None
    passed = _passed_quiz_ids(session, enrollment.user_id, course)
    results: list[Requirement] = []
    module_quizzes = [q for q in quizzes if q.key != FINAL_KEY and q.required]
    if course.require_quizzes and module_quizzes:
        done = sum(1 for q in module_quizzes if q.id in passed)
        results.append(
            Requirement(
                "quizzes",
                str(_l("Required module quizzes passed")),
                done == len(module_quizzes),
                f"{done}/{len(module_quizzes)}",
            )
        )
    finals = [q for q in quizzes if q.key == FINAL_KEY and q.required]
    if course.require_final_exam and finals:
        results.append(
            Requirement("final_exam", str(_l("Final exam passed")), all(q.id in passed for q in finals))
        )
    return results or None


def final_score(session: Session, enrollment: Enrollment) -> float | None:
    """The learner's best final-exam result in percent (0–100), for certificates; None without a final exam.

    Contract used by lms.certificates.services.final_score.
    """
    best = session.scalar(
        select(func.max(Attempt.percent))
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Quiz.course_id == enrollment.course_id,
            Quiz.key == FINAL_KEY,
            Attempt.user_id == enrollment.user_id,
            Attempt.submitted_at.is_not(None),
        )
    )
    return None if best is None else float(best)


def module_quiz_check(session: Session, enrollment: Enrollment) -> dict[int, bool]:
    """Module gate (sequential modules): {module_id: its required quiz passed}; shares the page's reads."""
    course = enrollment.course
    if not course.require_quizzes:
        return {}
    gates = [
        (q.module_id, q.id)
        for q in course_quizzes(session, course)
        if q.required and q.key != FINAL_KEY and q.module_id is not None
    ]
    if not gates:
        return {}
    passed = _passed_quiz_ids(session, enrollment.user_id, course)
    return {module_id: quiz_id in passed for module_id, quiz_id in gates}


def lock_reason(session: Session, quiz: Quiz, user: User) -> str | None:
    """Why the learner may not start this quiz yet (missing prerequisites, locked module), or None."""
    from lms.learning.services import course_outline, enrollment_for

    course = quiz.course
    if not course.sequential_modules and not course.prerequisite_links:
        return None
    outline = course_outline(session, course, user, enrollment_for(session, user, course))
    if outline.locked:
        return outline.modules[0].lock_reason if outline.modules else None
    for module in outline.modules:
        if module.id == quiz.module_id and module.locked:
            return module.lock_reason
    return None
