"""Learner pages issue at most 12 statements, and none twice (issue 12).

The course page used to issue 16: the learner's quiz attempts were read twice (module gates and
completion requirements), the course's quizzes three times, and visibility and authorship were
checked separately. Counts include loading the signed-in user and their roles.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.catalog.models import Course, Lesson
from lms.learning.services import complete_lesson, enroll_user
from lms.quizzes.models import Quiz
from tests.catalog.helpers import import_dir

REAL_COURSE = Path(__file__).resolve().parents[2] / "courses" / "chu-ky-so-cong-vu"
LIMIT = 12


@pytest.fixture
def learner_pages(session, make_user, login_as):
    import_dir(session, REAL_COURSE)
    course = session.scalars(select(Course)).one()
    quiz = session.scalars(select(Quiz).where(Quiz.course_id == course.id)).first()
    assert quiz is not None, "the page under test shows quiz links and requirements"
    lesson = session.scalars(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id)).first()
    learner = make_user()
    enrollment = enroll_user(session, learner, course)
    complete_lesson(session, enrollment, lesson)
    session.flush()
    urls = [
        "/",
        "/courses/",
        f"/courses/{course.slug}",
        f"/courses/{course.slug}/learn/{lesson.module.key}/{lesson.key}",
        "/quizzes/",
        f"/quizzes/course/{course.id}",
        f"/quizzes/{quiz.id}",
        "/certificates/mine",
        "/training/my",
    ]
    return login_as(learner), urls


def test_learner_pages_stay_within_twelve_statements_and_repeat_none(learner_pages, count_queries):
    client, urls = learner_pages
    for url in urls:
        client.get(url)  # warm: translations, templates, the lesson pointer written once
    too_many, repeated, counts = {}, {}, {}
    for url in urls:
        with count_queries() as q:
            assert client.get(url).status_code == 200, url
        counts[url] = q.count
        if q.count > LIMIT:
            too_many[url] = q.count
        twice = [s for s, n in Counter(q.statements).items() if n > 1]
        if twice:
            repeated[url] = twice
    print("statements per learner page:", counts)
    assert too_many == {}
    assert repeated == {}


def test_the_course_page_reads_quizzes_and_attempts_once(learner_pages, count_queries):
    client, urls = learner_pages
    course_page = urls[2]
    client.get(course_page)
    with count_queries() as q:
        client.get(course_page)
    from_quizzes = [s for s in q.statements if "FROM quizzes" in s]
    reading_attempts = [s for s in q.statements if "quiz_attempts" in s]
    assert len(from_quizzes) == 1, from_quizzes
    # Since issue 19 the attempts come joined to the quizzes, in that same statement.
    assert reading_attempts == from_quizzes, reading_attempts
    assert q.count <= 4
