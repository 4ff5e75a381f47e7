"""Roll-up arithmetic of the dashboard: staff, enrolments, overdue, targets and % of target."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.auth.models import Role
from lms.core.timefmt import local_midnight
from lms.db import utcnow
from lms.learning.models import Enrollment
from lms.reports.queries import Filters, unit_rows
from lms.training import services
from lms.training.models import Target

YEAR = 2026
IN_YEAR = dt.datetime(YEAR, 6, 1, tzinfo=dt.UTC)


@pytest.fixture
def tree(session, make_unit, make_user, make_course):
    root = make_unit(name="Tỉnh")
    a = make_unit(root, name="A")
    a1 = make_unit(a, name="A1", remote=True)
    a2 = make_unit(a, name="A2")
    b = make_unit(root, name="B")
    course = make_course()
    hr = make_user(Role.HR, scope=root)
    return root, a, a1, a2, b, course, hr


def enrol(session, user, course, *, completed=None, progress=0, due=None, source="assigned"):
    e = Enrollment(
        user_id=user.id, course_id=course.id, source=source, enrolled_at=IN_YEAR - dt.timedelta(days=30),
        completed_at=completed, progress_percent=100 if completed else progress, due_at=due,
    )  # fmt: skip
    session.add(e)
    session.flush()
    return e


def test_targets_and_results_roll_up_the_tree(session, tree, make_user):
    root, a, a1, a2, b, course, hr = tree
    for unit, count in ((a, 5), (a1, 3), (a2, 2), (b, 4)):
        session.add(Target(year=YEAR, unit_id=unit.id, course_id=course.id, count=count))
    session.add(Target(year=YEAR - 1, unit_id=a.id, course_id=course.id, count=100))  # other year: ignored
    p_a = make_user(unit=a)
    p_a1 = [make_user(unit=a1, it_qualification="bachelor") for _ in range(3)]
    p_a2 = make_user(unit=a2)
    p_b = make_user(unit=b)
    make_user(unit=b, is_active=False)  # deactivated people are not staff
    enrol(session, p_a, course, completed=IN_YEAR)
    enrol(session, p_a1[0], course, completed=IN_YEAR)
    enrol(session, p_a1[1], course, progress=40, due=utcnow() - dt.timedelta(days=1))
    enrol(session, p_a1[2], course, completed=dt.datetime(YEAR - 1, 5, 1, tzinfo=dt.UTC))  # last year's
    enrol(session, p_a2, course, progress=10, due=utcnow() + dt.timedelta(days=9))
    # Attendance at a class of the course also counts toward the target.
    day = dt.date(YEAR, 3, 3)
    cls = services.create_class(
        session,
        course=course,
        unit=b,
        title="L",
        place="P",
        starts_on=day,
        ends_on=day,
        trainer="",
        capacity=5,
        by=hr,
    )
    services.add_to_roster(session, cls, [p_b.id], by=hr)
    services.record_attendance(session, cls, day, set(), by=hr)

    rows = {r.name: r for r in unit_rows(session, root, Filters(YEAR))}
    assert set(rows) == {"A", "B"}
    ra, rb = rows["A"], rows["B"]
    assert (ra.staff, ra.target, ra.achieved, ra.target_percent) == (5, 10, 2, 20)
    assert (ra.completed, ra.in_progress, ra.overdue) == (2, 2, 1)
    assert ra.has_children
    assert not rb.has_children
    assert (rb.staff, rb.target, rb.achieved, rb.target_percent) == (1, 4, 1, 25)
    assert rb.assigned == 1  # enrolled when added to the roster

    # Drill down into A: one row per sub-unit plus A's own staff.
    rows = {r.name: r for r in unit_rows(session, a, Filters(YEAR))}
    assert (rows["A"].own, rows["A"].staff, rows["A"].target, rows["A"].achieved) == (True, 1, 5, 1)
    assert (rows["A1"].staff, rows["A1"].target, rows["A1"].achieved, rows["A1"].is_remote) == (3, 3, 1, True)
    assert (rows["A2"].target, rows["A2"].achieved, rows["A2"].target_percent) == (2, 0, 0)

    # Filters: remote units only; IT qualification.
    rows = {r.name: r for r in unit_rows(session, root, Filters(YEAR, remote_only=True))}
    assert rows["A"].staff == 3
    assert rows["A"].target == 3
    assert rows["B"].staff == 0
    rows = {r.name: r for r in unit_rows(session, root, Filters(YEAR, qualification="bachelor"))}
    assert rows["A"].staff == 3
    assert rows["B"].staff == 0


def test_dashboard_page_shows_rows_charts_and_drill_down(session, tree, make_user, login_as):
    _root, a, a1, _a2, _b, course, hr = tree
    session.add(Target(year=YEAR, unit_id=a1.id, course_id=course.id, count=4))
    enrol(session, make_user(unit=a1), course, completed=IN_YEAR)
    client = login_as(hr)
    page = client.get(f"/reports/?year={YEAR}").get_data(as_text=True)
    assert f'href="/reports/units/{a.id}?year={YEAR}"' in page
    assert page.count("<svg") == 5
    assert "Tỷ lệ hoàn thành theo đơn vị" in page
    page = client.get(f"/reports/units/{a.id}?year={YEAR}").get_data(as_text=True)
    assert "A1" in page
    assert "25%" in page
    people = client.get(f"/reports/units/{a.id}/people?year={YEAR}").get_data(as_text=True)
    assert "1 người" in people


def test_chart_figures_and_achieved_counted_once_per_person_and_course(session, tree, make_user, make_course):
    from lms.reports.queries import figures

    root, a, a1, a2, b, course, hr = tree
    other = make_course()
    session.add(Target(year=YEAR, unit_id=a1.id, course_id=course.id, count=10))
    online_and_class = make_user(unit=a1, it_qualification="bachelor")
    class_only = make_user(unit=a2)
    unplanned = make_user(unit=b)
    gone = make_user(unit=a1, is_active=False)
    # 00:30 on 1 March in Vietnam is still February in UTC: it counts in March.
    early_march = local_midnight(dt.date(YEAR, 3, 1)) + dt.timedelta(minutes=30)
    enrol(session, online_and_class, course, completed=early_march)
    enrol(session, unplanned, other, completed=IN_YEAR)  # no quota for this course: not "achieved"
    enrol(session, gone, course, completed=IN_YEAR)  # deactivated: in no figure
    day = dt.date(YEAR, 4, 4)
    cls = services.create_class(
        session, course=course, unit=a, title="L", place="P", starts_on=day, ends_on=day + dt.timedelta(days=1),
        trainer="", capacity=5, by=hr,
    )  # fmt: skip
    services.add_to_roster(session, cls, [online_and_class.id, class_only.id], by=hr)
    services.record_attendance(session, cls, day, set(), by=hr)  # both present
    services.record_attendance(session, cls, day + dt.timedelta(days=1), {online_and_class.id}, by=hr)

    f = figures(session, root, Filters(YEAR))
    rows = {r.name: r for r in f.rows}
    # A: one person trained online and in class (counted once), one in class on two days (once).
    assert rows["A"].achieved == 2
    assert rows["B"].achieved == 0
    assert rows["B"].completed == 1
    assert f.months[2] == 1  # March
    assert f.months[5] == 1  # June
    assert sum(f.months) == 2
    assert f.qualifications == {"bachelor": 1, "none": 2}
    assert (f.remote_total, f.remote_reached) == (1, 1)  # A1 is remote and reached

    # Filters narrow the figures the same way the rows are narrowed.
    f = figures(session, root, Filters(YEAR, qualification="bachelor"))
    assert {r.name: r.achieved for r in f.rows} == {"A": 1, "B": 0}
    assert sum(f.months) == 1
    f = figures(session, root, Filters(YEAR, remote_only=True))
    assert {r.name: r.achieved for r in f.rows} == {"A": 1, "B": 0}
    assert f.qualifications == {"bachelor": 1}
