"""Attempts: start, save answers, submit (idempotent), close overdue, regrade; statistics.

Services flush, never commit. Scores come only from ``lms.quizzes.grading``.
Concurrency rests on conditional UPDATEs of the attempt row: a save advances
``last_seq`` only ``WHERE last_seq < :seq AND submitted_at IS NULL`` and a submit
sets ``submitted_at`` only ``WHERE submitted_at IS NULL``, so on PostgreSQL (row
lock) and SQLite (BEGIN IMMEDIATE) exactly one writer wins.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.models import User
from lms.catalog.models import Course, Module
from lms.core.audit import record
from lms.db import utcnow
from lms.learning.completion import Requirement
from lms.learning.models import Enrollment
from lms.quizzes import grading
from lms.quizzes.models import Answer, Attempt, Question, Quiz, Review
from lms.quizzes.part import FINAL_KEY

DEFAULT_GRACE_SECONDS = 30


class QuizError(Exception):
    """A learner action that cannot be done; the message is shown."""


class NoAttemptsLeftError(QuizError):
    pass


class QuizClosedError(QuizError):
    pass


class AttemptClosedError(QuizError):
    """The attempt was submitted or is past its deadline (plus grace)."""


class StaleSaveError(QuizError):
    """A save older than what is stored (another tab or device saved since)."""

    def __init__(self, last_seq: int) -> None:
        super().__init__("stale")
        self.last_seq = last_seq


class BadAnswerError(QuizError):
    pass


class PrerequisitesMissingError(QuizError):
    """The learner is not enrolled and has not completed the course's prerequisites."""


def grace() -> dt.timedelta:
    seconds = DEFAULT_GRACE_SECONDS
    if has_app_context():
        seconds = int(current_app.config.get("QUIZ_GRACE_SECONDS", DEFAULT_GRACE_SECONDS))
    return dt.timedelta(seconds=seconds)


# --- listing -----------------------------------------------------------------


def course_quizzes(session: Session, course: Course) -> list[Quiz]:
    """Active quizzes of a course: module quizzes in module order, then the final exam."""
    quizzes = session.scalars(
        select(Quiz)
        .outerjoin(Module, Quiz.module_id == Module.id)
        .where(Quiz.course_id == course.id, Quiz.active.is_(True))
        .order_by(Quiz.key == FINAL_KEY, Module.position, Quiz.key)
    ).all()
    return list(quizzes)


def user_attempts(session: Session, quiz: Quiz, user: User) -> list[Attempt]:
    return list(
        session.scalars(
            select(Attempt)
            .where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
            .order_by(Attempt.number)
        )
    )


def attempts_left(quiz: Quiz, attempts: Sequence[Attempt]) -> int | None:
    """How many more attempts may be started (None = unlimited)."""
    if quiz.max_attempts == 0:
        return None
    return max(0, quiz.max_attempts - len(attempts))


def best_attempt(attempts: Sequence[Attempt]) -> Attempt | None:
    graded = [a for a in attempts if a.percent is not None]
    return max(graded, key=lambda a: (a.percent, -a.number)) if graded else None


# --- starting ----------------------------------------------------------------


def _permutation(n: int, rng: random.Random, *, shuffle: bool, avoid_identity: bool = False) -> list[int]:
    order = list(range(n))
    if shuffle and n > 1:
        rng.shuffle(order)
        while avoid_identity and order == sorted(order):
            rng.shuffle(order)
    return order


def snapshot_entry(question: Question, rng: random.Random, *, shuffle_options: bool) -> dict[str, Any]:
    """What an attempt keeps of a question: content, answer key and display order."""
    n = grading.option_count(question.kind, question.data)
    if question.kind in ("single", "multiple"):
        order = _permutation(n, rng, shuffle=shuffle_options)
    elif question.kind in ("matching", "ordering"):
        # Rights (matching) and items (ordering) are always shown out of order.
        order = _permutation(n, rng, shuffle=True, avoid_identity=True)
    else:
        order = []
    return {
        "question_id": question.id,
        "key": question.key,
        "kind": question.kind,
        "points": question.points,
        "prompt_html": question.prompt_html,
        "explanation_html": question.explanation_html,
        "data": copy.deepcopy(question.data),
        "order": order,
    }


