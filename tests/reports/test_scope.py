"""Scope matrix: an HR officer of another district gets 403/404 or sees nothing, on every HR URL."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from lms.auth.models import Role
from lms.training import importer, services

MARK = "Zzmark"

# Every HR URL of the training and reports features (the learner page is checked separately).
# (endpoint, method, kind): kind "object" must refuse; "list" must answer without the other district's data.
URLS = [
    ("training.assignments", "GET", "list"),
    ("training.close_assignment", "POST", "object"),
    ("training.targets", "GET", "list"),
    ("training.classes", "GET", "list"),
    ("training.new_class", "GET", "list"),
    ("training.class_detail", "GET", "object"),
    ("training.class_detail", "POST", "object"),
    ("training.add_invited", "POST", "object"),
    ("training.remove_member", "POST", "object"),
    ("training.attendance", "GET", "object"),
    ("training.attendance", "POST", "object"),
    ("training.import_attendance", "POST", "object"),
    ("training.imports", "GET", "list"),
    ("training.import_job", "GET", "object"),
    ("training.import_step", "POST", "object"),
    ("training.import_commit", "POST", "object"),
    ("reports.dashboard", "GET", "list"),
    ("reports.unit_report", "GET", "object"),
    ("reports.unit_people", "GET", "object"),
    ("reports.person", "GET", "object"),
    ("reports.export", "GET", "object"),
]


@pytest.fixture
def world(app, session, make_unit, make_user, make_course):
    province = make_unit()
    mine = make_unit(province, name=f"{MARK} Huyện")
    commune = make_unit(mine, name=f"{MARK} Xã")
    theirs = make_unit(province, name="Huyện khác")
    owner = make_user(Role.HR, unit=mine, scope=mine)
    person = make_user(unit=commune, full_name=f"{MARK} Người")
    course = make_course(title="Khoá chung")
    assignment, _ = services.create_assignment(
        session, course=course, year=2026, due_at=None, unit=mine, owner=mine, by=owner
    )
    services.set_target(session, year=2026, unit=commune, course=course, count=3, by=owner)
    day = dt.date(2026, 5, 5)
    cls = services.create_class(
        session, course=course, unit=mine, title=f"{MARK} Lớp", place="P", starts_on=day, ends_on=day,
        trainer="", capacity=5, by=owner,
    )  # fmt: skip
    services.add_to_roster(session, cls, [person.id], by=owner)
    job = importer.start_import(
        session, kind="people", filename=f"{MARK}.csv", upload=io.BytesIO(b"Ho ten,Email,Ma don vi\n"),
        directory=__import__("pathlib").Path(app.instance_path) / "imports", by=owner, scope=mine,
    )  # fmt: skip
    outsider = make_user(Role.HR, unit=theirs, scope=theirs)
    params = {
        "assignment_id": assignment.id,
        "class_id": cls.id,
        "user_id": person.id,
        "day": day.isoformat(),
        "job_id": job.id,
        "unit_id": mine.id,
        "kind": "people",
        "fmt": "csv",
    }
    return outsider, params


def test_matrix_covers_every_hr_url(app):
    endpoints = {
        r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith(("training.", "reports."))
    }
    # The learner's own pages (assignments, notifications and their e-mail settings, calendar feed)
    # are not HR pages.
    own = {
        "training.my_assignments",
        "training.notifications",
        "training.notice_settings",
        "training.calendar",
    }
    assert endpoints - own == {e for e, _m, _k in URLS}


@pytest.mark.parametrize(("endpoint", "method", "kind"), URLS)
def test_officer_of_another_district_is_refused(app, world, login_as, endpoint, method, kind):
    outsider, params = world
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **{k: v for k, v in params.items() if k in rule.arguments}, year=2026)
    client = login_as(outsider)
    response = client.open(url, method=method, data={"absent": [], "people": "x"})
    if kind == "object":
        assert response.status_code in (403, 404), url
    else:
        assert response.status_code == 200, url
        assert MARK not in response.get_data(as_text=True), url


def test_learner_cannot_open_hr_pages(world, make_user, login_as):
    _outsider, params = world
    learner = make_user()
    client = login_as(learner)
    assert client.get("/reports/").status_code == 403
    assert client.get("/training/assignments").status_code == 403
    assert client.get(f"/reports/people/{params['user_id']}").status_code == 403


def test_admin_sees_everything(world, make_user, login_as):
    _outsider, params = world
    admin = make_user(Role.ADMIN)
    client = login_as(admin)
    assert client.get(f"/reports/people/{params['user_id']}").status_code == 200
    assert MARK in client.get("/training/classes").get_data(as_text=True)
