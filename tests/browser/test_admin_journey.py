"""An administrator's day through the real forms (CSRF on): units, an account, a reset link, a merge."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser


def _choose(page, select: str, text: str) -> None:
    """Pick the option whose label contains text (labels are indented by tree depth)."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value)


def _submit(page, form_selector: str) -> None:
    page.locator(form_selector).locator("[type=submit]").click()
    page.wait_for_load_state()


def test_admin_creates_units_and_account_hands_over_link_then_merges(page, live_server, browser):
    browser_login(page, live_server, "quantri")
    for code, name in (("BT-A", "Phòng Thử nghiệm A"), ("BT-B", "Phòng Thử nghiệm B")):
        page.goto(f"{live_server}/admin/units/new")
        _choose(page, "#parent", "UBND tỉnh Quảng Ninh (QN)")
        page.fill("#code", code)
        page.fill("#name", name)
        page.select_option("#kind", "office")
        _submit(page, "main form")
        expect(page.get_by_text(f"Đã tạo đơn vị {name}.")).to_be_visible()

    page.get_by_role("link", name="Phòng Thử nghiệm A").click()
    page.get_by_role("link", name="Thêm người").click()
    page.fill("#full_name", "Trịnh Thị Thử")
    page.fill("#username", "tt.thu")
    page.select_option("#it_qualification", "none")  # no level is preselected
    page.check("input[name=roles][value=learner]")
    _submit(page, "main form")
    expect(page.get_by_text("Đã tạo tài khoản tt.thu")).to_be_visible()

    page.get_by_role("button", name="Tạo đường dẫn đặt lại mật khẩu").click()
    page.wait_for_load_state()
    link = page.input_value("#reset-link")
    assert "/reset/" in link

    newcomer = browser.new_context().new_page()
    newcomer.goto(link)
    newcomer.fill("#password", "mat-khau-cua-thu-2026")
    newcomer.fill("#confirm", "mat-khau-cua-thu-2026")
    _submit(newcomer, "main form")
    newcomer.fill("input[name=login]", "tt.thu")
    newcomer.fill("input[name=password]", "mat-khau-cua-thu-2026")
    _submit(newcomer, "main form")
    expect(newcomer.locator("nav.main-nav").get_by_text("Khoá học của tôi")).to_be_visible()
    newcomer.goto(link)
    assert newcomer.locator("h1").inner_text() == "404"  # the link worked once
    newcomer.context.close()

    page.goto(f"{live_server}/admin/units")
    page.get_by_role("link", name="Phòng Thử nghiệm A").click()
    _choose(page, "#target", "Phòng Thử nghiệm B (BT-B)")
    _submit(page, "form[action$='/merge']")
    expect(page.get_by_text("1 người chuyển sang Phòng Thử nghiệm B.")).to_be_visible()
    page.get_by_role("button", name="Sáp nhập ngay").click()
    page.wait_for_load_state()
    expect(page.get_by_text("1 người đã được chuyển")).to_be_visible()

    page.goto(f"{live_server}/admin/audit?action=unit_merged")
    expect(page.get_by_text("Tìm thấy 1 sự kiện.")).to_be_visible()