def draw_questions(session: Session, quiz: Quiz, rng: random.Random) -> list[Question]:
    """The questions for a new attempt: the quiz's own, or drawn from the course bank by tag."""
    if not quiz.pools:
        chosen = [q for q in quiz.questions if q.active]
    else:
        bank = session.scalars(
            select(Question)
            .where(Question.course_id == quiz.course_id, Question.active.is_(True))
            .order_by(Question.key)
        ).all()
        chosen = []
        taken: set[int] = set()
        for pool in quiz.pools:
            candidates = [q for q in bank if pool["tag"] in (q.tags or []) and q.id not in taken]
            picked = rng.sample(candidates, min(pool["draw"], len(candidates)))
            taken.update(q.id for q in picked)
            chosen.extend(picked)
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


def start_attempt(
    session: Session,
    quiz: Quiz,
    user: User,
    *,
    now: dt.datetime | None = None,
    rng: random.Random | None = None,
) -> Attempt:
    """Resume the user's open attempt or start a new one (enrolling them in the course)."""
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    close_overdue(session, now=now, user_id=user.id, quiz_id=quiz.id)
    attempts = user_attempts(session, quiz, user)
    for attempt in attempts:
        if attempt.is_open:
            return attempt
    left = attempts_left(quiz, attempts)
    if left == 0:
        raise NoAttemptsLeftError("no attempts left")
    if quiz.closes_at is not None and now >= quiz.closes_at:
        raise QuizClosedError("closed")
    if not _may_enrol(session, quiz.course, user):
        raise PrerequisitesMissingError("prerequisites")
    questions = draw_questions(session, quiz, rng)
    if not questions:
        raise QuizClosedError("no questions")
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + dt.timedelta(minutes=quiz.time_limit_minutes)
    if quiz.closes_at is not None:
        deadline = min(deadline, quiz.closes_at) if deadline else quiz.closes_at
    snapshot = [snapshot_entry(q, rng, shuffle_options=quiz.shuffle_options) for q in questions]
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=len(attempts) + 1,
        started_at=now,
        deadline_at=deadline,
        snapshot=snapshot,
        max_score=sum(e["points"] for e in snapshot),
    )
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
            # One empty answer row per drawn question, so every autosave is a single UPDATE.
            session.execute(
                insert(Answer),
                [
                    {
                        "attempt_id": attempt.id,
                        "question_id": e["question_id"],
                        "response": None,
                        "seq": 0,
                        "saved_at": now,
                    }
                    for e in snapshot
                ],
            )
    except IntegrityError:
        # Another request started this attempt number at the same moment: use theirs.
        existing = session.scalars(
            select(Attempt).where(
                Attempt.quiz_id == quiz.id, Attempt.user_id == user.id, Attempt.submitted_at.is_(None)
            )
        ).first()
        if existing is None:
            raise
        return existing
    from lms.learning.services import enroll_user

    enroll_user(session, user, quiz.course)
    return attempt


def _may_enrol(session: Session, course: Course, user: User) -> bool:
    """Enrolled already, or every prerequisite course completed (starting a quiz enrols)."""
    enrolled = session.scalar(
        select(Enrollment.id).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )
    if enrolled is not None:
        return True
    required = [link.required_course_id for link in course.prerequisite_links]
    if not required:
        return True
    done = session.scalar(
        select(func.count(Enrollment.id)).where(
            Enrollment.user_id == user.id,
            Enrollment.course_id.in_(required),
            Enrollment.completed_at.is_not(None),
        )
    )
    return done == len(required)


def course_quiz_links(session: Session, course: Course, user: User) -> dict[str, Any]:
    """For course pages: {"modules": {module key: link}, "final": link | None}.

    A link is {"quiz", "best" (highest graded Attempt or None), "passed" (any
    attempt passed)}; one query for the quizzes, one for the learner's attempts.
    """
    quizzes = course_quizzes(session, course)
    best: dict[int, Attempt] = {}
    passed: set[int] = set()
    if quizzes and getattr(user, "is_authenticated", False):
        for a in session.scalars(
            select(Attempt).where(
                Attempt.user_id == user.id,
                Attempt.quiz_id.in_([q.id for q in quizzes]),
                Attempt.percent.is_not(None),
            )
        ):
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


