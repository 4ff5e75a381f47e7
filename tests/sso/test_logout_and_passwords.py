"""RP-initiated logout, the local-password switch (admins keep theirs), the admin rules page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import select

from lms.auth.models import Role
from lms.core.models import AuditEvent
from lms.sso import services
from lms.sso.models import SsoSettings
from tests.conftest import PASSWORD, login
from tests.sso.conftest import sign_in


def test_logout_ends_the_session_at_the_provider_too(client, session, oidc_op, make_user):
    make_user(email="an.nv@tinh.example.vn")
    assert sign_in(client, oidc_op, "nguyen.van.an").status_code == 302
    response = client.post("/logout")
    assert response.status_code == 302
    target = response.headers["Location"]
    assert target.startswith(f"{oidc_op.issuer}/session/end")
    params = parse_qs(urlsplit(target).query)
    assert params["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert params["client_id"] == ["lms"]
    assert params["id_token_hint"][0].count(".") == 2
    assert client.get("/account").status_code == 302  # logged out here at once
    # The provider accepts the hint and asks to confirm (a forged hint gets its error page).
    answer = requests.get(target, timeout=10)
    assert answer.status_code == 200
    assert "logout" in answer.text.lower()
    forged = target.replace(params["id_token_hint"][0], "x.y.z")
    assert requests.get(forged, timeout=10).status_code == 400


def test_password_logout_stays_local(client, make_user):
    user = make_user()
    login(client, user)
    response = client.post("/logout")
    assert response.headers["Location"].endswith("/login")


def _passwords_off(session, make_user):
    admin = make_user(Role.ADMIN.value, username="quantri-sso")
    services.save_settings(
        session,
        link_by_verified_email=True,
        link_by_username=False,
        create_accounts=False,
        holding_unit=None,
        local_passwords_off=True,
        by=admin,
    )
    return admin


def test_local_passwords_off_refuses_staff_but_not_admins(client, session, make_user):
    learner = make_user(username="canbo-sso")
    hr = make_user(Role.HR.value, username="nhansu-sso")
    admin = _passwords_off(session, make_user)
    for user in (learner, hr):
        response = client.post("/login", data={"login": user.username, "password": PASSWORD})
        assert response.status_code == 200
        assert "Mật khẩu của trang này đã được tắt" in response.get_data(as_text=True)
        assert client.get("/account").status_code == 302
    refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "login_refused")).all()
    assert {e.subject for e in refused} == {f"user:{learner.id}", f"user:{hr.id}"}
    # Break-glass: administrators keep their password (decision 1703).
    response = client.post("/login", data={"login": admin.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_passwords_stay_on_while_sso_is_not_configured(app, client, session, make_user, monkeypatch):
    learner = make_user(username="canbo-sso2")
    _passwords_off(session, make_user)
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "")  # the switch needs a way in: SSO must be on
    response = client.post("/login", data={"login": learner.username, "password": PASSWORD})
    assert response.status_code == 302


def test_login_page_shows_the_province_button_only_when_enabled(app, client, monkeypatch):
    page = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập bằng tài khoản của tỉnh" in page
    # Browsers apply CSP form-action to the redirect after the button's POST: the provider is allowed.
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {app.config['OIDC_ISSUER']};" in csp
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "")
    off = client.get("/login")
    assert "Đăng nhập bằng tài khoản của tỉnh" not in off.get_data(as_text=True)
    assert "form-action 'self';" in off.headers["Content-Security-Policy"]
    assert client.post("/sso/login").status_code == 404
    assert client.get("/sso/callback?code=x&state=y").status_code == 404


def test_admin_sets_the_rules(client, session, make_user, make_unit):
    admin = make_user(Role.ADMIN.value)
    holding = make_unit(name="Chờ phân công")
    login(client, admin)
    assert client.get("/admin/sso").status_code == 200
    assert session.get(SsoSettings, 1) is None  # GET wrote nothing
    bad = client.post("/admin/sso", data={"create_accounts": "y", "holding_unit": "NO-SUCH"})
    assert bad.status_code == 200
    assert "Không có đơn vị nào mang mã này" in bad.get_data(as_text=True)
    assert session.get(SsoSettings, 1) is None  # nothing half-written
    missing = client.post("/admin/sso", data={"create_accounts": "y"})
    assert "Hãy chọn đơn vị tạm" in missing.get_data(as_text=True)
    ok = client.post(
        "/admin/sso",
        data={"link_by_username": "y", "create_accounts": "y", "holding_unit": holding.code.lower()},
    )
    assert ok.status_code == 302
    row = session.get(SsoSettings, 1)
    assert (row.link_by_verified_email, row.link_by_username, row.create_accounts) == (False, True, True)
    assert (row.holding_unit_id, row.local_passwords_off, row.updated_by_id) == (holding.id, False, admin.id)


def test_rules_page_is_for_admins_only(client, make_user):
    login(client, make_user(Role.HR.value))
    assert client.get("/admin/sso").status_code == 403
    assert client.post("/admin/sso", data={"local_passwords_off": "y"}).status_code == 403


def test_admin_unlinks_a_province_account(client, session, oidc_op, make_user):
    from lms.sso.models import OidcIdentity

    user = make_user(email="an.nv@tinh.example.vn")
    session.add(
        OidcIdentity(issuer=oidc_op.issuer, subject="old-subject", user_id=user.id, linked_by="email")
    )
    session.flush()
    assert sign_in(client, oidc_op, "nguyen.van.an").status_code == 403  # already linked to old-subject
    login(client, make_user(Role.ADMIN.value))
    unknown = client.post("/admin/sso/unlink", data={"username": "no-such-user"})
    assert "Không có tài khoản nào có tên đăng nhập này" in unknown.get_data(as_text=True)
    assert client.post("/admin/sso/unlink", data={"username": user.username.upper()}).status_code == 302
    assert session.scalars(select(OidcIdentity).where(OidcIdentity.user_id == user.id)).all() == []
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "sso_unlinked")).subject
        == f"user:{user.id}"
    )
    client.post("/logout")
    assert sign_in(client, oidc_op, "nguyen.van.an").status_code == 302  # links again by e-mail
