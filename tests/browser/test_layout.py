"""Base layout: readable at 320 px, labelled fields, landmarks, skip link, visible focus, works without JS.

Set LMS_SCREENSHOTS=/some/dir to keep PNGs of the pages for a human look.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lms.demo.province import demo_password
from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser

PAGES = [
    (None, "/login"),
    ("hocvien", "/"),
    ("hocvien", "/account"),
    ("quantri", "/admin/users"),
    ("quantri", "/admin/units"),
    ("quantri", "/admin/audit"),
    ("quantri", "/admin/users/1"),
    ("quantri", "/admin/units/2"),
]

UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)"""


def _shot(page, name: str) -> None:
    folder = os.environ.get("LMS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(Path(folder) / f"wide-{name}.png"))
        page.set_viewport_size({"width": 320, "height": 640})


@pytest.mark.parametrize(("username", "path"), PAGES)
def test_page_fits_320px_with_landmarks_and_labels(browser, live_server, username, path):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        if username:
            browser_login(page, live_server, username)
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, "horizontal scrolling at 320 px"
        expect(page.locator("header[role=banner], body > header")).to_have_count(1)
        expect(page.locator("main#main")).to_have_count(1)
        expect(page.locator("footer")).to_have_count(1)
        if username:
            assert page.locator("nav[aria-label]").count() >= 1
        assert page.evaluate(UNLABELLED_FIELDS) == []
        expect(page.locator("h1")).to_have_count(1)
        _shot(page, f"320-{username or 'anon'}-{path.strip('/').replace('/', '-') or 'home'}")
    finally:
        context.close()


def test_skip_link_is_first_and_focus_is_visible(page, live_server):
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None
    assert box["x"] >= 0  # moved on screen when focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert outline not in ("0px", "")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "login"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"


def test_everything_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", "quantri")
        page.fill("input[name=password]", demo_password("quantri"))
        page.click("main form [type=submit]")
        page.wait_for_load_state()
        # On a phone the menu is a closed <details>: it opens without script.
        expect(page.locator("nav.main-nav").get_by_role("link", name="Người dùng")).not_to_be_visible()
        page.locator("#main-menu > summary").click()
        expect(page.locator("nav.main-nav").get_by_role("link", name="Người dùng")).to_be_visible()
        page.goto(f"{live_server}/admin/units")
        # The tree opens and closes with <details>, no script needed.
        page.locator("ul.tree-root details > summary").first.click()
        _shot(page, "nojs-admin-units")
        page.select_option("#lang-select", "en")
        page.get_by_role("button", name="Đổi ngôn ngữ").click()
        page.wait_for_load_state()
        page.locator("#main-menu > summary").click()
        expect(page.locator("nav.main-nav").get_by_text("Users")).to_be_visible()
        # Back to Vietnamese: the live database is shared by the browser tests.
        page.select_option("#lang-select", "vi")
        page.get_by_role("button", name="Change language").click()
        page.wait_for_load_state()
        page.locator("#main-menu > summary").click()
        expect(page.locator("nav.main-nav").get_by_text("Người dùng")).to_be_visible()
        page.locator("nav.main-nav button.link-button").click()
        page.wait_for_load_state()
        assert "/login" in page.url
        _shot(page, "nojs-after-logout")
    finally:
        context.close()


@pytest.mark.parametrize("js", [True, False])
def test_menu_is_collapsed_on_a_phone_and_open_on_a_wide_screen(browser, live_server, js):
    context = browser.new_context(java_script_enabled=js, viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        browser_login(page, live_server, "quantri")
        nav = page.locator("nav.main-nav")
        header = page.locator("header.site-header").bounding_box()
        assert header is not None
        assert header["height"] < 160, "the closed menu leaves most of a 640 px screen to the page"
        expect(nav.get_by_role("link", name="Người dùng")).not_to_be_visible()
        page.locator("#main-menu > summary").click()
        expect(nav.get_by_role("link", name="Người dùng")).to_be_visible()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.reload()
        expect(page.locator("#main-menu > summary")).not_to_be_visible()
        expect(nav.get_by_role("link", name="Người dùng")).to_be_visible()
    finally:
        context.close()
