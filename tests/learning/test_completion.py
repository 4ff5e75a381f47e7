"""Completion rules and what a new course version does to learners' progress."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.learning import completion
from lms.learning.completion import Requirement, enrollment_completed
from lms.learning.services import complete_lesson, enroll_user, percent_of, refresh_enrollment
from tests.catalog.helpers import copy_fixture, import_dir


def _lessons(course):
    return [les for m in course.modules for les in m.lessons]


@pytest.fixture
def course_dir(tmp_path):
    return copy_fixture(tmp_path)


@pytest.fixture
def course(session, course_dir):
    import_dir(session, course_dir.parent)
    from lms.catalog.models import Course

    return session.scalars(select(Course).where(Course.slug == "co-ban-chu-ky-so")).one()


def test_percent_is_clamped():
    assert percent_of(0, 0) == 100
    assert percent_of(5, 3) == 100
    assert percent_of(-1, 3) == 0
    assert percent_of(1, 3) == 33


def test_optional_lessons_do_not_count(session, make_user, course):
    enrollment = enroll_user(session, make_user(), course)
    required = [les for les in _lessons(course) if les.required]
    for lesson in required:
        complete_lesson(session, enrollment, lesson)
    assert len(required) == 3
    assert enrollment.progress_percent == 100
    assert enrollment.completed_at is not None
    assert enrollment.completed_version == 1


def test_completion_waits_for_registered_requirements_and_is_signalled_once(session, make_user, course):
    passed = {"quiz": False}
    sent = []

    def quiz_rule(_session, _enrollment):
        return Requirement("quizzes", "Quizzes passed", passed["quiz"])

    def on_complete(enrollment, **kw):
        sent.append(enrollment.id)

    completion.register_requirement(quiz_rule)
    enrollment_completed.connect(on_complete)
    try:
        enrollment = enroll_user(session, make_user(), course)
        for lesson in _lessons(course):
            complete_lesson(session, enrollment, lesson)
        assert enrollment.progress_percent == 100
        assert enrollment.completed_at is None
        passed["quiz"] = True
        refresh_enrollment(session, enrollment)
        refresh_enrollment(session, enrollment)
        assert enrollment.completed_at is not None
        assert sent == [enrollment.id]
    finally:
        completion.REQUIREMENTS.discard(quiz_rule)
        enrollment_completed.disconnect(on_complete)


def test_new_version_keeps_completed_complete_and_recomputes_in_progress(
    session, make_user, course, course_dir
):
    done = enroll_user(session, make_user(), course)
    for lesson in _lessons(course):
        complete_lesson(session, done, lesson)
    halfway = enroll_user(session, make_user(), course)
    complete_lesson(session, halfway, _lessons(course)[0])
    assert halfway.progress_percent == 33

    (course_dir / "02-thuc-hanh" / "03-moi.md").write_text(
        "---\ntitle: Bài mới\norder: 3\nestimated_minutes: 5\n---\n\nNội dung mới.\n"
    )
    (change,) = import_dir(session, course_dir.parent)
    assert change.new_version == 2
    session.refresh(done)
    session.refresh(halfway)
    assert done.completed_at is not None
    assert done.completed_version == 1
    assert done.progress_percent == 100
    assert halfway.completed_at is None
    assert halfway.progress_percent == 25  # 1 of 4 required lessons


def test_new_version_removing_the_last_missing_lesson_completes(session, make_user, course, course_dir):
    enrollment = enroll_user(session, make_user(), course)
    for lesson in _lessons(course)[:2]:
        complete_lesson(session, enrollment, lesson)
    (course_dir / "02-thuc-hanh" / "01-ky-van-ban.md").unlink()
    import_dir(session, course_dir.parent)
    session.refresh(enrollment)
    assert enrollment.progress_percent == 100
    assert enrollment.completed_at is not None
    assert enrollment.completed_version == 2


def test_module_check_keeps_next_module_locked(session, make_user, course):
    from lms.learning.services import course_outline

    first_module = course.modules[0]

    def quiz_gate(_session, _enrollment):
        return {first_module.id: False}

    user = make_user()
    enrollment = enroll_user(session, user, course)
    for lesson in first_module.lessons:
        complete_lesson(session, enrollment, lesson)
    assert not course_outline(session, course, user, enrollment).modules[1].locked
    completion.register_module_check(quiz_gate)
    try:
        outline = course_outline(session, course, user, enrollment)
        assert outline.modules[1].locked
        assert "Khái niệm chữ ký số" in outline.modules[1].lock_reason
    finally:
        completion.MODULE_CHECKS.discard(quiz_gate)
