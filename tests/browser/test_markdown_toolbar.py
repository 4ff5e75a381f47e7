"""Lesson editor on a phone: a Markdown toolbar with thumb-sized buttons; the plain textarea without JS."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.db import db
from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lesson_url(live_app: Any) -> str:
    from lms.auth.models import User
    from lms.authoring import services

    with live_app.app_context():
        s = db.session
        trainer = s.scalars(select(User).where(User.username == "giangvien")).one()
        course = services.create_course(
            s, slug="", title="Thanh công cụ soạn thảo", topic="other", by=trainer, summary="Thử."
        )
        draft = services.get_draft(s, course)
        module = services.add_module(s, draft, "Mô-đun", by=trainer)
        lesson = services.add_lesson(s, module, "Bài", by=trainer)
        s.commit()
        return f"/authoring/{course.id}/lessons/{lesson.id}"


@pytest.fixture(scope="module")
def question_url(live_app: Any) -> str:
    from lms.auth.models import User
    from lms.authoring import bank, services

    with live_app.app_context():
        s = db.session
        trainer = s.scalars(select(User).where(User.username == "giangvien")).one()
        course = services.create_course(
            s, slug="", title="Thanh công cụ câu hỏi", topic="other", by=trainer, summary="Thử."
        )
        draft = services.get_draft(s, course)
        module = services.add_module(s, draft, "Mô-đun", by=trainer)
        quiz = bank.add_quiz(s, draft, module, by=trainer)
        s.commit()
        return f"/authoring/{course.id}/quizzes/{quiz.id}/questions/new?kind=single"


def test_toolbar_works_on_a_phone(browser, live_server, lesson_url):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        browser_login(page, live_server, "giangvien")
        page.goto(live_server + lesson_url)
        toolbar = page.get_by_role("toolbar", name="Định dạng")
        expect(toolbar).to_be_visible()
        for name in ("Đậm", "Danh sách", "Đường dẫn", "Hình ảnh", "Lưu ý"):
            box = toolbar.get_by_role("button", name=name).bounding_box()
            assert box is not None
            assert box["height"] >= 44  # a thumb can hit it
            assert box["x"] + box["width"] <= 320
        area = page.locator("#body_markdown")
        area.fill("Ký số an toàn")
        area.evaluate("el => el.setSelectionRange(6, 13)")  # "an toàn"
        toolbar.get_by_role("button", name="Đậm").click()
        assert area.input_value() == "Ký số **an toàn**"
        toolbar.get_by_role("button", name="Lưu ý").click()
        assert "::: note" in area.input_value()
        page.locator("#live-preview .admonition").wait_for()  # the live preview followed the change
    finally:
        context.close()


def test_text_typed_before_the_script_arrives_is_previewed(page, live_server, lesson_url):
    """On a slow link the trainer types before authoring.js has loaded: the preview still follows."""
    held: list[Any] = []
    # Hold the script back until the text is typed.
    page.route("**/static/js/authoring.js", lambda route: held.append(route))
    browser_login(page, live_server, "giangvien")
    page.goto(live_server + lesson_url, wait_until="commit")
    page.locator("#body_markdown").fill("Ký bằng **khoá bí mật** trước khi trang tải xong")
    deadline = 100
    while not held and deadline:  # the browser asks for the script while it parses the page
        page.wait_for_timeout(50)
        deadline -= 1
    assert held, "the editor page never asked for authoring.js"
    expect(page.locator("#live-preview strong")).to_have_count(0)  # nothing previewed yet
    held[0].continue_()
    expect(page.locator("#live-preview strong", has_text="khoá bí mật")).to_be_visible()


def test_plain_textarea_without_javascript(browser, live_server, lesson_url):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        browser_login(page, live_server, "giangvien")
        page.goto(live_server + lesson_url)
        expect(page.get_by_role("toolbar")).not_to_be_visible()
        expect(page.locator("#body_markdown")).to_be_visible()
    finally:
        context.close()


def test_question_editor_has_the_toolbar_on_a_phone(browser, live_server, question_url):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        browser_login(page, live_server, "giangvien")
        page.goto(live_server + question_url)
        for target, name in (("#prompt", "Định dạng: câu hỏi"), ("#explanation", "Định dạng: giải thích")):
            toolbar = page.get_by_role("toolbar", name=name)
            assert (
                toolbar.get_by_role("button", name="Hình ảnh").count() == 0
            )  # quiz text: absolute URLs only
            for button in ("Đậm", "Danh sách", "Đường dẫn", "Lưu ý"):
                box = toolbar.get_by_role("button", name=button).bounding_box()
                assert box is not None
                assert box["height"] >= 44
                assert box["x"] + box["width"] <= 320
            area = page.locator(target)
            area.fill("Chọn chữ ký số hợp lệ")
            area.evaluate("el => el.setSelectionRange(5, 14)")  # "chữ ký số"
            toolbar.get_by_role("button", name="Đậm").click()
            assert area.input_value() == "Chọn **chữ ký số** hợp lệ"
    finally:
        context.close()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        browser_login(page, live_server, "giangvien")
        page.goto(live_server + question_url)
        expect(page.get_by_role("toolbar").first).not_to_be_visible()
        expect(page.locator("#prompt")).to_be_visible()
        expect(page.locator("#explanation")).to_be_visible()
    finally:
        context.close()
