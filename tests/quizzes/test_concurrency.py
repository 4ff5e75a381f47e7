"""Races against a committed database (own engine; not the rolled-back test transaction).

Ten threads wait at a barrier and then submit / save / start at once. Runs on
SQLite (BEGIN IMMEDIATE) and on PostgreSQL (row locks) with LMS_TEST_DATABASE_URL.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from lms.auth.models import User
from lms.catalog.models import Course
from lms.db import make_engine
from lms.quizzes import attempts, errors
from lms.quizzes.models import Answer, Attempt, Quiz
from tests.quizzes.conftest import answer_fields, save_fields
from tests.quizzes.helpers import load_fixture_course

THREADS = 10


@pytest.fixture
def committed_db(app: Any, database_url: str) -> Iterator[dict[str, Any]]:
    """A course, quiz and learner committed through a separate engine; removed afterwards."""
    engine = make_engine(database_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    slug = f"race-{uuid.uuid4().hex[:8]}"
    with app.app_context(), factory() as session:
        course = load_fixture_course(session, slug=slug)
        user = User(username=slug, full_name="Thí sinh", password_hash="x")
        user.set_roles({"learner"})
        session.add(user)
        session.flush()
        quiz = session.scalars(
            select(Quiz).where(Quiz.course_id == course.id, Quiz.key == "01-tong-quan")
        ).one()
        ids = {"course": course.id, "user": user.id, "quiz": quiz.id}
        session.commit()
    try:
        yield {"factory": factory, "app": app, **ids}
    finally:
        with factory() as session:
            session.execute(delete(User).where(User.id == ids["user"]))
            session.execute(delete(Course).where(Course.id == ids["course"]))
            session.commit()
        engine.dispose()


def race(db: dict[str, Any], work: Callable[[Session], Any]) -> list[Any]:
    """Run work(session) in THREADS threads released together; return results (or exceptions)."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(i: int) -> None:
        with db["app"].app_context(), db["factory"]() as session:
            try:
                barrier.wait(timeout=30)
                results[i] = work(session)
                session.commit()
            except Exception as exc:  # collected and asserted by the test
                session.rollback()
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def start_committed(db: dict[str, Any]) -> Attempt:
    with db["app"].app_context(), db["factory"]() as session:
        quiz = session.get(Quiz, db["quiz"])
        attempt = attempts.start_attempt(session, quiz, session.get(User, db["user"]), rng=random.Random(3))
        for seq, entry in enumerate(attempt.entries, 1):
            save_fields(session, attempt, entry.question_id, answer_fields(entry), seq, base=seq - 1)
        session.commit()
        return attempt


def test_ten_concurrent_submits_grade_once(committed_db):
    attempt_id = start_committed(committed_db).id

    def submit(session: Session) -> tuple[bool, float | None]:
        attempt = session.get(Attempt, attempt_id)
        closed_here = attempts.submit_attempt(session, attempt)
        return closed_here, attempt.score

    results = race(committed_db, submit)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(1 for closed, _ in results if closed) == 1
    assert {score for _, score in results} == {7.0}
    with committed_db["factory"]() as session:
        attempt = session.get(Attempt, attempt_id)
        assert attempt.submitted_at is not None
        assert attempt.score == 7.0
        assert attempt.passed is True
        graded = session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == committed_db["user"]))
        assert graded == 1


def test_ten_concurrent_saves_with_one_seq_store_one_answer(committed_db):
    attempt = start_committed(committed_db)
    entry = next(e for e in attempt.entries if e.kind == "short_text")
    next_seq = attempt.last_seq + 1

    def save(i: int) -> Callable[[Session], int]:
        def work(session: Session) -> int:
            a = session.get(Attempt, attempt.id)
            return save_fields(
                session,
                a,
                entry.question_id,
                {f"q{entry.question_id}": [f"tab {i}"]},
                next_seq,
                base=next_seq - 1,
            )

        return work

    counter = iter(range(THREADS))
    lock = threading.Lock()

    def work(session: Session) -> int:
        with lock:
            i = next(counter)
        return save(i)(session)

    results = race(committed_db, work)
    accepted = [r for r in results if r == next_seq]
    refused = [r for r in results if isinstance(r, errors.StaleSaveError)]
    assert len(accepted) == 1
    assert len(refused) == THREADS - 1
    with committed_db["factory"]() as session:
        answer = session.scalars(
            select(Answer).where(Answer.attempt_id == attempt.id, Answer.question_id == entry.question_id)
        ).one()
        assert answer.seq == next_seq
        assert answer.response.startswith("tab ")


def test_ten_concurrent_starts_make_one_attempt(committed_db):
    def start(session: Session) -> int:
        quiz = session.get(Quiz, committed_db["quiz"])
        return attempts.start_attempt(session, quiz, session.get(User, committed_db["user"])).id

    results = race(committed_db, start)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
