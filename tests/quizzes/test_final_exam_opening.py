"""When the final exam opens: the course's own rule (issue 16), from the trainer's form to the
learner's page and through the course files."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from lms.catalog.exporter import course_yaml, export_course
from lms.catalog.importer import import_course, parse_course
from lms.catalog.models import Course
from lms.catalog.parts import ImportErrors
from lms.learning.services import complete_lesson, enroll_user
from lms.quizzes.rules import lock_reason
from tests.quizzes.conftest import study_course
from tests.quizzes.test_learner_path import EXAMPLE, quizzes_of


@pytest.fixture
def example(session):
    errors = ImportErrors()
    parsed = parse_course(EXAMPLE, errors)
    assert parsed is not None, errors.problems
    assert import_course(session, parsed, errors) is not None, errors.problems
    return session.scalars(select(Course).where(Course.slug == "vi-du")).one()


def test_from_enrolment_the_final_exam_is_open_at_once(session, learner, course, final):
    course.final_exam_opens = "enrolment"
    enroll_user(session, learner, course)
    assert lock_reason(session, final, learner) is None


def test_from_a_date_the_learner_is_told_the_day(session, login_as, learner, course, final):
    course.final_exam_opens = "2099-03-15"
    study_course(session, learner, course, pass_module_quizzes=True)  # everything else done
    html = login_as(learner).get(f"/quizzes/{final.id}").get_data(as_text=True)
    assert "Bài thi cuối khoá mở từ ngày 15/03/2099." in html
    assert f'action="/quizzes/{final.id}/start"' not in html
    course.final_exam_opens = "2020-01-01"
    assert lock_reason(session, final, learner) is None


def test_after_the_lessons_module_quizzes_are_not_needed(session, login_as, learner, example):
    final = quizzes_of(session, example)["final"]
    example.final_exam_opens = "lessons"
    enrollment = enroll_user(session, learner, example)
    html = login_as(learner).get(f"/quizzes/{final.id}").get_data(as_text=True)
    assert "Bài thi cuối khoá mở khi mọi bài học bắt buộc đã được học. Còn phải học: Bắt đầu" in html
    for module in example.modules:
        for lesson in module.lessons:
            complete_lesson(session, enrollment, lesson)  # no module quiz passed
    assert lock_reason(session, final, learner) is None
    example.final_exam_opens = "modules"  # the default still wants the module quizzes
    assert "every module is complete" in (lock_reason(session, final, learner) or "")


def test_course_files_carry_the_rule_and_refuse_a_bad_one(session, example, tmp_path):
    course = example
    assert "final_exam_opens" not in course_yaml(course)  # the default is not written
    course.final_exam_opens = "2027-01-15"
    folder = export_course(session, course, tmp_path)
    text = (folder / "course.yaml").read_text(encoding="utf-8")
    assert "final_exam_opens: '2027-01-15'" in text
    (folder / "course.yaml").write_text(
        text.replace("final_exam_opens: '2027-01-15'", "final_exam_opens: lessons")
    )
    errors = ImportErrors()
    parsed = parse_course(folder, errors)
    assert parsed is not None, errors.problems
    assert import_course(session, parsed, errors) is not None, errors.problems
    session.refresh(course)
    assert course.final_exam_opens == "lessons"

    from lms.catalog.importer import COURSE_SPEC

    check = COURSE_SPEC["final_exam_opens"].check
    assert check is not None
    assert check(yaml.safe_load("2027-01-15")) is None  # YAML reads a bare date as a date
    assert check("lessons") is None
    assert check("after-modules") is not None