# --- answers: display form <-> stored response -------------------------------


def field_name(entry: dict[str, Any], index: int | None = None) -> str:
    base = f"q{entry['question_id']}"
    return base if index is None else f"{base}_{index}"


def response_from_fields(entry: dict[str, Any], getlist: Callable[[str], list[str]]) -> Any:
    """Turn a question's form fields (display positions) into a response in original indices.

    The same function serves the no-JS page form and the JS autosave (which
    posts the question's fields as they are), so both paths store the same thing.
    """
    kind, order = entry["kind"], entry["order"]

    def position(value: str) -> int:
        try:
            pos = int(value)
        except ValueError:
            raise BadAnswerError("not a number") from None
        if not 0 <= pos < len(order):
            raise BadAnswerError("out of range")
        return order[pos]

    try:
        if kind == "single":
            values = [v for v in getlist(field_name(entry)) if v != ""]
            return position(values[0]) if values else None
        if kind == "multiple":
            return sorted({position(v) for v in getlist(field_name(entry)) if v != ""})
        if kind == "true_false":
            values = getlist(field_name(entry))
            return {"true": True, "false": False}.get(values[0]) if values else None
        if kind == "short_text":
            values = getlist(field_name(entry))
            return grading.clean_response(kind, entry["data"], values[0] if values else "")
        if kind == "matching":
            out: list[int | None] = []
            for i in range(len(order)):
                values = [v for v in getlist(field_name(entry, i)) if v != ""]
                out.append(position(values[0]) if values else None)
            return out
        if kind == "ordering":
            ranks: list[tuple[int, int]] = []
            for pos in range(len(order)):
                values = [v for v in getlist(field_name(entry, pos)) if v != ""]
                if not values:
                    return None
                ranks.append((int(values[0]), order[pos]))
            if sorted(r for r, _ in ranks) != list(range(1, len(order) + 1)):
                raise BadAnswerError("each position once")
            return [item for _, item in sorted(ranks)]
    except ValueError as exc:
        raise BadAnswerError(str(exc)) from None
    raise BadAnswerError("unknown kind")


def public_question(entry: dict[str, Any], response: Any) -> dict[str, Any]:
    """What the take page may show: prompt and choices in display order, no answer key."""
    kind, order, data = entry["kind"], entry["order"], entry["data"]
    view: dict[str, Any] = {
        "id": entry["question_id"],
        "kind": kind,
        "points": entry["points"],
        "prompt_html": entry["prompt_html"],
        "name": field_name(entry),
        "answered": grading.is_answered(kind, response),
    }
    if kind in ("single", "multiple"):
        chosen = set(response if isinstance(response, list) else [] if response is None else [response])
        view["choices"] = [
            {"value": pos, "html": data["options"][i]["html"], "checked": i in chosen}
            for pos, i in enumerate(order)
        ]
    elif kind == "true_false":
        view["value"] = response
    elif kind == "short_text":
        view["value"] = response or ""
    elif kind == "matching":
        rights = [{"value": pos, "html": data["pairs"][i]["right_html"]} for pos, i in enumerate(order)]
        back = {i: pos for pos, i in enumerate(order)}
        view["rights"] = rights
        view["lefts"] = [
            {
                "name": field_name(entry, li),
                "html": pair["left_html"],
                "selected": back.get(response[li]) if response and response[li] is not None else None,
            }
            for li, pair in enumerate(data["pairs"])
        ]
    elif kind == "ordering":
        rank = {item: r + 1 for r, item in enumerate(response)} if response else {}
        view["items"] = [
            {"name": field_name(entry, pos), "html": data["items_html"][i], "rank": rank.get(i, pos + 1)}
            for pos, i in enumerate(order)
        ]
        view["count"] = len(order)
    return view


# --- deadlines -----------------------------------------------------------------


