"""HR people list (issue 16): course/status/overdue filters shown and applied, sort by due date,
and the unit's own-staff row listing its own staff only."""

from __future__ import annotations

import datetime as dt

from lms.auth.models import Role
from lms.db import utcnow
from lms.learning.models import Enrollment


def enrol(session, user, course, *, due=None, completed=None):
    session.add(
        Enrollment(
            user_id=user.id, course_id=course.id, source="assigned", due_at=due, completed_at=completed
        )
    )
    session.flush()


def names(html):
    return [n for n in ("An", "Bình", "Chi", "Dũng") if f">{n}</a>" in html]


def test_filters_sort_and_own_staff(session, make_unit, make_user, make_course, login_as):
    district = make_unit(name="Huyện")
    commune = make_unit(district, name="Xã")
    hr = make_user(Role.HR, unit=district, scope=district)
    course, other = make_course(), make_course()
    now = utcnow()
    an = make_user(unit=district, full_name="An")  # own staff, overdue
    binh = make_user(unit=commune, full_name="Bình")  # due in 3 days
    chi = make_user(unit=commune, full_name="Chi")  # completed this year
    dung = make_user(unit=commune, full_name="Dũng")  # overdue in another course only
    enrol(session, an, course, due=now - dt.timedelta(days=2))
    enrol(session, binh, course, due=now + dt.timedelta(days=3))
    enrol(session, chi, course, due=now - dt.timedelta(days=9), completed=now - dt.timedelta(days=10))
    enrol(session, dung, other, due=now - dt.timedelta(days=1))
    client = login_as(hr)
    base = f"/reports/units/{district.id}/people?year={now.year}"

    html = client.get(base).get_data(as_text=True)
    assert names(html) == ["An", "Bình", "Chi", "Dũng"]
    assert 'name="course"' in html  # the course filter is on the page (and shows what is applied)
    assert 'name="status"' in html

    html = client.get(f"{base}&course={course.id}&status=overdue").get_data(as_text=True)
    assert names(html) == ["An"]
    assert f'<option value="{course.id}" selected' in html
    html = client.get(f"{base}&status=overdue").get_data(as_text=True)
    assert names(html) == ["An", "Dũng"]
    html = client.get(f"{base}&course={course.id}&status=completed").get_data(as_text=True)
    assert names(html) == ["Chi"]

    html = client.get(f"{base}&course={course.id}&status=incomplete&sort=due").get_data(as_text=True)
    assert html.index(">An</a>") < html.index(">Bình</a>")  # the soonest (here: past) due date first
    assert "Chi</a>" not in html

    # The dashboard's own-staff row links to the district's own staff, not the whole district.
    dashboard = client.get(f"/reports/units/{district.id}?year={now.year}").get_data(as_text=True)
    assert f"/reports/units/{district.id}/people?own=1" in dashboard.replace("&amp;", "&")
    html = client.get(f"{base}&own=1").get_data(as_text=True)
    assert names(html) == ["An"]
