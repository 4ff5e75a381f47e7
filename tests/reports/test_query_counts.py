"""Report pages and exports run the same number of SQL statements at two scales.

Small: 5 units and 100 people. Large: 500 units and 50,000 people (bulk-inserted inside
the test's transaction), each person with an enrolment, every unit with a target.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, text

from lms.auth.models import Role, User, UserRole
from lms.db import utcnow
from lms.learning.models import Enrollment
from lms.training import services
from lms.training.models import Target

YEAR = 2026


def populate(session, make_unit, make_user, course, *, units: int, people: int):
    root = make_unit(name="Gốc")
    tree = [root]
    districts = [make_unit(root) for _ in range(min(units - 1, max((units - 1) // 10, 1)))]
    tree += districts
    while len(tree) < units:
        tree.append(make_unit(districts[len(tree) % len(districts)], remote=len(tree) % 3 == 0))
    now = utcnow()
    rows = [
        {
            "username": f"q{root.id}.{n}",
            "email": None,
            "full_name": f"Người {n}",
            "password_hash": "",
            "org_unit_id": tree[n % len(tree)].id,
            "job_title": "",
            "it_qualification": "none",
            "is_active": True,
            "locale": "vi",
            "session_version": 1,
            "created_at": now,
        }
        for n in range(people)
    ]
    ids = session.scalars(insert(User).returning(User.id), rows).all()
    session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
    session.execute(
        insert(Enrollment),
        [
            {
                "user_id": uid, "course_id": course.id, "source": "assigned", "enrolled_at": now,
                "progress_percent": 100 if n % 2 else 30, "due_at": now + dt.timedelta(days=n % 30 - 15),
                "completed_at": now if n % 2 else None,
            }
            for n, uid in enumerate(ids)
        ],
    )  # fmt: skip
    session.execute(
        insert(Target), [{"year": YEAR, "unit_id": u.id, "course_id": course.id, "count": 5} for u in tree]
    )
    hr = make_user(Role.HR, unit=root, scope=root)
    day = dt.date(YEAR, 2, 2)
    cls = services.create_class(
        session, course=course, unit=root, title="L", place="P", starts_on=day, ends_on=day, trainer="",
        capacity=50, by=hr,
    )  # fmt: skip
    services.add_to_roster(session, cls, ids[:20], by=hr)
    services.record_attendance(session, cls, day, set(ids[:3]), by=hr)
    return root, districts[0], hr


PAGES = [
    "/reports/units/{root}?year=2026",
    "/reports/units/{district}?year=2026&remote=1",
    "/reports/units/{root}/people?year=2026&page=2",
    "/reports/units/{root}/export/units.csv?year=2026",
    "/reports/units/{root}/export/people.csv?year=2026",
    "/reports/units/{root}/export/attendance.xlsx?year=2026",
]


@pytest.fixture
def scales(session, make_unit, make_user, make_course):
    course = make_course(require_attendance=True)
    small = populate(session, make_unit, make_user, course, units=5, people=100)
    large = populate(session, make_unit, make_user, course, units=500, people=50_000)
    session.commit()  # the test's savepoint; the outer transaction is still rolled back
    # Fresh statistics, as autovacuum would give a real database (PostgreSQL otherwise plans for
    # empty tables and nests loops over 50,000 rows). ANALYZE sees this transaction's rows.
    session.execute(text("ANALYZE"))
    return small, large


def statements(client, count_queries, page: str, root, district) -> tuple[int, int]:
    url = page.format(root=root.id, district=district.id)
    with count_queries() as q:
        response = client.get(url)
        body = response.get_data()  # streamed responses run their queries while being read
        # Close it here: a streamed response ends its request (teardown, the session's rollback) only
        # when closed; left to the garbage collector, the next request could find that session open.
        response.close()
    assert response.status_code == 200, url
    return q.count, len(body)


def test_report_statements_do_not_grow_with_units_or_people(
    app, monkeypatch, scales, client, login_as, count_queries
):
    # Measure the streamed exports at both sizes (large ones are otherwise background jobs:
    # tests/jobs/test_exports.py).
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 10**9)
    (s_root, s_district, s_hr), (l_root, l_district, l_hr) = scales
    for page in PAGES:
        login_as(s_hr)
        statements(client, count_queries, page, s_root, s_district)  # warm caches (translations, templates)
        small, small_size = statements(client, count_queries, page, s_root, s_district)
        login_as(l_hr)
        large, large_size = statements(client, count_queries, page, l_root, l_district)
        assert small == large, page
        assert large_size >= small_size
