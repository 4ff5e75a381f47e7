"""Attempts: draw, start, save answers, submit (idempotent), close overdue, grade and regrade.

Services flush, never commit. Scores come only from the kinds' graders
(``lms.quizzes.kinds`` → ``lms.quizzes.grading``). Answers arrive already read
from the form by the kinds (``kinds.read_page`` / ``QuestionKind.read``), in
original indices. Concurrency rests on conditional UPDATEs of the attempt row:
a save advances ``last_seq`` only ``WHERE last_seq < :seq AND submitted_at IS
NULL`` and a submit sets ``submitted_at`` only ``WHERE submitted_at IS NULL``,
so on PostgreSQL (row lock) and SQLite (BEGIN IMMEDIATE) exactly one writer wins.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from typing import Any

from blinker import Namespace
from flask import current_app, has_app_context
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.models import User
from lms.catalog.models import Course
from lms.core.audit import record
from lms.db import utcnow
from lms.learning.models import Enrollment
from lms.quizzes import kinds
from lms.quizzes.errors import (
    AttemptClosedError,
    BadAnswerError,
    NoAttemptsLeftError,
    PrerequisitesMissingError,
    QuizClosedError,
    QuizError,
    StaleSaveError,
)
from lms.quizzes.models import Answer, Attempt, Question, Quiz, SnapshotEntry

signals = Namespace()
attempt_graded = signals.signal("attempt-graded")
"""Sent with sender=attempt, session=session each time an attempt is (re)graded, after the flush."""

DEFAULT_GRACE_SECONDS = 30


def grace() -> dt.timedelta:
    seconds = DEFAULT_GRACE_SECONDS
    if has_app_context():
        seconds = int(current_app.config.get("QUIZ_GRACE_SECONDS", DEFAULT_GRACE_SECONDS))
    return dt.timedelta(seconds=seconds)


# --- attempts of a learner ---------------------------------------------------


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


def snapshot_entry(question: Question, rng: random.Random, *, shuffle_options: bool) -> SnapshotEntry:
    """What an attempt keeps of a question: content, answer key and display order (its kind decides)."""
    return kinds.get(question.kind).snapshot(question, rng, shuffle_options=shuffle_options)


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
    entries = [snapshot_entry(q, rng, shuffle_options=quiz.shuffle_options) for q in questions]
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=len(attempts) + 1,
        started_at=now,
        deadline_at=deadline,
        snapshot=[e.to_json() for e in entries],
        max_score=sum(e.points for e in entries),
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
                        "question_id": e.question_id,
                        "response": None,
                        "seq": 0,
                        "saved_at": now,
                    }
                    for e in entries
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


def entry(attempt: Attempt, question_id: int) -> SnapshotEntry:
    """The attempt's snapshot of one question; BadAnswerError if the attempt did not draw it.

    Autosave's path: only the entry asked for is typed, not the whole snapshot.
    """
    for value in attempt.snapshot:
        if value["question_id"] == question_id:
            return SnapshotEntry.from_json(value)
    raise BadAnswerError("question not in this attempt")


def pages(attempt: Attempt) -> list[list[SnapshotEntry]]:
    """The attempt's questions split into the quiz's pages (one page when it does not page)."""
    entries = attempt.entries
    per_page = attempt.quiz.questions_per_page or len(entries) or 1
    return [entries[i : i + per_page] for i in range(0, len(entries), per_page)] or [[]]


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
    response: Any,
    seq: int,
    *,
    base: int,
    now: dt.datetime | None = None,
) -> int:
    """Autosave one question's response (read by its kind from the page's fields). Returns the stored seq.

    ``base`` is the last seq the client knows the server accepted; the save is
    taken only if that is still the attempt's ``last_seq`` and ``seq > base``.
    Otherwise another tab or device saved in between: StaleSaveError (unless the
    request repeats exactly what is stored: a retry after a lost response).
    AttemptClosedError when submitted or past the deadline + grace.
    """
    now = now or utcnow()
    if close_if_overdue(session, attempt, now=now) or not attempt.is_open:
        raise AttemptClosedError("closed")
    entry(attempt, question_id)  # BadAnswerError for a question the attempt did not draw
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


def save_page(
    session: Session,
    attempt: Attempt,
    responses: Mapping[int, Any],
    base_seq: int,
    *,
    now: dt.datetime | None = None,
) -> int:
    """Save the responses of the questions shown on a page (the no-JS "Save and continue"); returns the seq.

    base_seq is the attempt's last_seq when the page was rendered; a newer save
    since then (another tab) refuses the whole page with StaleSaveError.
    Questions whose fields could not be read are left out of ``responses`` by the caller.
    """
    now = now or utcnow()
    if close_if_overdue(session, attempt, now=now) or not attempt.is_open:
        raise AttemptClosedError("closed")
    seq = base_seq + 1
    if not _claim_seq(session, attempt, base_seq, seq, now):
        raise _why_refused(session, attempt, now)
    drawn = {e.question_id for e in attempt.entries}
    for qid, response in responses.items():
        if qid not in drawn:
            raise BadAnswerError("question not in this attempt")
        _write_answer(session, attempt.id, qid, response, seq, now)
    return seq


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
    entries = attempt.entries
    for e in entries:
        answer = answers.get(e.question_id)
        response = answer.response if answer is not None else None
        score = kinds.get(e.kind).grade(e.data, response, e.points)
        total += score.points
        if answer is not None and answer.score != score.points:
            changes.append({"id": answer.id, "score": score.points})
    if changes:
        session.execute(update(Answer), changes)
    quiz = attempt.quiz
    attempt.max_score = sum(e.points for e in entries)
    attempt.score = round(total, 4)
    attempt.percent = round(100 * total / attempt.max_score, 2) if attempt.max_score else 0.0
    attempt.passed = attempt.percent >= quiz.pass_mark
    attempt.graded_at = now or utcnow()
    session.flush()
    refresh_user_course(session, attempt.user_id, quiz.course_id)
    attempt_graded.send(attempt, session=session)


def refresh_user_course(session: Session, user_id: int, course_id: int) -> None:
    from lms.learning.services import refresh_enrollment

    enrollment = session.scalars(
        select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
    ).first()
    if enrollment is not None:
        refresh_enrollment(session, enrollment)


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
        entries = [_rekeyed(e, question) for e in attempt.entries]
        before = attempt.score
        attempt.snapshot = [e.to_json() for e in entries]
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


def _rekeyed(entry: SnapshotEntry, question: Question) -> SnapshotEntry:
    """The entry with the question's current answer key, points and explanation (same display order)."""
    if entry.question_id != question.id:
        return entry
    if entry.kind != question.kind or kinds.get(question.kind).size(question.data) != len(entry.order):
        return entry  # structure changed: the attempt's display order no longer fits
    return dataclasses.replace(
        entry,
        data=copy.deepcopy(question.data),
        points=question.points,
        explanation_html=question.explanation_html,
    )
