from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from lms.core.text import fold
from lms.quizzes import attempts, kinds
from lms.quizzes.models import Attempt, SnapshotEntry
from tests.quizzes.helpers import load_fixture_course, quiz_by_key


@pytest.fixture
def course(session: Any) -> Any:
    return load_fixture_course(session)


@pytest.fixture
def m1(session: Any, course: Any) -> Any:
    return quiz_by_key(session, course, "01-tong-quan")


@pytest.fixture
def m2(session: Any, course: Any) -> Any:
    return quiz_by_key(session, course, "02-phap-ly")


@pytest.fixture
def final(session: Any, course: Any) -> Any:
    return quiz_by_key(session, course, "final")


@pytest.fixture
def learner(make_user: Any) -> Any:
    return make_user()


@pytest.fixture
def start(session: Any, learner: Any) -> Any:
    def do(quiz: Any, user: Any = None, **kw: Any) -> Any:
        kw.setdefault("rng", random.Random(7))
        return attempts.start_attempt(session, quiz, user or learner, **kw)

    return do


def answer_fields(entry: SnapshotEntry, *, correct: bool = True) -> dict[str, list[str]]:
    """Form fields (display positions) that answer a snapshot entry right (or wrong)."""
    kind, order, data, name = entry.kind, entry.order, entry.data, f"q{entry.question_id}"
    if kind in ("single", "multiple"):
        wanted = [i for i, o in enumerate(data["options"]) if o["correct"] == correct]
        if kind == "single":
            wanted = wanted[:1]
        return {name: [str(order.index(i)) for i in wanted]}
    if kind == "true_false":
        return {name: [str(data["answer"] == correct).lower()]}
    if kind == "short_text":
        return {name: [fold(data["answers"][-1]).upper() if correct else "sai"]}
    if kind == "matching":
        n = len(order)
        return {f"{name}_{li}": [str(order.index(li if correct else (li + 1) % n))] for li in range(n)}
    if kind == "ordering":
        # rank of the item shown at display position pos = its original index + 1
        ranks = [order[pos] + 1 for pos in range(len(order))]
        if not correct:
            ranks = [len(order) - r + 1 for r in ranks]
        return {f"{name}_{pos}": [str(r)] for pos, r in enumerate(ranks)}
    raise AssertionError(kind)


def save_fields(
    session: Any,
    attempt: Attempt,
    question_id: int,
    fields: dict[str, list[str]],
    seq: int,
    *,
    base: int,
    now: dt.datetime | None = None,
) -> int:
    """Autosave one question's form fields as the autosave view does: its kind reads them, then save."""
    entry = attempts.entry(attempt, question_id)
    response = kinds.get(entry.kind).read(entry, lambda name: fields.get(name, []))
    return attempts.save_answer(session, attempt, question_id, response, seq, base=base, now=now)


@pytest.fixture
def author(session: Any, make_user: Any, course: Any) -> Any:
    """A trainer listed as an author of the fixture course."""
    from lms.catalog.models import CourseAuthor

    user = make_user("trainer")
    session.add(CourseAuthor(course_id=course.id, user_id=user.id))
    session.flush()
    return user


def study_course(session: Any, user: Any, course: Any, *, pass_module_quizzes: bool = False) -> Any:
    """Enrol user and complete every lesson: the module quizzes open; with pass_module_quizzes
    (a passed attempt recorded for each), the final exam opens too."""
    from lms.learning.services import complete_lesson, enroll_user

    enrollment = enroll_user(session, user, course)
    for module in course.modules:
        for lesson in module.lessons:
            complete_lesson(session, enrollment, lesson)
    if pass_module_quizzes:
        import datetime as dt

        from sqlalchemy import select

        from lms.quizzes.models import Attempt, Quiz

        now = dt.datetime.now(dt.UTC)
        for quiz in session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.key != "final")):
            session.add(
                Attempt(
                    quiz_id=quiz.id,
                    user_id=user.id,
                    number=1,
                    started_at=now,
                    submitted_at=now,
                    graded_at=now,
                    snapshot=[],
                    score=1.0,
                    max_score=1.0,
                    percent=100.0,
                    passed=True,
                )
            )
        session.flush()
    return enrollment
