"""Single sign-on in Chromium against the real test provider: sign in, log out at both ends, a refusal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.auth.models import User
from lms.db import db
from lms.sso.models import OidcIdentity

pytestmark = pytest.mark.browser


@pytest.fixture
def sso_on(live_app, oidc_op, monkeypatch):
    """The live site registered as client "lms" at the provider, with one account to link by e-mail."""
    for key, value in oidc_op.settings().items():
        monkeypatch.setitem(live_app.config, key, value)
    with live_app.app_context():
        if db.session.scalar(select(User).where(User.username == "sso.an")) is None:
            db.session.add(User(username="sso.an", email="an.nv@tinh.example.vn", full_name="Nguyễn Văn An"))
            db.session.commit()
    return oidc_op


def test_sign_in_with_the_province_account_and_log_out_at_both_ends(page, live_server, live_app, sso_on):
    page.goto(f"{live_server}/login")
    page.get_by_role("button", name="Đăng nhập bằng tài khoản của tỉnh").click()
    # The provider's own login page (another origin).
    page.wait_for_url(f"{sso_on.issuer}/**", wait_until="domcontentloaded")
    page.fill("input[name=login]", "nguyen.van.an")
    page.fill("input[name=password]", "any")
    page.locator("button[type=submit]").click()
    # node-oidc-provider always asks native (loopback) clients to confirm ("Continue").
    page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server}/**")
    expect(page.locator("nav.main-nav").get_by_text("Khoá học của tôi")).to_be_visible()
    with live_app.app_context():
        identity = db.session.scalar(select(OidcIdentity).where(OidcIdentity.subject == "nguyen.van.an"))
        assert identity is not None
        assert identity.user.username == "sso.an"

    # Logout: here, then at the provider (it asks to confirm), then back to our login page.
    page.locator("nav.main-nav button.link-button").click()
    page.wait_for_url(f"{sso_on.issuer}/**", wait_until="domcontentloaded")
    page.locator("button[autofocus]").click()
    page.wait_for_url(f"{live_server}/login**")
    expect(page.get_by_role("button", name="Đăng nhập bằng tài khoản của tỉnh")).to_be_visible()
    page.goto(f"{live_server}/account")
    assert "/login" in page.url  # signed out


def test_a_forged_answer_shows_a_clear_page(page, live_server, sso_on):
    page.goto(f"{live_server}/sso/callback?code=forged&state=forged")
    expect(
        page.get_by_role("heading", name="Lượt đăng nhập đã hết hạn hoặc không bắt đầu từ trang này")
    ).to_be_visible()
    page.get_by_role("button", name="Đăng nhập bằng tài khoản của tỉnh").click()
    page.wait_for_url(f"{sso_on.issuer}/**", wait_until="domcontentloaded")
    expect(page.locator("input[name=login]")).to_be_visible()
