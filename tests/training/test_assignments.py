"""Assignments: subtree and job-title rules, listed people, new joiners, learners' view, HR pages."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.auth.signals import user_unit_changed
from lms.db import utcnow
from lms.learning.models import Enrollment
from lms.training.services import close_assignment, create_assignment


@pytest.fixture
def tree(make_unit):
    province = make_unit()
    district = make_unit(province)
    commune = make_unit(district)
    other = make_unit(province)
    return province, district, commune, other


def enrolled(session, course):
    return dict(
        session.execute(
            select(Enrollment.user_id, Enrollment.due_at).where(Enrollment.course_id == course.id)
        ).all()
    )


def test_subtree_assignment_with_job_title_filter(session, tree, make_user, make_course):
    _p, district, commune, other = tree
    hr = make_user(Role.HR, scope=district)
    clerk = make_user(unit=commune, job_title="Văn thư")
    clerk2 = make_user(unit=district, job_title="văn thư")
    expert = make_user(unit=commune, job_title="Chuyên viên")
    outside = make_user(unit=other, job_title="Văn thư")
    inactive = make_user(unit=commune, job_title="Văn thư", is_active=False)
    course = make_course()
    due = utcnow() + dt.timedelta(days=30)
    _a, n = create_assignment(
        session,
        course=course,
        year=2026,
        due_at=due,
        unit=district,
        job_title="Văn thư",
        owner=district,
        by=hr,
    )
    assert n == 2
    got = enrolled(session, course)
    assert set(got) == {clerk.id, clerk2.id}
    assert expert.id not in got
    assert outside.id not in got
    assert inactive.id not in got
    assert got[clerk.id] == due


def test_assignment_tightens_due_date_and_keeps_existing_enrolment(session, tree, make_user, make_course):
    _p, district, commune, _o = tree
    hr = make_user(Role.HR, scope=district)
    person = make_user(unit=commune)
    course = make_course()
    later, sooner = utcnow() + dt.timedelta(days=60), utcnow() + dt.timedelta(days=20)
    create_assignment(session, course=course, year=2026, due_at=later, unit=district, owner=district, by=hr)
    _a, n = create_assignment(
        session, course=course, year=2026, due_at=sooner, unit=commune, owner=district, by=hr
    )
    assert n == 0
    session.expire_all()
    assert enrolled(session, course) == {person.id: sooner}


def test_listed_people_assignment(session, tree, make_user, make_course):
    _p, district, commune, _o = tree
    hr = make_user(Role.HR, scope=district)
    a, b, c = (make_user(unit=commune) for _ in range(3))
    course = make_course()
    _asg, n = create_assignment(
        session, course=course, year=2026, due_at=None, people=[a, b], owner=district, by=hr
    )
    assert n == 2
    assert set(enrolled(session, course)) == {a.id, b.id}
    assert c.id not in enrolled(session, course)


def test_new_joiner_gets_open_assignments_only(session, tree, make_user, make_course):
    _p, district, commune, other = tree
    hr = make_user(Role.HR, scope=district)
    open_course, closed_course, past_course, title_course, other_course = (make_course() for _ in range(5))
    future = utcnow() + dt.timedelta(days=10)
    create_assignment(
        session, course=open_course, year=2026, due_at=future, unit=district, owner=district, by=hr
    )
    closed, _ = create_assignment(
        session, course=closed_course, year=2026, due_at=None, unit=district, owner=district, by=hr
    )
    close_assignment(session, closed, by=hr)
    create_assignment(
        session,
        course=past_course,
        year=2026,
        due_at=utcnow() - dt.timedelta(days=1),
        unit=district,
        owner=district,
        by=hr,
    )
    create_assignment(
        session,
        course=title_course,
        year=2026,
        due_at=None,
        unit=district,
        job_title="Kế toán",
        owner=district,
        by=hr,
    )
    create_assignment(session, course=other_course, year=2026, due_at=None, unit=other, owner=other, by=hr)

    newcomer = make_user(unit=commune, job_title="Chuyên viên")
    user_unit_changed.send(newcomer, session=session)
    courses = set(session.scalars(select(Enrollment.course_id).where(Enrollment.user_id == newcomer.id)))
    assert courses == {open_course.id}
    due = session.scalars(select(Enrollment.due_at).where(Enrollment.user_id == newcomer.id)).one()
    assert due == future

    accountant = make_user(unit=commune, job_title="Kế toán")
    user_unit_changed.send(accountant, session=session)
    courses = set(session.scalars(select(Enrollment.course_id).where(Enrollment.user_id == accountant.id)))
    assert courses == {open_course.id, title_course.id}


def test_learner_sees_assigned_first_and_overdue(session, client, login_as, tree, make_user, make_course):
    _p, district, commune, _o = tree
    hr = make_user(Role.HR, scope=district)
    learner = make_user(unit=commune)
    self_course = make_course(title="Khoá tự học")
    late_course = make_course(title="Khoá quá hạn")
    session.add(Enrollment(user_id=learner.id, course_id=self_course.id, source="self"))
    create_assignment(
        session,
        course=late_course,
        year=2026,
        due_at=utcnow() - dt.timedelta(days=3),
        unit=district,
        owner=district,
        by=hr,
    )
    page = login_as(learner).get("/training/my").get_data(as_text=True)
    assert page.index("Khoá quá hạn") < page.index("Khoá tự học")
    assert "Quá hạn" in page


def test_hr_assigns_through_the_page(session, login_as, tree, make_user, make_course):
    _p, district, commune, other = tree
    hr = make_user(Role.HR, scope=district)
    person = make_user(unit=commune)
    course = make_course()
    client = login_as(hr)
    r = client.post(
        "/training/assignments",
        data={"course_id": course.id, "year": 2026, "due_date": "2026-12-31", "unit_id": district.id},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "Đã giao khoá học: ghi danh thêm 1 người." in r.get_data(as_text=True)
    assert person.id in enrolled(session, course)
    # A unit outside the officer's subtree is refused.
    r = client.post("/training/assignments", data={"course_id": course.id, "year": 2026, "unit_id": other.id})
    assert r.status_code in (200, 403)
    assert not any(uid for uid in enrolled(session, course) if uid != person.id)
