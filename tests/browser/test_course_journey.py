"""A learner finds a course by searching without diacritics, enrols, completes every lesson
and sees the progress bar reach 100% — with JavaScript and without it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lms.auth.models import User
from lms.auth.services import hash_password
from lms.db import db

pytestmark = pytest.mark.browser

PASSWORD = "hoc-khoa-2026"


@pytest.fixture(scope="module")
def journey_users(live_app):
    """Two fresh learners so the journey does not depend on other tests' demo accounts."""
    names = ["hv.hanhtrinh.js", "hv.hanhtrinh.nojs"]
    with live_app.app_context():
        for name in names:
            if db.session.query(User).filter_by(username=name).first() is None:
                user = User(username=name, full_name="Trần Văn Học", password_hash=hash_password(PASSWORD))
                user.set_roles({"learner"})
                db.session.add(user)
        db.session.commit()
    return names


def _journey(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_load_state()

    page.goto(f"{base_url}/courses/")
    page.fill("input[name=q]", "khoa hoc vi du")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state()
    page.get_by_role("link", name="Khóa học ví dụ").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Chưa đăng ký")).to_be_visible()
    page.get_by_role("button", name="Đăng ký và bắt đầu").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Giới thiệu khóa học"
    expect(page.get_by_text("Bạn đã đăng ký")).to_be_visible()
    # The lesson's SVG image loads through the asset URL.
    assert page.locator(".lesson-body img").evaluate("img => img.naturalWidth") > 0

    # Complete lessons one after the other (each completion opens the next lesson) until the
    # last one: it stays on that lesson and says what is next, the module quiz (issue 16).
    clicks = 0
    while (button := page.get_by_role("button", name="Hoàn thành bài học")).count():
        assert clicks < 10, "the lessons never ran out"
        button.click()
        page.wait_for_load_state()
        clicks += 1
    assert clicks >= 3
    expect(page.get_by_role("link", name="Làm bài kiểm tra mô-đun")).to_be_visible()
    page.locator("nav.breadcrumbs").get_by_role("link", name="Khóa học ví dụ").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Khóa học ví dụ"
    assert page.locator("progress").first.get_attribute("value") == "100"

    page.get_by_role("link", name="Khoá học của tôi").first.click()
    page.wait_for_load_state()
    card = page.locator(".course-row", has_text="Khóa học ví dụ")
    assert card.locator("progress").first.get_attribute("value") == "100"


def test_learner_searches_enrols_and_completes(page, live_server, journey_users):
    _journey(page, live_server, journey_users[0])


def test_same_journey_without_javascript(browser, live_server, journey_users):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _journey(page, live_server, journey_users[1])
    finally:
        context.close()
