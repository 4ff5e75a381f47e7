"""Resource-link launches from the test platform, and every tampered claim refused with a clear page."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from lms.auth.models import User
from lms.learning.models import Enrollment
from lms.lti.models import Identity, Link, LoginState
from tests.lti.conftest import TOOL, begin
from tests.lti.platform import CLAIM, Platform


def hint(course: Any, link: str = "rl-1", user: str = "stu-1", target: str | None = None) -> dict[str, Any]:
    return {
        "type": "resource",
        "user": user,
        "link": link,
        "target_link_uri": target or f"{TOOL}/courses/{course.slug}",
    }


def form_fields(page: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))


def test_login_launch_through_the_platform_lands_in_the_course(
    client: Any, session: Any, platform: Platform, registration: Any, make_course: Any
) -> None:
    course = make_course(lessons=2)
    location, state, _nonce = begin(client, platform, hint(course))
    assert location.startswith(f"{platform.base_url}/auth?")
    # The real platform endpoint checks redirect_uri, nonce, state and hints, and posts the id_token form.
    page = requests.get(location, timeout=10)
    assert page.status_code == 200, page.text
    fields = form_fields(page.text)
    assert fields["state"] == state
    resp = client.post("/lti/launch", data=fields)
    assert resp.status_code == 303
    enter = resp.headers["Location"]
    resp = client.get(enter)
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/courses/{course.slug}"
    page = client.get(resp.headers["Location"])
    assert page.status_code == 200
    assert "Trần Văn Học" in page.get_data(as_text=True)
    identity = session.scalars(select(Identity).where(Identity.sub == "stu-1")).one()
    assert identity.issuer == platform.issuer
    assert (
        session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.user_id == identity.user_id, Enrollment.course_id == course.id
            )
        )
        == 1
    )
    link = session.scalars(select(Link).where(Link.resource_link_id == "rl-1")).one()
    assert link.lineitems_url == f"{platform.base_url}/lineitems"
    assert link.nrps_url == f"{platform.base_url}/memberships"
    # Pages of an LTI session may be framed by the registered platform only.
    csp = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {platform.base_url}" in csp
    assert "X-Frame-Options" not in page.headers


def test_a_local_account_with_the_same_email_is_not_taken_over(
    client: Any, session: Any, platform: Platform, registration: Any, make_course: Any, make_user: Any
) -> None:
    local = make_user(email=platform.members["stu-1"].email)
    course = make_course(lessons=1)
    _, state, nonce = begin(client, platform, hint(course))
    claims = platform.id_token_claims(hint(course), nonce)
    resp = client.post("/lti/launch", data={"id_token": platform.sign(claims), "state": state})
    assert resp.status_code == 303
    identity = session.scalars(select(Identity).where(Identity.sub == "stu-1")).one()
    assert identity.user_id != local.id
    assert identity.email == local.email
    assert session.get(User, identity.user_id).email is None


def test_an_ordinary_page_stays_unframeable(client: Any) -> None:
    resp = client.get("/login")
    assert "frame-ancestors 'self';" in resp.headers["Content-Security-Policy"] + ";"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("lesson:{slug}/m1/l1", "/courses/{slug}/learn/m1/l1"),
        ("module:{slug}/m1", "/courses/{slug}/learn/m1/l0"),
        ("course:{slug}", "/courses/{slug}"),
        ("course:no-such-course", "/"),
    ],
)
def test_the_custom_target_picks_a_course_module_or_lesson(
    client: Any,
    session: Any,
    platform: Platform,
    registration: Any,
    make_course: Any,
    target: str,
    landing: str,
) -> None:
    course = make_course(lessons=2)
    link = f"rl-custom-{time.monotonic_ns()}"
    platform.links[link] = {
        "title": "Bài 1",
        "url": f"{TOOL}/",
        "custom": {"target": target.format(slug=course.slug)},
    }
    h = hint(course, link=link, target=f"{TOOL}/")
    _, state, nonce = begin(client, platform, h)
    resp = client.post(
        "/lti/launch", data={"id_token": platform.sign(platform.id_token_claims(h, nonce)), "state": state}
    )
    assert client.get(resp.headers["Location"]).headers["Location"] == landing.format(slug=course.slug)


def test_without_the_cookie_the_launch_continues_in_a_new_window(
    app: Any, session: Any, platform: Platform, registration: Any, make_course: Any
) -> None:
    """Third-party cookies blocked: the iframe gets the new-window page; its one-time token signs in there."""
    course = make_course(lessons=1)
    framed = app.test_client(use_cookies=False)
    _, state, nonce = begin(framed, platform, hint(course))
    resp = framed.post(
        "/lti/launch",
        data={"id_token": platform.sign(platform.id_token_claims(hint(course), nonce)), "state": state},
    )
    page = framed.get(resp.headers["Location"])
    assert page.status_code == 200
    token = form_fields(page.get_data(as_text=True))["token"]
    assert 'target="_blank"' in page.get_data(as_text=True)
    window = app.test_client()
    resp = window.post("/lti/enter", data={"token": token})
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/courses/{course.slug}"
    assert "Trần Văn Học" in window.get(f"/courses/{course.slug}").get_data(as_text=True)
    again = app.test_client().post("/lti/enter", data={"token": token})
    assert again.status_code == 403


# --- tampering: each check refused with its own explanation, in Vietnamese then English --------------


def _launch(
    client: Any, platform: Platform, course: Any, tamper: Any, *, sign_key: RSAKey | None = None
) -> Any:
    h = hint(course, link=f"rl-t-{time.monotonic_ns()}")
    _, state, nonce = begin(client, platform, h)
    claims = platform.id_token_claims(h, nonce)
    state = tamper(claims) or state
    token = platform.sign(claims, key=sign_key)
    return client.post("/lti/launch", data={"id_token": token, "state": state})


OTHER_KEY = RSAKey.generate_key(2048, private=True)


def _set(name: str, value: Any) -> Any:
    def tamper(claims: dict[str, Any]) -> None:
        claims[name] = value

    return tamper


def _drop(name: str) -> Any:
    def tamper(claims: dict[str, Any]) -> None:
        del claims[name]

    return tamper


CASES = [
    ("iss", _set("iss", "https://evil.example"), 400, "another issuer"),
    ("aud", _set("aud", "someone-else"), 400, "client ID (aud"),
    ("azp", _set("aud", ["tool-client-1", "other"]), 400, "client ID (aud"),
    ("exp", _set("exp", int(time.time()) - 3600), 400, "has expired"),
    ("iat", _set("iat", int(time.time()) + 3600), 400, "issue time"),
    ("nonce", _set("nonce", "not-ours"), 400, "nonce does not match"),
    ("deployment", _set(CLAIM + "deployment_id", "dep-unknown"), 403, "deployment ID is not registered"),
    ("message_type", _set(CLAIM + "message_type", "LtiSubmissionReviewRequest"), 400, "message type"),
    ("version", _set(CLAIM + "version", "1.1"), 400, "1.3.0"),
    ("target", _set(CLAIM + "target_link_uri", "https://evil.example/x"), 400, "target_link_uri"),
    ("sub", _drop("sub"), 400, "names no user"),
    ("roles", _drop(CLAIM + "roles"), 400, "roles claim"),
    ("resource_link", _drop(CLAIM + "resource_link"), 400, "resource link claim"),
    ("state", lambda claims: "forged-state", 400, "state is unknown"),
]


@pytest.mark.parametrize(("name", "tamper", "status", "english"), CASES, ids=[c[0] for c in CASES])
def test_a_tampered_claim_gets_a_clear_error_page(
    client: Any,
    session: Any,
    platform: Platform,
    registration: Any,
    make_course: Any,
    name: str,
    tamper: Any,
    status: int,
    english: str,
) -> None:
    course = make_course(lessons=1)
    users_before = session.scalar(select(func.count(User.id)))
    resp = _launch(client, platform, course, tamper)
    page = resp.get_data(as_text=True)
    assert resp.status_code == status, page
    assert english in page.replace("&#39;", "'")
    assert 'lang="vi"' in page
    assert 'lang="en"' in page
    assert "Không mở được hoạt động LTI" in page
    assert session.scalar(select(func.count(User.id))) == users_before  # nothing half-written


def test_a_token_signed_by_another_key_is_refused(
    client: Any, session: Any, platform: Platform, registration: Any, make_course: Any
) -> None:
    resp = _launch(client, platform, make_course(lessons=1), lambda c: None, sign_key=OTHER_KEY)
    assert resp.status_code == 400
    assert "signature does not match" in resp.get_data(as_text=True)


def test_a_replayed_launch_is_refused(
    client: Any, session: Any, platform: Platform, registration: Any, make_course: Any
) -> None:
    course = make_course(lessons=1)
    _, state, nonce = begin(client, platform, hint(course))
    data = {"id_token": platform.sign(platform.id_token_claims(hint(course), nonce)), "state": state}
    assert client.post("/lti/launch", data=data).status_code == 303
    replay = client.post("/lti/launch", data=data)
    assert replay.status_code == 409
    assert "already used" in replay.get_data(as_text=True)
    assert session.scalars(select(LoginState).where(LoginState.state == state)).one().used_at is not None


def test_unknown_platform_and_missing_parameters_at_login(
    client: Any, platform: Platform, registration: Any
) -> None:
    resp = client.post(
        "/lti/login", data={"iss": "https://nobody.example", "login_hint": "x", "target_link_uri": f"{TOOL}/"}
    )
    assert resp.status_code == 403
    assert "not registered" in resp.get_data(as_text=True)
    assert client.post("/lti/login", data={"iss": platform.issuer}).status_code == 400
    assert client.post("/lti/launch", data={}).status_code == 400


def test_old_launch_rows_are_deleted_by_the_cleanup_job(
    app: Any, client: Any, session: Any, platform: Platform, registration: Any, make_course: Any
) -> None:
    import datetime as dt

    from lms.jobs import enqueue
    from lms.jobs.core import run_job
    from lms.lti.models import Launch

    course = make_course(lessons=1)
    _, state, nonce = begin(client, platform, hint(course))
    client.post(
        "/lti/launch",
        data={"id_token": platform.sign(platform.id_token_claims(hint(course), nonce)), "state": state},
    )
    old = session.scalars(select(LoginState).where(LoginState.state == state)).one()
    old.expires_at = old.expires_at - dt.timedelta(days=2)
    for launch_row in session.scalars(select(Launch)):
        launch_row.expires_at = launch_row.expires_at - dt.timedelta(days=2)
    _, fresh_state, _ = begin(client, platform, hint(course))
    row = enqueue(session, "lti.cleanup")
    with app.app_context():
        assert run_job(row.id) == "done"
    session.expire_all()
    assert session.scalars(select(LoginState.state)).all() == [fresh_state]
    assert session.scalars(select(Launch)).all() == []


def test_the_page_framing_us_may_be_on_the_platform_courses_own_domain(
    client: Any, session: Any, platform: Platform, registration: Any, make_course: Any
) -> None:
    """Canvas: issuer canvas.instructure.com, course pages on the school's domain (launch_presentation)."""
    course = make_course(lessons=1)
    h = hint(course)
    _, state, nonce = begin(client, platform, h)
    claims = platform.id_token_claims(h, nonce)
    claims[CLAIM + "launch_presentation"] = {
        "return_url": "https://lms.truong.example.edu.vn/courses/7",
        "document_target": "iframe",
    }
    claims[CLAIM + "tool_platform"] = {"guid": "x", "url": "https://evil.example; script-src *"}
    resp = client.post("/lti/launch", data={"id_token": platform.sign(claims), "state": state})
    page = client.get(client.get(resp.headers["Location"]).headers["Location"])
    csp = page.headers["Content-Security-Policy"]
    ancestors = csp.split("frame-ancestors ", 1)[1].split(";")[0]
    assert ancestors.split() == ["'self'", platform.base_url, "https://lms.truong.example.edu.vn"]
    assert "evil" not in csp