def is_overdue(attempt: Attempt, now: dt.datetime) -> bool:
    return attempt.is_open and attempt.deadline_at is not None and now > attempt.deadline_at + grace()


def close_if_overdue(session: Session, attempt: Attempt, *, now: dt.datetime | None = None) -> bool:
    """Close and grade an attempt past its deadline (+ grace). True if it was closed now."""
    now = now or utcnow()
    if not is_overdue(attempt, now):
        return False
    submit_attempt(session, attempt, now=now, closed_by="overdue")
    return True


def close_overdue(
    session: Session,
    *,
    now: dt.datetime | None = None,
    user_id: int | None = None,
    quiz_id: int | None = None,
) -> int:
    """Close and grade every open attempt past its deadline + grace; returns how many."""
    now = now or utcnow()
    stmt = select(Attempt).where(Attempt.submitted_at.is_(None), Attempt.deadline_at < now - grace())
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    if quiz_id is not None:
        stmt = stmt.where(Attempt.quiz_id == quiz_id)
    closed = 0
    for attempt in session.scalars(stmt).all():
        if submit_attempt(session, attempt, now=now, closed_by="overdue"):
            closed += 1
    return closed


# --- saving ------------------------------------------------------------------


def _entry(attempt: Attempt, question_id: int) -> dict[str, Any]:
    for entry in attempt.snapshot:
        if entry["question_id"] == question_id:
            return entry
    raise BadAnswerError("question not in this attempt")


