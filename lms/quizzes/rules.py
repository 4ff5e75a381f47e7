"""What quizzes contribute to a course: its quiz list and links, completion, module gates, the final score.

Read-only: these functions answer questions for other features (course pages,
``lms.learning.completion``, certificates) and never write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, defer

from lms.auth.models import User
from lms.catalog.models import Course, Module
from lms.db import read_memo
from lms.learning.completion import Requirement
from lms.learning.models import Enrollment
from lms.quizzes.models import Attempt, Quiz
from lms.quizzes.part import FINAL_KEY


def course_quizzes(session: Session, course: Course) -> list[Quiz]:
    """Active quizzes of a course: module quizzes in module order, then the final exam."""
    quizzes = session.scalars(
        select(Quiz)
        .outerjoin(Module, Quiz.module_id == Module.id)
        .where(Quiz.course_id == course.id, Quiz.active.is_(True))
        .order_by(Quiz.key == FINAL_KEY, Module.position, Quiz.key)
    ).all()
    return list(quizzes)


# Built once (bound parameters): a course and lesson page run it on every request (decision 1906).
_QUIZZES_AND_ATTEMPTS = (
    select(Quiz, Attempt)
    .outerjoin(Module, Quiz.module_id == Module.id)
    .outerjoin(
        Attempt,
        (Attempt.quiz_id == Quiz.id)
        & (Attempt.user_id == bindparam("user_id"))
        & Attempt.percent.is_not(None),
    )
    .where(Quiz.course_id == bindparam("course_id"), Quiz.active.is_(True))
    .order_by(Quiz.key == FINAL_KEY, Module.position, Quiz.key, Attempt.id)
    .options(defer(Attempt.snapshot))
)


def _quiz_state(session: Session, course: Course, user_id: int | None) -> tuple[list[Quiz], list[Attempt]]:
    """The course's active quizzes (in order) and the user's graded attempts at them: one statement.

    A course page asks this up to three times (module gates, completion rule, quiz links): read
    once per session until it writes (``lms.db.read_memo``).
    """
    memo = read_memo(session)
    key = ("quiz_state", course.id, user_id)
    if key in memo:
        found: tuple[list[Quiz], list[Attempt]] = memo[key]
        return found
    attempts: list[Attempt] = []
    if user_id is None:
        quizzes = course_quizzes(session, course)
    else:
        # One statement: each quiz with the user's graded attempts (outer join; the quiz repeats per
        # attempt). The attempts' question snapshots are not needed here: not loaded.
        quizzes = []
        seen: set[int] = set()
        for quiz, attempt in session.execute(
            _QUIZZES_AND_ATTEMPTS, {"course_id": course.id, "user_id": user_id}
        ):
            if quiz.id not in seen:
                seen.add(quiz.id)
                quizzes.append(quiz)
            if attempt is not None:
                attempts.append(attempt)
    memo[key] = (quizzes, attempts)
    return quizzes, attempts


def _passed(attempts: list[Attempt]) -> set[int]:
    return {a.quiz_id for a in attempts if a.passed}


def course_quiz_links(session: Session, course: Course, user: User) -> dict[str, Any]:
    """For course pages: {"modules": {module key: link}, "final": link | None}.

    A link is {"quiz", "best" (highest graded Attempt or None), "passed" (any
    attempt passed)}; one query for the quizzes, one for the learner's attempts.
    """
    user_id = user.id if getattr(user, "is_authenticated", False) else None
    quizzes, attempts = _quiz_state(session, course, user_id)
    best: dict[int, Attempt] = {}
    passed = _passed(attempts)
    for a in attempts:
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
    quizzes, attempts = _quiz_state(session, enrollment.course, enrollment.user_id)
    return _requirements_from(enrollment.course, quizzes, _passed(attempts))


def quiz_requirements_many(
    session: Session, enrollments: Sequence[Enrollment]
) -> dict[int, list[Requirement] | None]:
    """quiz_requirements for many enrolments: two statements per course (its quizzes, their attempts)."""
    results: dict[int, list[Requirement] | None] = {}
    by_course: dict[int, list[Enrollment]] = {}
    for e in enrollments:
        by_course.setdefault(e.course_id, []).append(e)
    for group in by_course.values():
        course = group[0].course
        quizzes = course_quizzes(session, course)
        passed: dict[int, set[int]] = {}
        if quizzes:
            for user_id, quiz_id in session.execute(
                select(Attempt.user_id, Attempt.quiz_id)
                .where(
                    Attempt.user_id.in_([e.user_id for e in group]),
                    Attempt.quiz_id.in_([q.id for q in quizzes]),
                    Attempt.passed.is_(True),
                )
                .distinct()
            ).tuples():
                passed.setdefault(user_id, set()).add(quiz_id)
        for e in group:
            results[e.id] = _requirements_from(course, quizzes, passed.get(e.user_id, set()))
    return results


def _requirements_from(course: Course, quizzes: list[Quiz], passed: set[int]) -> list[Requirement] | None:
    from flask_babel import lazy_gettext as _l

    if not quizzes:
        return None
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


def final_scores(session: Session, enrollments: Sequence[Enrollment]) -> dict[int, float | None]:
    """final_score of many enrolments in one statement: {enrollment id: best final-exam percent or None}."""
    if not enrollments:
        return {}
    best = {
        (course_id, user_id): value
        for course_id, user_id, value in session.execute(
            select(Quiz.course_id, Attempt.user_id, func.max(Attempt.percent))
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(
                Quiz.course_id.in_({e.course_id for e in enrollments}),
                Quiz.key == FINAL_KEY,
                Attempt.user_id.in_({e.user_id for e in enrollments}),
                Attempt.submitted_at.is_not(None),
            )
            .group_by(Quiz.course_id, Attempt.user_id)
        ).tuples()
    }
    found = {e.id: best.get((e.course_id, e.user_id)) for e in enrollments}
    return {k: None if v is None else float(v) for k, v in found.items()}


def module_quiz_check(session: Session, enrollment: Enrollment) -> dict[int, bool]:
    """Module gate (sequential modules): {module_id: its required quiz passed}, two statements."""
    course = enrollment.course
    if not course.require_quizzes:
        return {}
    active, attempts = _quiz_state(session, course, enrollment.user_id)
    quizzes = [q for q in active if q.required and q.key != FINAL_KEY and q.module_id is not None]
    if not quizzes:
        return {}
    passed = _passed(attempts)
    return {q.module_id: q.id in passed for q in quizzes if q.module_id is not None}


def lock_reason(session: Session, quiz: Quiz, user: User) -> str | None:
    """Why the learner may not start this quiz yet, or None (decision 1602).

    Enrol first; then missing prerequisites or a locked module; a module quiz opens once
    the module's required lessons are done; the final exam opens when the course's own
    rules are met without it (required lessons done, required module quizzes passed).
    """
    from flask_babel import gettext as _

    from lms.catalog.models import exam_opening_day
    from lms.core.timefmt import local_date, to_local
    from lms.db import utcnow
    from lms.learning.services import course_outline, enrollment_for

    course = quiz.course
    enrollment = enrollment_for(session, user, course)
    if enrollment is None:
        return str(_("Enrol in the course first: its quizzes open as you study it."))
    outline = course_outline(session, course, user, enrollment)
    if outline.locked:
        return outline.modules[0].lock_reason if outline.modules else None
    if enrollment.is_complete:
        return None
    if quiz.is_final:
        # The course's own opening rule (Course.final_exam_opens, decision 1609).
        opens = course.final_exam_opens or "modules"
        if opens == "enrolment":
            return None
        day = exam_opening_day(opens)
        if day is not None:
            if to_local(utcnow()).date() < day:
                return str(_("The final exam opens on %(date)s.", date=local_date(day)))
            return None
        if opens == "lessons":
            unread = [m.title for m in outline.modules if m.required_done < m.required_total]
            if unread:
                return str(
                    _(
                        "The final exam opens when every required lesson is read. Still to read: %(titles)s.",
                        titles=", ".join(unread),
                    )
                )
            return None
        passed = module_quiz_check(session, enrollment)
        missing = [
            m.title
            for m in outline.modules
            if (course.require_lessons and m.required_done < m.required_total) or passed.get(m.id) is False
        ]
        if missing:
            return str(
                _(
                    "The final exam opens when every module is complete. Still to finish: %(titles)s.",
                    titles=", ".join(missing),
                )
            )
        return None
    for module in outline.modules:
        if module.id != quiz.module_id:
            continue
        if module.locked:
            return module.lock_reason
        if course.require_lessons and module.required_done < module.required_total:
            return str(
                _(
                    'Finish the lessons of the module "%(title)s" first (%(done)d of %(total)d done).',
                    title=module.title,
                    done=module.required_done,
                    total=module.required_total,
                )
            )
    return None


def next_step(session: Session, enrollment: Enrollment, module_id: int) -> dict[str, str] | None:
    """After a module's lessons: its quiz, if it is not passed yet (learning's next-step hook)."""
    from flask import url_for
    from flask_babel import gettext as _

    quizzes, attempts = _quiz_state(session, enrollment.course, enrollment.user_id)
    quiz = next((q for q in quizzes if q.module_id == module_id), None)
    if quiz is None or quiz.id in _passed(attempts):
        return None
    return {
        "text": _("You have finished the lessons of this module. Next: its quiz."),
        "label": _("Take the module quiz"),
        "url": url_for("quizzes.intro", quiz_id=quiz.id),
    }
