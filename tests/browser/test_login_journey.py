from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("username", "nav_label"),
    [("hocvien", None), ("giangvien", None), ("nhansu", None), ("quantri", "Người dùng")],
)
def test_each_demo_role_logs_in_and_out(page, live_server, username, nav_label):
    browser_login(page, live_server, username)
    nav = page.locator("nav.main-nav")
    expect(nav.get_by_text("Khoá học của tôi")).to_be_visible()
    if nav_label:
        expect(nav.get_by_role("link", name=nav_label, exact=True)).to_be_visible()
    page.locator("nav.main-nav button.link-button").click()
    page.wait_for_load_state()
    assert "/login" in page.url
    expect(page.get_by_text("Bạn đã đăng xuất.")).to_be_visible()


def test_switch_language_to_english_and_back(page, live_server):
    browser_login(page, live_server, "hocvien")
    page.select_option("#lang-select", "en")
    page.get_by_role("button", name="Đổi ngôn ngữ").click()
    page.wait_for_load_state()
    expect(page.locator("nav.main-nav").get_by_text("My courses")).to_be_visible()
    page.select_option("#lang-select", "vi")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state()
    expect(page.locator("nav.main-nav").get_by_text("Khoá học của tôi")).to_be_visible()


def test_login_form_without_csrf_token_is_refused(page, live_server):
    page.goto(f"{live_server}/login")
    page.evaluate("document.querySelector('main input[name=csrf_token]').remove()")
    page.fill("input[name=login]", "hocvien")
    page.fill("input[name=password]", "hocvien@2026")
    page.click("main form [type=submit]")
    page.wait_for_load_state()
    assert "/login" in page.url
    expect(page.get_by_text("thiếu mã bảo mật")).to_be_visible()
    expect(page.locator("nav.main-nav")).to_have_count(0)
