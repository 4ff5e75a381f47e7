"""The learner's path through a course: enrol first, the module quiz after its lessons, the final
exam when the course's rules are met, a way back after a result, and the in-person class."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.catalog.importer import import_course, parse_course
from lms.catalog.models import Course, CourseStatus
from lms.catalog.parts import ImportErrors
from lms.learning.models import Enrollment
from lms.learning.services import complete_lesson, enroll_user
from lms.quizzes.attempts import user_attempts
from lms.quizzes.models import Attempt, Quiz
from lms.quizzes.rules import lock_reason
from tests.quizzes.conftest import answer_fields, study_course

EXAMPLE = Path(__file__).resolve().parents[2] / "courses" / "_example" / "vi-du"


@pytest.fixture
def example(session):
    errors = ImportErrors()
    parsed = parse_course(EXAMPLE, errors)
    assert parsed is not None, errors.problems
    assert import_course(session, parsed, errors) is not None, errors.problems
    return session.scalars(select(Course).where(Course.slug == "vi-du")).one()


def quizzes_of(session, course):
    return {q.key: q for q in session.scalars(select(Quiz).where(Quiz.course_id == course.id))}


def test_last_lesson_of_a_module_says_take_the_module_quiz(session, example, login_as, learner):
    quiz = quizzes_of(session, example)["02-tiep-theo"]
    enrollment = enroll_user(session, learner, example)
    first, second = example.modules
    for lesson in [*first.lessons, *second.lessons[:-1]]:
        complete_lesson(session, enrollment, lesson)
    last = second.lessons[-1]
    client = login_as(learner)
    url = f"/courses/vi-du/learn/{second.key}/{last.key}"
    response = client.post(url + "/complete")
    assert response.status_code == 302
    assert response.location.endswith(url + "#next-step")
    html = client.get(url).get_data(as_text=True)
    assert "Hãy hoàn thành mô-đun" not in html
    assert "Bạn đã học xong các bài của mô-đun này" in html
    assert f'href="/quizzes/{quiz.id}">Làm bài kiểm tra mô-đun</a>' in html


def test_a_lesson_mid_module_goes_on_to_the_next_lesson(session, example, login_as, learner):
    enroll_user(session, learner, example)
    first = example.modules[0]
    response = login_as(learner).post(f"/courses/vi-du/learn/{first.key}/{first.lessons[0].key}/complete")
    assert response.location.endswith(f"/courses/vi-du/learn/{first.key}/{first.lessons[1].key}")


def test_quiz_cannot_be_started_without_enrolling(session, login_as, learner, course, m1):
    client = login_as(learner)
    html = client.get(f"/quizzes/{m1.id}").get_data(as_text=True)
    assert "Hãy đăng ký khoá học trước" in html
    assert f'action="/quizzes/{m1.id}/start"' not in html
    client.post(f"/quizzes/{m1.id}/start")
    assert session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == learner.id)) == 0
    assert session.scalar(select(func.count(Enrollment.id)).where(Enrollment.user_id == learner.id)) == 0


def test_quiz_list_shows_only_enrolled_courses(session, login_as, learner, course, m1):
    client = login_as(learner)
    assert f"/quizzes/{m1.id}" not in client.get("/quizzes/").get_data(as_text=True)
    enroll_user(session, learner, course)
    assert f"/quizzes/{m1.id}" in client.get("/quizzes/").get_data(as_text=True)


def test_final_exam_opens_when_every_module_is_complete(session, login_as, learner, course, final):
    enroll_user(session, learner, course)
    client = login_as(learner)
    html = client.get(f"/quizzes/{final.id}").get_data(as_text=True)
    assert "Bài thi cuối khoá mở khi mọi mô-đun đã hoàn thành" in html
    client.post(f"/quizzes/{final.id}/start")
    assert user_attempts(session, final, learner) == []
    study_course(session, learner, course, pass_module_quizzes=True)
    client.get(f"/quizzes/{final.id}")  # shows (and clears) the flash of the refused start
    html = client.get(f"/quizzes/{final.id}").get_data(as_text=True)
    assert "mở khi mọi mô-đun" not in html
    assert f'action="/quizzes/{final.id}/start"' in html
    assert client.post(f"/quizzes/{final.id}/start").status_code == 302
    assert len(user_attempts(session, final, learner)) == 1


def test_final_exam_is_open_from_the_start_when_the_course_asks_for_nothing_else(
    session, learner, course, final
):
    course.require_lessons = False
    course.require_quizzes = False
    enroll_user(session, learner, course)
    assert lock_reason(session, final, learner) is None


def test_result_page_leads_back_to_the_course(session, login_as, learner, course, m1):
    study_course(session, learner, course)
    client = login_as(learner)
    client.post(f"/quizzes/{m1.id}/start")
    attempt = session.scalars(select(Attempt).where(Attempt.user_id == learner.id)).one()
    for seq, e in enumerate(attempt.entries, 1):
        client.post(
            f"/quizzes/attempt/{attempt.id}/autosave",
            json={"question": e.question_id, "seq": seq, "base": seq - 1, "fields": answer_fields(e)},
        )
    client.post(f"/quizzes/attempt/{attempt.id}/submit")
    html = client.get(f"/quizzes/attempt/{attempt.id}/result").get_data(as_text=True)
    assert f'href="/courses/{course.slug}/continue">Học tiếp</a>' in html


def test_in_person_course_shows_the_learners_class_or_that_none_is_scheduled(
    session, login_as, make_user, make_unit
):
    from lms.training.models import ClassMember, TrainingClass

    learner = make_user(unit=make_unit())
    course = Course(
        slug="lop-tap-trung",
        title="Lớp tập trung",
        summary="Học tại lớp.",
        status=CourseStatus.PUBLISHED,
        require_lessons=False,
        require_quizzes=False,
        require_final_exam=False,
        require_attendance=True,
    )
    session.add(course)
    session.flush()
    enroll_user(session, learner, course, source="assigned")
    client = login_as(learner)
    html = client.get("/courses/lop-tap-trung").get_data(as_text=True)
    assert "Chưa có lớp nào được xếp cho bạn" in html
    cls = TrainingClass(
        course_id=course.id,
        title="Lớp đợt 2",
        place="Hội trường UBND huyện",
        starts_on=dt.date(2027, 3, 2),
        ends_on=dt.date(2027, 3, 3),
        trainer="Lê Minh Tuấn",
        unit_id=learner.org_unit_id,
    )
    session.add(cls)
    session.flush()
    session.add(ClassMember(class_id=cls.id, user_id=learner.id))
    session.flush()
    html = client.get("/courses/lop-tap-trung").get_data(as_text=True)
    assert "Chưa có lớp nào" not in html
    for text in ("Lớp đợt 2", "Hội trường UBND huyện", "Lê Minh Tuấn", "02/03/2027", "03/03/2027"):
        assert text in html
