"""Learner notifications and the iCalendar feed (issue 16)."""

from __future__ import annotations

import datetime as dt

from lms.db import utcnow
from lms.learning.models import Enrollment
from lms.training.models import ClassMember, TrainingClass
from lms.training.notices import calendar_token


def enrol(session, user, course, *, due=None, source="assigned", enrolled=None):
    e = Enrollment(user_id=user.id, course_id=course.id, source=source, due_at=due)
    if enrolled:
        e.enrolled_at = enrolled
    session.add(e)
    session.flush()
    return e


def test_notifications_list_due_dates_assignments_and_classes(
    session, make_unit, make_user, make_course, login_as
):
    unit = make_unit()
    learner = make_user(unit=unit)
    now = utcnow()
    soon, tomorrow, late, fresh = (make_course(title=t) for t in ("Khoá A", "Khoá B", "Khoá C", "Khoá D"))
    enrol(session, learner, soon, due=now + dt.timedelta(days=5), enrolled=now - dt.timedelta(days=40))
    enrol(session, learner, tomorrow, due=now + dt.timedelta(hours=20), enrolled=now - dt.timedelta(days=40))
    enrol(session, learner, late, due=now - dt.timedelta(days=3), enrolled=now - dt.timedelta(days=40))
    enrol(session, learner, fresh, due=now + dt.timedelta(days=60))  # assigned today
    cls = TrainingClass(
        course_id=fresh.id,
        title="Lớp tập huấn đợt 3",
        place="Hội trường",
        starts_on=(now + dt.timedelta(hours=7, days=1)).date(),
        ends_on=(now + dt.timedelta(hours=7, days=2)).date(),
        unit_id=unit.id,
    )
    session.add(cls)
    session.flush()
    session.add(ClassMember(class_id=cls.id, user_id=learner.id))
    session.flush()
    html = login_as(learner).get("/training/notifications").get_data(as_text=True)
    assert "Quá hạn từ" in html
    assert "Khoá C" in html
    assert "Hạn hoàn thành" in html
    assert "Khoá B" in html
    assert "Còn 5 ngày" in html or "Còn 4 ngày" in html
    assert "Bạn được giao khoá học mới: Khoá D" in html
    assert "Ngày mai có lớp: Lớp tập huấn đợt 3, Hội trường" in html
    assert "Khoá A" in html
    assert html.index("Khoá C") < html.index("Khoá D")  # urgent first


def test_calendar_feed_needs_the_token_and_lists_due_dates_and_classes(
    app, session, make_unit, make_user, make_course, client
):
    unit = make_unit()
    learner = make_user(unit=unit)
    course = make_course(title="Ký số; nâng cao")
    enrol(session, learner, course, due=dt.datetime(2027, 1, 14, 17, 30, tzinfo=dt.UTC))  # 15/01 in Hà Nội
    with app.test_request_context():
        token = calendar_token(learner)
    r = client.get(f"/training/calendar/{learner.id}/{token}.ics")
    assert r.status_code == 200
    assert r.mimetype == "text/calendar"
    body = r.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20270115" in body
    assert "Ký số\\; nâng cao" in body
    assert client.get(f"/training/calendar/{learner.id}/{'0' * 32}.ics").status_code == 404
    learner.session_version += 1  # a new password: the old address stops working
    session.flush()
    assert client.get(f"/training/calendar/{learner.id}/{token}.ics").status_code == 404
