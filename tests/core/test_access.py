"""Access control from the outside: every route, real objects, three kinds of visitor.

Each view states its level with ``@access(Access.X, Permission.Y)`` from
``lms.auth.access`` (the same decorator enforces it). This walk fails for a route
nobody classified, so routes added later are checked as soon as they land. A URL argument this test
cannot fill yet fails too: add a real object for it to ``world`` below.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from lms.auth import services as auth_services
from lms.auth.access import Access, Permission, access, access_map, access_of, declare
from lms.catalog.models import Course, CourseAsset, CourseStatus, Lesson
from lms.certificates.models import Certificate
from lms.db import utcnow
from lms.quizzes import attempts as quiz_attempts
from lms.quizzes.models import Question
from lms.training import importer as training_importer
from lms.training import services as training_services
from tests.conftest import login
from tests.quizzes.helpers import load_fixture_course, quiz_by_key

METHODS = ("GET", "POST")


@dataclass
class World:
    args: dict[str, Any]
    owner: Any
    other: Any


@pytest.fixture
def world(app: Flask, session: Any, make_user: Any, make_unit: Any) -> World:
    """One of each object a URL can name, owned by `owner`; `other` is a second plain learner."""
    unit = make_unit()
    owner = make_user(unit=unit)
    other = make_user(unit=unit)
    admin = make_user("admin")
    course = load_fixture_course(session, slug="access-walk")
    module = course.modules[0]
    lesson = Lesson(
        module_id=module.id, course_id=course.id, key="bai-1", title="Bài 1", body_html="<p>x</p>"
    )
    session.add(lesson)
    data = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    session.add(
        CourseAsset(
            course_id=course.id,
            path="media/a.gif",
            content_type="image/gif",
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
        )
    )
    session.flush()
    quiz = quiz_by_key(session, course, module.key)
    attempt = quiz_attempts.start_attempt(session, quiz, owner)
    now = utcnow()
    cert = Certificate(
        code="ACCESSWALK00000001",
        user_id=owner.id,
        course_id=course.id,
        holder_name=owner.full_name,
        course_title=course.title,
        completed_at=now,
        issued_at=now,
    )
    session.add(cert)
    session.flush()
    token = auth_services.create_reset_token(session, owner, by=admin)
    start = dt.date(2026, 11, 27)
    training_class = training_services.create_class(
        session,
        course=course,
        unit=unit,
        title="Lớp 1",
        place="Hội trường",
        starts_on=start,
        ends_on=start,
        trainer="GV",
        capacity=5,
        invited=[unit],
        by=admin,
    )
    assignment, _count = training_services.create_assignment(
        session, course=course, year=2026, due_at=None, unit=unit, owner=unit, by=admin
    )
    job = training_importer.start_import(
        session,
        kind="people",
        filename="people.csv",
        upload=io.BytesIO(b"full_name,username,unit_code\nA,a1,X\n"),
        directory=Path(app.instance_path) / "imports",
        by=admin,
        scope=None,
    )
    from lms.jobs import enqueue
    from lms.jobs.files import store_file

    background_job = enqueue(session, "jobs.cleanup", by=owner)  # the owner's export job, with its file
    store_file(session, background_job, io.BytesIO(b"a;b\n"), filename="xuat.csv", mimetype="text/csv")
    from lms.lti.models import Identity, Link, Platform

    lti_platform = Platform(
        name="LMS tỉnh",
        issuer="https://moodle.example.test",
        client_id="c1",
        auth_login_url="https://moodle.example.test/mod/lti/auth.php",
        access_token_url="https://moodle.example.test/mod/lti/token.php",
        jwks_url="https://moodle.example.test/mod/lti/certs.php",
    )
    session.add(lti_platform)
    session.flush()
    lti_identity = Identity(
        issuer=lti_platform.issuer, sub="s1", platform_id=lti_platform.id, user_id=other.id
    )
    session.add(lti_identity)
    lti_link = Link(
        platform_id=lti_platform.id, deployment_id="1", resource_link_id="r1", course_id=course.id
    )
    session.add(lti_link)
    session.flush()
    from lms.api import services as api_services

    api_token, _text = api_services.create_token(
        session,
        name="HRMIS",
        scopes=["courses:read"],
        unit=unit,
        expires_at=now + dt.timedelta(days=1),
        by=admin,
    )
    args = {
        "slug": course.slug,
        "module_key": module.key,
        "lesson_key": lesson.key,
        "path": "media/a.gif",
        "course_id": course.id,
        "quiz_id": quiz.id,
        "attempt_id": attempt.id,
        "question_id": session.scalars(select(Question.id).where(Question.quiz_id == quiz.id)).first(),
        "cert_id": cert.id,
        "code": cert.code,
        "user_id": owner.id,
        "unit_id": unit.id,
        "token": token,
        "filename": "css/site.css",
        "module_id": module.id,
        "lesson_id": lesson.id,
        "target": "final",
        "direction": "up",
        "number": 1,
        "class_id": training_class.id,
        "assignment_id": assignment.id,
        "job_id": job.id,
        "background_job_id": background_job.id,
        "day": start.isoformat(),
        "kind": "people",
        "fmt": "csv",
        "platform_id": lti_platform.id,
        "identity_id": lti_identity.id,
        "link_id": lti_link.id,
        "thumbprint": "no-such-key",
        "list_id": "1",
        "token_id": api_token.id,
    }
    return World(args, owner, other)


def routes(app: Flask) -> list[tuple[Rule, str]]:
    return sorted(
        ((rule, method) for rule in app.url_map.iter_rules() for method in METHODS if method in rule.methods),
        key=lambda rm: (rm[0].rule, rm[1]),
    )


def build(app: Flask, rule: Rule, method: str, args: dict[str, Any]) -> str:
    missing = rule.arguments - set(args)
    assert not missing, f"{rule.endpoint}: add a real object for {sorted(missing)} to world() in {__file__}"
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, {a: args[a] for a in rule.arguments}, method=method)


def call(client: FlaskClient, method: str, url: str) -> Any:
    resp = client.get(url) if method == "GET" else client.post(url, data={})
    resp.close()  # static files are streamed from disk
    return resp


def is_login_redirect(resp: Any) -> bool:
    return resp.status_code in (301, 302, 303) and urlsplit(resp.headers["Location"]).path.endswith("/login")


def test_every_endpoint_is_classified(app: Flask) -> None:
    unclassified = sorted({rule.endpoint for rule in app.url_map.iter_rules()} - set(access_map(app)))
    assert not unclassified, (
        f"state who may reach {unclassified} with @access(Access.X, ...) from lms.auth.access under @bp.route"
    )


def test_an_undecorated_view_is_unclassified(app: Flask) -> None:
    """The classification is read from the views themselves: a new bare view is caught."""
    fresh = Flask(__name__)
    fresh.add_url_rule("/bare", "bare", lambda: "x")
    fresh.add_url_rule("/ok", "ok", access(Access.SIGNED_IN)(lambda: "x"))
    assert set(access_map(fresh)) == {"ok"}


def test_public_endpoints_are_few_and_explained(app: Flask) -> None:
    registry = access_map(app)
    public = {e for e, declared in registry.items() if declared.level is Access.PUBLIC}
    assert public == {
        "static",
        "healthz",
        "catalog.index",
        "auth.login",
        "auth.set_language",
        "auth.reset_password",
        "certificates.verify",
        "certificates.verify_start",
        "certificates.verify_upload",
        "certificates.api_certificate",
        "training.calendar",
        "sso.start",  # single sign-on: 404 while LMS_OIDC_ISSUER is unset
        "sso.callback",
        "lti.jwks",
        "lti.login",
        "lti.launch",
        "lti.enter",
        "lti.enter_new_window",
        "lti.deep_link",
        "lti.deep_link_choose",
        "badges.issuer",
        "badges.keys",
        "badges.key",
        "badges.status_list",
        "badges.credential",
        "lti.register",
        "lti.register_confirm",
        "api.openapi_json",  # the HR API's description and its docs page: no data
        "api.docs",
        "api.docs_try",
    }, "a new public endpoint: add it here on purpose, with its reason in @access(..., reason=)"
    assert all(registry[e].reason.strip() for e in public)


def test_declarations_need_a_reason_for_public_and_cannot_flip(app: Flask) -> None:
    with pytest.raises(ValueError, match="reason"):
        access(Access.PUBLIC)
    with pytest.raises(ValueError, match="reason"):
        access(Access.PUBLIC, Permission.LEARN, reason="public pages ask for nothing")
    with pytest.raises(ValueError, match="already declared"):
        declare(app, Access.SIGNED_IN, "static")
    assert access_of("admin.users", app) is Access.STAFF
    assert access_map(app)["admin.users"].permission is Permission.ADMIN_USERS


def walk(app: Flask, world: World, user: Any, levels: set[Access], methods: tuple[str, ...] = METHODS) -> Any:
    """Yield (method, url, level, response) for each route of these levels, visited as user (None: anonymous)."""
    client = app.test_client()
    if user is not None:
        login(client, user)
    for rule, method in routes(app):
        level = access_of(rule.endpoint, app)
        if level in levels and method in methods:
            url = build(app, rule, method, world.args)
            yield method, url, level, call(client, method, url)


def test_anonymous_visitors_are_sent_to_login(app: Flask, world: World) -> None:
    wrong = []
    for method, url, level, resp in walk(app, world, None, set(Access)):
        if level is Access.PUBLIC:
            if resp.status_code >= 500 or is_login_redirect(resp):
                wrong.append(f"{method} {url} (public) -> {resp.status_code}")
        elif level is Access.TOKEN:  # other systems: a problem document, never the login page
            if resp.status_code != 401 or resp.mimetype != "application/problem+json":
                wrong.append(f"{method} {url} (token) -> {resp.status_code} {resp.mimetype}")
        elif not is_login_redirect(resp):
            wrong.append(f"{method} {url} -> {resp.status_code} {resp.headers.get('Location', '')}")
    assert not wrong, "\n".join(wrong)


def test_a_session_cookie_opens_no_token_route(app: Flask, world: World, make_user: Any) -> None:
    """API routes read the bearer token only: even an admin's browser session gets 401 there."""
    wrong = [
        f"{method} {url} -> {resp.status_code}"
        for method, url, _level, resp in walk(app, world, make_user("admin"), {Access.TOKEN})
        if resp.status_code != 401
    ]
    assert not wrong, "\n".join(wrong)