def _claim_seq(session: Session, attempt: Attempt, base: int, seq: int, now: dt.datetime) -> bool:
    """Compare-and-set last_seq from base to seq, if the attempt is open and before its deadline."""
    if seq <= base:
        return False
    result = session.execute(
        update(Attempt)
        .where(
            Attempt.id == attempt.id,
            Attempt.submitted_at.is_(None),
            Attempt.last_seq == base,
            or_(Attempt.deadline_at.is_(None), Attempt.deadline_at > now - grace()),
        )
        .values(last_seq=seq)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(attempt, "last_seq", seq)  # the row already holds it; no second UPDATE
    return True


def _why_refused(session: Session, attempt: Attempt, now: dt.datetime) -> QuizError:
    session.refresh(attempt, ["submitted_at", "last_seq", "deadline_at"])
    if attempt.submitted_at is not None or is_overdue(attempt, now):
        return AttemptClosedError("closed")
    return StaleSaveError(attempt.last_seq)


def _write_answer(
    session: Session, attempt_id: int, question_id: int, response: Any, seq: int, now: dt.datetime
) -> None:
    values = {"response": response, "seq": seq, "saved_at": now}
    result = session.execute(
        update(Answer)
        .where(Answer.attempt_id == attempt_id, Answer.question_id == question_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(Answer).values(attempt_id=attempt_id, question_id=question_id, **values))


def save_answer(
    session: Session,
    attempt: Attempt,
    question_id: int,
    fields: dict[str, list[str]],
    seq: int,
    *,
    base: int,
    now: dt.datetime | None = None,
) -> int:
    """Autosave one question (fields as on the page). Returns the stored seq.

    ``base`` is the last seq the client knows the server accepted; the save is
    taken only if that is still the attempt's ``last_seq`` and ``seq > base``.
    Otherwise another tab or device saved in between: StaleSaveError (unless the
    request repeats exactly what is stored: a retry after a lost response).
    AttemptClosedError when submitted or past the deadline + grace.
    """
    now = now or utcnow()
    if close_if_overdue(session, attempt, now=now) or not attempt.is_open:
        raise AttemptClosedError("closed")
    entry = _entry(attempt, question_id)
    response = response_from_fields(entry, lambda name: [str(v) for v in fields.get(name, [])])
    if not _claim_seq(session, attempt, base, seq, now):
        stored = session.execute(
            select(Answer.seq, Answer.response).where(
                Answer.attempt_id == attempt.id, Answer.question_id == question_id
            )
        ).first()
        if stored is not None and stored.seq == seq and stored.response == response:
            return seq  # the same save, retried after a lost response
        raise _why_refused(session, attempt, now)
    _write_answer(session, attempt.id, question_id, response, seq, now)
    return seq


@dataclass
class PageSave:
    seq: int
    errors: dict[int, str] = field(default_factory=dict)


def save_page(
    session: Session,
    attempt: Attempt,
    question_ids: Sequence[int],
    getlist: Callable[[str], list[str]],
    base_seq: int,
    *,
    now: dt.datetime | None = None,
) -> PageSave:
    """Save every question shown on a page (the no-JS "Save and continue").

    base_seq is the attempt's last_seq when the page was rendered; a newer save
    since then (another tab) refuses the whole page with StaleSaveError.
    """
    now = now or utcnow()
    if close_if_overdue(session, attempt, now=now) or not attempt.is_open:
        raise AttemptClosedError("closed")
    seq = base_seq + 1
    if not _claim_seq(session, attempt, base_seq, seq, now):
        raise _why_refused(session, attempt, now)
    result = PageSave(seq)
    for qid in question_ids:
        entry = _entry(attempt, qid)
        try:
            response = response_from_fields(entry, getlist)
        except BadAnswerError as exc:
            result.errors[qid] = str(exc)
            continue
        _write_answer(session, attempt.id, qid, response, seq, now)
    return result


def stored_responses(session: Session, attempt: Attempt) -> dict[int, Any]:
    rows = session.execute(
        select(Answer.question_id, Answer.response).where(Answer.attempt_id == attempt.id)
    ).all()
    return {r.question_id: r.response for r in rows}


# --- submitting and grading -------------------------------------------------


def submit_attempt(
    session: Session, attempt: Attempt, *, now: dt.datetime | None = None, closed_by: str = "learner"
) -> bool:
    """Close and grade the attempt exactly once. True if this call closed it.

    Concurrent calls: the conditional UPDATE lets one caller through; the
    others see the graded attempt (idempotent).
    """
    now = now or utcnow()
    if attempt.deadline_at is not None and now > attempt.deadline_at + grace():
        closed_by = "overdue"
    result = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(submitted_at=now, closed_by=closed_by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(attempt)
        return False
    set_committed_value(attempt, "submitted_at", now)  # already written by the UPDATE above
    set_committed_value(attempt, "closed_by", closed_by)
    grade_attempt(session, attempt, now=now)
    return True


def grade_attempt(session: Session, attempt: Attempt, *, now: dt.datetime | None = None) -> None:
    """Score every answer from the attempt's snapshot (via the graders) and refresh completion."""
    answers = {
        a.question_id: a for a in session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }
    total = 0.0
    changes = []
    for entry in attempt.snapshot:
        answer = answers.get(entry["question_id"])
        response = answer.response if answer is not None else None
        score = grading.grade(entry["kind"], entry["data"], response, entry["points"])
        total += score.points
        if answer is not None and answer.score != score.points:
            changes.append({"id": answer.id, "score": score.points})
    if changes:
        session.execute(update(Answer), changes)
    quiz = attempt.quiz
    attempt.max_score = sum(e["points"] for e in attempt.snapshot)
    attempt.score = round(total, 4)
    attempt.percent = round(100 * total / attempt.max_score, 2) if attempt.max_score else 0.0
    attempt.passed = attempt.percent >= quiz.pass_mark
    attempt.graded_at = now or utcnow()
    session.flush()
    refresh_user_course(session, attempt.user_id, quiz.course_id)


def refresh_user_course(session: Session, user_id: int, course_id: int) -> None:
    from lms.learning.services import refresh_enrollment

    enrollment = session.scalars(
        select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
    ).first()
    if enrollment is not None:
        refresh_enrollment(session, enrollment)


# --- review policy ----------------------------------------------------------------


def may_review(
    quiz: Quiz, attempt: Attempt, attempts: Sequence[Attempt], *, now: dt.datetime | None = None
) -> bool:
    """May the learner see correct answers and explanations of this (submitted) attempt?

    after_close: once the quiz's closes_at has passed, or (without one) once the
    learner has no attempts left.
    """
    if attempt.is_open:
        return False
    if quiz.review == Review.AFTER_SUBMIT:
        return True
    if quiz.review == Review.NEVER:
        return False
    now = now or utcnow()
    if quiz.closes_at is not None:
        return now >= quiz.closes_at
    return attempts_left(quiz, attempts) == 0 and not any(a.is_open for a in attempts)


def review_items(attempt: Attempt, responses: dict[int, Any], *, reveal: bool) -> list[dict[str, Any]]:
    """Per-question results for the result page; answer key only when reveal."""
    scores = {}
    items = []
    for entry in attempt.snapshot:
        response = responses.get(entry["question_id"])
        score = grading.grade(entry["kind"], entry["data"], response, entry["points"])
        scores[entry["question_id"]] = score
        view = public_question(entry, response)
        view["score"] = score.points
        view["correct"] = score.correct
        view["partial"] = 0 < score.fraction < 1
        if reveal:
            view["explanation_html"] = entry["explanation_html"]
            view["key"] = _answer_key(entry, response)
        items.append(view)
    return items


def _answer_key(entry: dict[str, Any], response: Any) -> dict[str, Any]:
    kind, data = entry["kind"], entry["data"]
    if kind in ("single", "multiple"):
        chosen = set(response if isinstance(response, list) else [] if response is None else [response])
        return {
            "options": [
                {
                    "html": data["options"][i]["html"],
                    "correct": data["options"][i]["correct"],
                    "chosen": i in chosen,
                    "feedback_html": data["options"][i]["feedback_html"] if i in chosen else "",
                }
                for i in entry["order"]
            ]
        }
    if kind == "true_false":
        fb = "" if response is None else data["feedback_true_html" if response else "feedback_false_html"]
        return {"answer": data["answer"], "feedback_html": fb}
    if kind == "short_text":
        return {"answers": data["answers"]}
    if kind == "matching":
        return {"pairs": [(p["left_html"], p["right_html"]) for p in data["pairs"]]}
    if kind == "ordering":
        return {"items": data["items_html"]}
    return {}


# --- completion -------------------------------------------------------------------


def quiz_requirements(session: Session, enrollment: Enrollment) -> list[Requirement] | None:
    """Completion rule: required module quizzes passed; final exam passed (when the course asks)."""
    from flask_babel import lazy_gettext as _l

    course = enrollment.course
    quizzes = session.execute(
        select(Quiz.id, Quiz.key, Quiz.required).where(Quiz.course_id == course.id, Quiz.active.is_(True))
    ).all()
    if not quizzes:
        return None
    passed = _passed_quiz_ids(session, enrollment.user_id, [q.id for q in quizzes])
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


def _passed_quiz_ids(session: Session, user_id: int, quiz_ids: list[int]) -> set[int]:
    """Which of these quizzes the user has passed (at least one passing attempt)."""
    return set(
        session.scalars(
            select(Attempt.quiz_id).where(
                Attempt.user_id == user_id, Attempt.quiz_id.in_(quiz_ids), Attempt.passed.is_(True)
            )
        )
    )


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
    """Module gate (sequential modules): {module_id: its required quiz passed}, two statements."""
    course = enrollment.course
    if not course.require_quizzes:
        return {}
    quizzes = session.execute(
        select(Quiz.id, Quiz.module_id).where(
            Quiz.course_id == course.id,
            Quiz.active.is_(True),
            Quiz.required.is_(True),
            Quiz.key != FINAL_KEY,
            Quiz.module_id.is_not(None),
        )
    ).all()
    if not quizzes:
        return {}
    passed = _passed_quiz_ids(session, enrollment.user_id, [q.id for q in quizzes])
    return {q.module_id: q.id in passed for q in quizzes}


def lock_reason(session: Session, quiz: Quiz, user: User) -> str | None:
    """Why the learner may not start this quiz yet, or None (decision 1602).

    Enrol first; then missing prerequisites or a locked module; a module quiz opens once
    the module's required lessons are done; the final exam opens when the course's own
    rules are met without it (required lessons done, required module quizzes passed).
    """
    from flask_babel import gettext as _

    from lms.learning.services import course_outline, enrollment_for

    course = quiz.course
    enrollment = enrollment_for(session, user, course)
    if enrollment is None:
        return _("Enrol in the course first: its quizzes open as you study it.")
    outline = course_outline(session, course, user, enrollment)
    if outline.locked:
        return outline.modules[0].lock_reason if outline.modules else None
    if enrollment.is_complete:
        return None
    if quiz.is_final:
        passed = module_quiz_check(session, enrollment)
        missing = [
            m.title
            for m in outline.modules
            if (course.require_lessons and m.required_done < m.required_total) or passed.get(m.id) is False
        ]
        if missing:
            return _(
                "The final exam opens when every module is complete. Still to finish: %(titles)s.",
                titles=", ".join(missing),
            )
        return None
    for module in outline.modules:
        if module.id != quiz.module_id:
            continue
        if module.locked:
            return module.lock_reason
        if course.require_lessons and module.required_done < module.required_total:
            return _(
                'Finish the lessons of the module "%(title)s" first (%(done)d of %(total)d done).',
                title=module.title,
                done=module.required_done,
                total=module.required_total,
            )
    return None


def next_step(session: Session, enrollment: Enrollment, module_id: int) -> dict[str, str] | None:
    """After a module's lessons: its quiz, if it is not passed yet (learning's next-step hook)."""
    from flask import url_for
    from flask_babel import gettext as _

    quiz = session.scalars(
        select(Quiz).where(
            Quiz.course_id == enrollment.course_id, Quiz.module_id == module_id, Quiz.active.is_(True)
        )
    ).first()
    if quiz is None or quiz.id in _passed_quiz_ids(session, enrollment.user_id, [quiz.id]):
        return None
    return {
        "text": _("You have finished the lessons of this module. Next: its quiz."),
        "label": _("Take the module quiz"),
        "url": url_for("quizzes.intro", quiz_id=quiz.id),
    }


# --- regrading ----------------------------------------------------------------------


def regrade_question(session: Session, question: Question, *, by: User | None) -> int:
    """Re-grade every submitted attempt that answered question with its current answer key.

    The attempt keeps its display order; the key, points and explanation come
    from the corrected question. Returns the number of attempts regraded.
    """
    attempts = session.scalars(
        select(Attempt)
        .join(Answer, Answer.attempt_id == Attempt.id)
        .where(Answer.question_id == question.id, Attempt.submitted_at.is_not(None))
        .order_by(Attempt.id)
    ).all()
    count = 0
    changed = 0
    for attempt in attempts:
        snapshot = copy.deepcopy(attempt.snapshot)
        for entry in snapshot:
            if entry["question_id"] != question.id:
                continue
            if (
                grading.option_count(question.kind, question.data) != len(entry["order"])
                or entry["kind"] != question.kind
            ):
                continue  # structure changed: the attempt's display order no longer fits
            entry.update(
                data=copy.deepcopy(question.data),
                points=question.points,
                explanation_html=question.explanation_html,
            )
        before = attempt.score
        attempt.snapshot = snapshot
        grade_attempt(session, attempt)
        count += 1
        changed += int(before != attempt.score)
    record(
        session,
        "quiz.regrade",
        actor_id=by.id if by else None,
        subject=f"question:{question.id}",
        question=question.key,
        course_id=question.course_id,
        attempts=count,
        scores_changed=changed,
    )
    session.flush()
    return count


# --- statistics ---------------------------------------------------------------------


@dataclass
class QuestionStats:
    question_id: int
    key: str
    kind: str
    prompt_html: str
    responses: int = 0
    facility: float | None = None  # mean share of points, 0–1
    discrimination: float | None = None  # corrected item-total correlation, −1–1
    # (option html or "true"/"false", times chosen, is the key)
    choices: list[tuple[str, int, bool]] = field(default_factory=list)
    # matching: one row per pair (left html, right html); ordering: one per item in the
    # correct order (position from 1, item html) — with how often it was right, of the
    # answered responses
    part_kind: str = ""  # "pair" or "position"
    parts: list[PartStat] = field(default_factory=list)


@dataclass
class PartStat:
    """How often one pair of a matching question / one position of an ordering question was right."""

    label_html: str  # pair: the left side; position: the item that belongs there
    answer_html: str  # pair: the right side; position: "" (the number is ``position``)
    position: int  # 1-based
    right: int
    answered: int

    @property
    def share(self) -> float | None:
        return self.right / self.answered if self.answered else None


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def question_stats(session: Session, quiz: Quiz) -> list[QuestionStats]:
    """Facility, discrimination and option choice counts per question over submitted attempts."""
    attempts = session.execute(
        select(Attempt.id, Attempt.snapshot, Attempt.score).where(
            Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None)
        )
    ).all()
    answers: dict[tuple[int, int], Any] = {}
    if attempts:
        rows = session.execute(
            select(Answer.attempt_id, Answer.question_id, Answer.response, Answer.score)
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .where(Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None))
        ).all()
        answers = {(r.attempt_id, r.question_id): r for r in rows}
    questions = {
        q.id: q
        for q in session.scalars(
            select(Question).where(Question.course_id == quiz.course_id).order_by(Question.position)
        )
    }
    per_q: dict[int, list[tuple[float, float]]] = {}
    counts: dict[int, dict[Any, int]] = {}
    # matching / ordering: per question, [times answered, times right at each index]
    part_counts: dict[int, list[Any]] = {}
    for attempt in attempts:
        total = attempt.score or 0.0
        for entry in attempt.snapshot:
            qid = entry["question_id"]
            row = answers.get((attempt.id, qid))
            points = entry["points"] or 1
            item = (row.score or 0.0) if row is not None else 0.0
            per_q.setdefault(qid, []).append((item / points, total - item))
            if row is not None and row.response is not None:
                c = counts.setdefault(qid, {})
                values = row.response if entry["kind"] == "multiple" else [row.response]
                for v in values if entry["kind"] in ("single", "multiple", "true_false") else []:
                    c[v] = c.get(v, 0) + 1
                if entry["kind"] in ("matching", "ordering") and isinstance(row.response, list):
                    pc = part_counts.setdefault(qid, [0, {}])
                    pc[0] += 1
                    for i, v in enumerate(row.response):
                        if v == i:
                            pc[1][i] = pc[1].get(i, 0) + 1
    own = [q.id for q in quiz.questions]
    order = own + [qid for qid in per_q if qid not in own]
    result = []
    for qid in order:
        q = questions.get(qid)
        if q is None:
            continue
        pairs = per_q.get(qid, [])
        stats = QuestionStats(qid, q.key, q.kind, q.prompt_html, responses=len(pairs))
        if pairs:
            stats.facility = sum(p[0] for p in pairs) / len(pairs)
            stats.discrimination = _pearson([p[0] for p in pairs], [p[1] for p in pairs])
        c = counts.get(qid, {})
        if q.kind in ("single", "multiple"):
            stats.choices = [(o["html"], c.get(i, 0), o["correct"]) for i, o in enumerate(q.data["options"])]
        elif q.kind == "true_false":
            answer = q.data["answer"]
            stats.choices = [
                ("true", c.get(True, 0), answer is True),
                ("false", c.get(False, 0), answer is False),
            ]
        elif q.kind in ("matching", "ordering"):
            answered, right = part_counts.get(qid, [0, {}])
            if q.kind == "matching":
                stats.part_kind = "pair"
                stats.parts = [
                    PartStat(p["left_html"], p["right_html"], i + 1, right.get(i, 0), answered)
                    for i, p in enumerate(q.data["pairs"])
                ]
            else:
                stats.part_kind = "position"
                stats.parts = [
                    PartStat(html, "", i + 1, right.get(i, 0), answered)
                    for i, html in enumerate(q.data["items_html"])
                ]
        result.append(stats)
    return result


def attempt_counts(session: Session, quiz: Quiz) -> tuple[int, int]:
    """(submitted attempts, of which passed)."""
    total, passed = session.execute(
        select(func.count(Attempt.id), func.count(Attempt.id).filter(Attempt.passed.is_(True))).where(
            Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None)
        )
    ).one()
    return int(total), int(passed)
