"""The quizzes part inside the real course importer, the course page links and sequential modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from lms.catalog.importer import import_course, parse_course
from lms.catalog.models import Course
from lms.catalog.parts import ImportErrors
from lms.learning.models import Enrollment
from lms.learning.services import complete_lesson, course_outline, enroll_user
from lms.quizzes import attempts, rules
from lms.quizzes.models import Question, Quiz
from tests.quizzes.conftest import answer_fields, save_fields

EXAMPLE = Path(__file__).resolve().parents[2] / "courses" / "_example" / "vi-du"


@pytest.fixture
def example(session):
    errors = ImportErrors()
    parsed = parse_course(EXAMPLE, errors)
    assert parsed is not None, errors.problems
    change = import_course(session, parsed, errors)
    assert change is not None, errors.problems
    return session.scalars(select(Course).where(Course.slug == "vi-du")).one()


def quizzes_of(session, course):
    return {q.key: q for q in session.scalars(select(Quiz).where(Quiz.course_id == course.id))}


def test_import_creates_the_module_quiz_and_final_exam(session, example):
    quizzes = quizzes_of(session, example)
    assert set(quizzes) == {"02-tiep-theo", "final"}
    assert quizzes["02-tiep-theo"].module.key == "02-tiep-theo"
    kinds = {q.kind for q in quizzes["02-tiep-theo"].questions}
    assert kinds == {"single", "multiple", "true_false", "short_text", "matching", "ordering"}


def test_reimport_of_unchanged_files_changes_nothing(session, example):
    before = {
        q.key: (q.id, q.data)
        for q in session.scalars(select(Question).where(Question.course_id == example.id))
    }
    errors = ImportErrors()
    change = import_course(session, parse_course(EXAMPLE, errors), errors)
    assert change.action == "unchanged"
    after = {
        q.key: (q.id, q.data)
        for q in session.scalars(select(Question).where(Question.course_id == example.id))
    }
    assert after == before


def test_course_page_links_the_quizzes_for_enrolled_learners(session, example, login_as, learner):
    quizzes = quizzes_of(session, example)
    client = login_as(learner)
    assert f"/quizzes/{quizzes['final'].id}" not in client.get("/courses/vi-du").get_data(as_text=True)
    enroll_user(session, learner, example)
    html = client.get("/courses/vi-du").get_data(as_text=True)
    assert f"/quizzes/{quizzes['final'].id}" in html
    # module 2 is locked (sequential) until module 1's lessons are done: no link, and no start
    assert f'/quizzes/{quizzes["02-tiep-theo"].id}"' not in html
    module_quiz = quizzes["02-tiep-theo"]
    client.post(f"/quizzes/{module_quiz.id}/start")
    assert attempts.user_attempts(session, module_quiz, learner) == []
    enrollment = session.scalars(select(Enrollment).where(Enrollment.user_id == learner.id)).one()
    for lesson in example.modules[0].lessons:
        complete_lesson(session, enrollment, lesson)
    html = client.get("/courses/vi-du").get_data(as_text=True)
    assert f"/quizzes/{module_quiz.id}" in html
    # The module is open, but its quiz waits for the module's own lessons (decision 1602).
    client.post(f"/quizzes/{module_quiz.id}/start")
    assert attempts.user_attempts(session, module_quiz, learner) == []
    assert "Finish the lessons of the module" in client.get(f"/quizzes/{module_quiz.id}").get_data(
        as_text=True
    ) or (
        "Hãy học xong các bài của mô-đun" in client.get(f"/quizzes/{module_quiz.id}").get_data(as_text=True)
    )
    for lesson in example.modules[1].lessons:
        complete_lesson(session, enrollment, lesson)
    assert client.post(f"/quizzes/{module_quiz.id}/start").status_code == 302
    assert len(attempts.user_attempts(session, module_quiz, learner)) == 1


def test_module_quiz_gates_the_next_module_and_completion(session, example, learner, start):
    quizzes = quizzes_of(session, example)
    enrollment = enroll_user(session, learner, example)
    for module in example.modules:
        for lesson in module.lessons:
            complete_lesson(session, enrollment, lesson)
    module_quiz = quizzes["02-tiep-theo"]
    assert rules.module_quiz_check(session, enrollment) == {module_quiz.module_id: False}
    outline = course_outline(session, example, learner, enrollment)
    assert next(m for m in outline.modules if m.id == module_quiz.module_id).extra_pending
    for quiz in (module_quiz, quizzes["final"]):
        attempt = start(quiz)
        for seq, entry in enumerate(attempt.entries, 1):
            save_fields(session, attempt, entry.question_id, answer_fields(entry), seq, base=seq - 1)
        attempts.submit_attempt(session, attempt)
        assert attempt.passed
    assert rules.module_quiz_check(session, enrollment) == {module_quiz.module_id: True}
    assert enrollment.completed_at is not None