def test_plain_learner_is_refused_staff_pages_and_others_objects(app: Flask, world: World) -> None:
    wrong = [
        f"{method} {url} ({level}) -> {resp.status_code}"
        for method, url, level, resp in walk(app, world, world.other, {Access.STAFF, Access.OWNER})
        if resp.status_code not in (403, 404)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_owner_and_signed_in_learners_get_their_pages(app: Flask, world: World) -> None:
    """The other side of the walk: the same URLs work for those they are meant for."""
    wrong = [
        f"GET {url} ({level}) -> {resp.status_code}"
        for _, url, level, resp in walk(
            app, world, world.owner, {Access.SIGNED_IN, Access.OWNER, Access.COURSE_READER}, ("GET",)
        )
        if resp.status_code >= 400 or is_login_redirect(resp)
    ]
    assert not wrong, "\n".join(wrong)


def test_a_draft_course_is_hidden_from_learners(app: Flask, world: World, session: Any) -> None:
    """The same walk with the course back in draft: its pages, images and quizzes are 404 for a learner."""
    course = session.scalars(select(Course).where(Course.slug == world.args["slug"])).one()
    course.status = CourseStatus.DRAFT
    session.flush()
    about_course = {"slug", "course_id", "quiz_id", "path"}
    adapter = app.url_map.bind("localhost")
    seen = {}
    for _, url, _, resp in walk(app, world, world.other, {Access.SIGNED_IN, Access.COURSE_READER}, ("GET",)):
        rule, _ = adapter.match(url, return_rule=True)
        if about_course & set(rule.arguments):
            seen[url] = resp.status_code
    assert {"learning.course", "learning.lesson", "catalog.asset", "quizzes.intro"} <= {
        adapter.match(u, return_rule=True)[0].endpoint for u in seen
    }
    assert {url: code for url, code in seen.items() if code not in (403, 404)} == {}


def test_a_public_course_opens_to_visitors_and_nothing_else_does(
    app: Flask, world: World, session: Any
) -> None:
    """The same walk with the course made public: a visitor reads its pages and images; every other
    route (enrolling, ticking a lesson, quizzes, certificates, other people's pages) still asks for
    a login, and the catalogue lists the public course only."""
    course = session.scalars(select(Course).where(Course.slug == world.args["slug"])).one()
    course.is_public = True
    session.flush()
    opened, wrong = set(), []
    for method, url, level, resp in walk(app, world, None, set(Access)):
        endpoint = app.url_map.bind("localhost").match(url, method=method, return_rule=True)[0].endpoint
        if level is Access.COURSE_READER and method == "GET":
            if resp.status_code != 200:
                wrong.append(f"{method} {url} (public course) -> {resp.status_code}")
            opened.add(endpoint)
        elif level not in (Access.PUBLIC, Access.TOKEN) and not is_login_redirect(resp):
            wrong.append(f"{method} {url} -> {resp.status_code}")
    assert not wrong, "\n".join(wrong)
    assert {"learning.course", "learning.lesson", "catalog.asset"} <= opened
    listed = app.test_client().get("/courses/").get_data(as_text=True)
    assert f'href="/courses/{course.slug}"' in listed
    course.is_public = False
    session.flush()
    assert f'href="/courses/{course.slug}"' not in app.test_client().get("/courses/").get_data(as_text=True)
