"""In-person classes: roster, fast attendance, CSV import, completion and capacity."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.learning.models import Enrollment
from lms.training import services
from lms.training.models import Attendance


@pytest.fixture
def setup(session, make_unit, make_user, make_course):
    district = make_unit()
    hr = make_user(Role.HR, scope=district)
    people = [make_user(unit=district) for _ in range(5)]
    course = make_course(require_attendance=True)
    start = dt.date(2026, 3, 2)
    cls = services.create_class(
        session,
        course=course,
        unit=district,
        title="Lớp 1",
        place="Hội trường",
        starts_on=start,
        ends_on=start + dt.timedelta(days=1),
        trainer="GV",
        capacity=5,
        invited=[district],
        by=hr,
    )
    services.add_to_roster(session, cls, [p.id for p in people], by=hr)
    return district, hr, people, course, cls


def presence(session, cls, day):
    return dict(
        session.execute(
            select(Attendance.user_id, Attendance.present).where(
                Attendance.class_id == cls.id, Attendance.session_date == day
            )
        ).all()
    )


def test_everyone_present_by_default_except_marked_absent(session, setup):
    _d, hr, people, _c, cls = setup
    present, absent, changed = services.record_attendance(session, cls, cls.starts_on, {people[1].id}, by=hr)
    assert (present, absent, changed) == (4, 1, 5)
    marks = presence(session, cls, cls.starts_on)
    assert marks[people[1].id] is False
    assert all(marks[p.id] for p in people if p is not people[1])
    # Editable later: now people[1] came, people[2] left.
    services.record_attendance(session, cls, cls.starts_on, {people[2].id}, by=hr)
    session.expire_all()
    marks = presence(session, cls, cls.starts_on)
    assert marks[people[1].id] is True
    assert marks[people[2].id] is False


def test_attendance_completes_course_that_requires_it(session, setup, make_course, make_user):
    _d, hr, people, course, cls = setup
    services.record_attendance(session, cls, cls.starts_on, {people[0].id}, by=hr)
    done = dict(
        session.execute(
            select(Enrollment.user_id, Enrollment.completed_at).where(Enrollment.course_id == course.id)
        ).all()
    )
    assert done[people[0].id] is None
    assert all(done[p.id] is not None for p in people[1:])


def test_attendance_does_not_complete_course_without_the_rule(session, make_unit, make_user, make_course):
    unit = make_unit()
    hr = make_user(Role.HR, scope=unit)
    person = make_user(unit=unit)
    course = make_course(require_attendance=False, require_lessons=True)
    day = dt.date(2026, 4, 1)
    cls = services.create_class(
        session, course=course, unit=unit, title="L", place="P", starts_on=day, ends_on=day,
        trainer="", capacity=3, by=hr,
    )  # fmt: skip
    services.add_to_roster(session, cls, [person.id], by=hr)
    services.record_attendance(session, cls, day, set(), by=hr)
    enrollment = session.scalars(select(Enrollment).where(Enrollment.user_id == person.id)).one()
    assert enrollment.completed_at is None
    assert services.attendance_requirement(session, enrollment) is None


def test_capacity_is_enforced(session, setup, make_user):
    district, hr, _people, _c, cls = setup
    extra = make_user(unit=district)
    with pytest.raises(services.TrainingError):
        services.add_to_roster(session, cls, [extra.id], by=hr)


def test_attendance_page_saves_absent_ticks(session, setup, login_as):
    _d, hr, people, _c, cls = setup
    client = login_as(hr)
    url = f"/training/classes/{cls.id}/attendance/{cls.starts_on.isoformat()}"
    page = client.get(url).get_data(as_text=True)
    assert page.count('name="absent"') == 5
    r = client.post(url, data={"absent": [str(people[3].id)]}, follow_redirects=True)
    assert "4 có mặt, 1 vắng mặt" in r.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert f'value="{people[3].id}" checked' in page
    assert client.get(f"/training/classes/{cls.id}/attendance/2030-01-01").status_code == 404


def test_attendance_csv_import_is_all_or_nothing(session, setup, login_as, make_user):
    district, hr, people, _c, cls = setup
    stranger = make_user(unit=district)
    client = login_as(hr)
    good = "Tên đăng nhập,Ngày,Có mặt\n" + "\n".join(
        f"{p.username},{cls.starts_on:%d/%m/%Y},{'không' if i == 0 else 'có'}" for i, p in enumerate(people)
    )
    bad = good + f"\n{stranger.username},{cls.starts_on.isoformat()},có\nnobody,2026-03-02,có\n"
    r = client.post(
        f"/training/classes/{cls.id}/attendance-import",
        data={"file": (io.BytesIO(bad.encode("utf-8-sig")), "a.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "không có trong danh sách lớp" in text
    assert "nobody" in text
    assert presence(session, cls, cls.starts_on) == {}
    r = client.post(
        f"/training/classes/{cls.id}/attendance-import",
        data={"file": (io.BytesIO(good.encode("utf-16")), "a.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    marks = presence(session, cls, cls.starts_on)
    assert marks[people[0].id] is False
    assert sum(marks.values()) == 4


def test_class_pages_for_hr(session, setup, login_as, make_course):
    district, hr, _people, course, _cls = setup
    client = login_as(hr)
    assert "Lớp 1" in client.get("/training/classes").get_data(as_text=True)
    r = client.post(
        "/training/classes/new",
        data={
            "course_id": course.id, "title": "Lớp 2", "place": "Xã", "starts_on": "2026-05-01",
            "ends_on": "2026-05-02", "trainer": "GV", "capacity": 10, "unit_id": district.id,
            "invited": [district.id],
        },
    )  # fmt: skip
    assert r.status_code == 302
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Thêm cán bộ của các đơn vị được mời" in detail
    r = client.post(r.headers["Location"].replace("/training/classes/", "/training/classes/", 1) + "/invite")
    assert r.status_code == 302


def test_saving_an_unchanged_sheet_writes_nothing(session, setup, login_as):
    """Issue 16: pressing "Save" again on the same sheet adds no rows, no audit event, no re-check."""
    from sqlalchemy import func, select

    from lms.core.models import AuditEvent

    _d, hr, people, _c, cls = setup
    services.record_attendance(session, cls, cls.starts_on, {people[1].id}, by=hr)
    events = session.scalar(select(func.count(AuditEvent.id)))
    again = services.record_attendance(session, cls, cls.starts_on, {people[1].id}, by=hr)
    assert again == (4, 1, 0)
    assert session.scalar(select(func.count(AuditEvent.id))) == events
    client = login_as(hr)
    day = cls.starts_on.isoformat()
    response = client.post(
        f"/training/classes/{cls.id}/attendance/{day}", data={"absent": [str(people[1].id)]}
    )
    assert response.status_code == 302
    assert session.scalar(select(func.count(AuditEvent.id))) == events
    page = client.get(response.location).get_data(as_text=True)
    assert "Không có gì thay đổi" in page
