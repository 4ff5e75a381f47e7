"""Admins register platforms (validated forms, in Vietnamese) and rotate the tool's keys (CLI + JWKS)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from lms.core.models import AuditEvent
from lms.db import utcnow
from lms.lti import keys
from lms.lti.models import Identity, Platform, ToolKey

GOOD = {
    "name": "Moodle Sở Nội vụ",
    "issuer": "https://moodle.snv.example.gov.vn",
    "client_id": "Xk2v9",
    "deployment_ids": "1\n7\n",
    "jwks_url": "https://moodle.snv.example.gov.vn/mod/lti/certs.php",
    "auth_login_url": "https://moodle.snv.example.gov.vn/mod/lti/auth.php",
    "access_token_url": "https://moodle.snv.example.gov.vn/mod/lti/token.php",
    "is_active": "y",
}


def test_admin_registers_and_edits_a_platform(session: Any, make_user: Any, login_as: Any) -> None:
    client = login_as(make_user("admin"))
    page = client.get("/admin/lti/platforms/new").get_data(as_text=True).replace("<wbr>", "")
    assert "http://localhost/lti/login" in page
    assert "http://localhost/lti/jwks.json" in page
    resp = client.post("/admin/lti/platforms/new", data=GOOD)
    assert resp.status_code == 302
    platform = session.scalars(select(Platform).where(Platform.client_id == "Xk2v9")).one()
    assert platform.deployment_ids == ["1", "7"]
    assert (
        session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "lti.platform_created"))
        == 1
    )
    resp = client.post(f"/admin/lti/platforms/{platform.id}", data={**GOOD, "deployment_ids": "7\n9"})
    assert resp.status_code == 302
    session.refresh(platform)
    assert platform.deployment_ids == ["7", "9"]
    assert "Moodle Sở Nội vụ" in client.get("/admin/lti/").get_data(as_text=True)


def test_bad_registrations_are_explained_in_vietnamese_and_nothing_is_saved(
    session: Any, make_user: Any, login_as: Any
) -> None:
    client = login_as(make_user("admin"))
    assert client.post("/admin/lti/platforms/new", data=GOOD).status_code == 302
    before = session.scalar(select(func.count(Platform.id)))
    resp = client.post(
        "/admin/lti/platforms/new", data={**GOOD, "jwks_url": "ftp://x", "deployment_ids": " \n "}
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Nhập địa chỉ web đầy đủ, bắt đầu bằng https://" in page
    assert "Nhập ít nhất một mã triển khai" in page or "Trường này là bắt buộc" in page
    resp = client.post("/admin/lti/platforms/new", data=GOOD)
    assert "Đơn vị phát hành này đã được đăng ký với mã máy khách này." in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Platform.id))) == before


def test_an_admin_links_a_platform_user_to_a_local_account(
    session: Any, make_user: Any, login_as: Any
) -> None:
    admin = make_user("admin")
    local = make_user(username="nguyenvana")
    shadow = make_user(username="lti-abc")
    platform = Platform(
        name="P",
        issuer="https://p.example",
        client_id="c",
        auth_login_url="https://p.example/a",
        access_token_url="https://p.example/t",
        jwks_url="https://p.example/k",
    )
    session.add(platform)
    session.flush()
    identity = Identity(issuer=platform.issuer, sub="42", platform_id=platform.id, user_id=shadow.id)
    session.add(identity)
    session.flush()
    client = login_as(admin)
    resp = client.post(f"/admin/lti/identities/{identity.id}/link", data={"username": "khong-co"})
    assert resp.status_code == 302
    assert identity.user_id == shadow.id
    client.post(f"/admin/lti/identities/{identity.id}/link", data={"username": "nguyenvana"})
    session.refresh(identity)
    assert identity.user_id == local.id


def test_rotate_keys_keeps_the_old_key_published_for_the_grace_period(app: Any, session: Any) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "lti", "rotate-keys"])
    assert first.exit_code == 0, first.output
    old = session.scalars(select(ToolKey).order_by(ToolKey.id.desc())).first()
    token_by_old = keys.sign(session, {"iss": "tool"})
    second = runner.invoke(args=["lms", "lti", "rotate-keys"])
    assert second.exit_code == 0, second.output
    session.expire_all()
    new = keys.signing_key(session)
    assert new.kid != old.kid
    published = app.test_client().get("/lti/jwks.json").get_json()
    kids = [k["kid"] for k in published["keys"]]
    assert kids[:2] == [new.kid, old.kid]
    assert all("d" not in k and k["alg"] == "RS256" and k["use"] == "sig" for k in published["keys"])
    # A platform holding a token signed by the old key still verifies it with the JWKS.
    assert jwt.decode(token_by_old, KeySet.import_key_set(published)).claims["iss"] == "tool"
    assert (
        jwt.decode(keys.sign(session, {"iss": "t2"}), KeySet.import_key_set(published)).header["kid"]
        == new.kid
    )
    # After the grace period the old key leaves the JWKS and the next rotation deletes it.
    later = utcnow() + dt.timedelta(hours=73)
    grace = dt.timedelta(hours=72)
    assert old.kid not in [k["kid"] for k in keys.published_jwks(session, grace, now=later)["keys"]]
    assert keys.drop_expired_keys(session, grace, now=later) >= 1
    assert session.get(ToolKey, old.id) is None
