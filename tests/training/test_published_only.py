"""Issue 14, item 2: never-published courses stay out of HR's assignment, class and report forms."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.catalog.models import CourseStatus
from lms.learning.models import Enrollment
from lms.training import services
from lms.training.models import Assignment


@pytest.fixture
def draft(session, make_course):
    course = make_course(title="Khoá nháp chưa xuất bản")
    course.status, course.version = CourseStatus.DRAFT, 0  # as authoring creates it
    session.flush()
    return course


def test_draft_course_is_not_offered_or_assignable(
    session, login_as, make_unit, make_user, make_course, draft
):
    district = make_unit()
    learner = make_user(unit=make_unit(district))
    make_course(title="Khoá đã xuất bản")
    client = login_as(make_user(Role.HR, scope=district))
    for url in ("/training/assignments", "/training/classes/new", "/training/targets", "/reports/"):
        page = client.get(url).get_data(as_text=True)
        assert "Khoá nháp chưa xuất bản" not in page, url
    assert "Khoá đã xuất bản" in client.get("/training/assignments").get_data(as_text=True)
    client.post(
        "/training/assignments",
        data={"course_id": draft.id, "year": 2026, "due_date": "2026-12-31", "unit_id": district.id},
    )
    assert session.scalar(select(Assignment).where(Assignment.course_id == draft.id)) is None
    assert session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id)) is None


def test_services_refuse_a_draft(session, make_unit, make_user, draft):
    unit = make_unit()
    hr = make_user(Role.HR, scope=unit)
    with pytest.raises(services.TrainingError):
        services.create_assignment(
            session, course=draft, year=2026, due_at=None, unit=unit, owner=unit, by=hr
        )
    with pytest.raises(services.TrainingError):
        services.create_class(
            session, course=draft, unit=unit, title="Lớp", place="", starts_on=dt.date(2026, 12, 1),
            ends_on=dt.date(2026, 12, 2), trainer="", capacity=10, by=hr,
        )  # fmt: skip
