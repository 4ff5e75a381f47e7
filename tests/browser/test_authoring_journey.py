"""A trainer builds and publishes a small course in the browser; a learner finds it.

Run with and without JavaScript: every step works through plain forms.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser


def _build_and_publish(page: Any, base: str, slug: str, *, js: bool) -> None:
    browser_login(page, base, "giangvien")
    page.locator("nav.main-nav").get_by_role("link", name="Biên soạn khoá học").click()
    page.get_by_role("link", name="Khoá học mới").click()
    page.fill("#title", f"Ký số nhanh {slug}")
    page.fill("#slug", slug)
    page.fill("#summary", "Khoá học ngắn về chữ ký số.")  # asked for when the course is created
    page.select_option("#topic", "digital-signature")
    page.get_by_role("button", name="Tạo khoá học").click()
    expect(page.get_by_text("Đã tạo khoá học.")).to_be_visible()

    page.fill("#summary", "Khoá học ngắn về chữ ký số.")
    page.get_by_role("button", name="Lưu thiết lập").click()
    expect(page.get_by_text("Đã lưu thiết lập khoá học vào bản nháp.")).to_be_visible()
    page.fill("#module-title", "Tổng quan")
    page.get_by_role("button", name="Thêm mô-đun").click()
    page.get_by_label("Tiêu đề bài học mới").fill("Chữ ký số là gì?")
    page.get_by_role("button", name="Thêm bài học").click()
    expect(page.get_by_role("heading", name="Sửa bài học: Chữ ký số là gì?")).to_be_visible()

    page.fill("#body_markdown", "## Khái niệm\n\nChữ ký số dùng **khoá bí mật** để ký.")
    if js:
        # Live preview, rendered on the server by the learners' renderer.
        page.locator("#live-preview strong", has_text="khoá bí mật").wait_for()
    else:
        page.get_by_role("button", name="Xem trước", exact=True).click()
        expect(page.locator("#live-preview strong", has_text="khoá bí mật")).to_be_visible()
        expect(page.locator("#body_markdown")).to_have_value(re.compile(r"^## Khái niệm"))
    page.get_by_role("button", name="Lưu bài học").click()
    expect(page.get_by_text("Đã lưu bài học vào bản nháp.")).to_be_visible()

    page.get_by_role("link", name=f"Ký số nhanh {slug}").first.click()
    _add_quiz(page)
    page.get_by_role("link", name="Xem trước như học viên").click()
    expect(page.locator(".lesson-body h2", has_text="Khái niệm")).to_be_visible()
    page.get_by_role("link", name="Quay lại trình biên soạn").click()
    page.fill("#note", "Phiên bản đầu tiên")
    page.get_by_role("button", name="Xuất bản", exact=True).click()
    expect(page.get_by_text("Đã xuất bản phiên bản 1.")).to_be_visible()
    page.get_by_role("link", name="Lịch sử phiên bản").click()
    expect(page.get_by_text("Phiên bản đầu tiên").first).to_be_visible()


def _add_quiz(page: Any) -> None:
    """A module quiz with one single-choice question, tried once without it counting."""
    page.get_by_role("link", name="Bài kiểm tra và ngân hàng câu hỏi").click()
    page.get_by_role("button", name="Thêm bài kiểm tra cho mô-đun này").click()
    page.fill("#pass_mark", "100")
    page.get_by_role("button", name="Lưu thiết lập bài kiểm tra").click()
    expect(page.get_by_text("Đã lưu thiết lập bài kiểm tra vào bản nháp.")).to_be_visible()
    page.get_by_role("button", name="Thêm câu hỏi").click()
    page.fill("#prompt", "Ký số dùng khoá nào?")
    page.get_by_label("Phương án 1", exact=True).fill("Khoá bí mật")
    page.get_by_label("Phương án 1 là đúng").check()
    page.get_by_label("Phản hồi cho phương án 1").fill("Chính xác.")
    page.get_by_label("Phương án 2", exact=True).fill("Khoá công khai")
    page.fill("#explanation", "Người ký dùng khoá bí mật; người nhận kiểm tra bằng khoá công khai.")
    page.get_by_role("button", name="Lưu câu hỏi").click()
    expect(page.get_by_text("Đã lưu câu hỏi vào bản nháp.")).to_be_visible()
    page.get_by_role("link", name="Làm thử bài kiểm tra").click()
    page.get_by_label("Khoá bí mật").check()
    page.get_by_role("button", name="Nộp bài và xem kết quả").click()
    expect(page.get_by_text("100,0\u00a0%")).to_be_visible()
    expect(page.get_by_text("Chính xác.")).to_be_visible()
    page.get_by_role("link", name="Quay lại ngân hàng câu hỏi").click()
    page.get_by_role("link", name=re.compile(r"^← ")).first.click()


@pytest.mark.parametrize("js", [True, False], ids=["with-js", "without-js"])
def test_trainer_builds_publishes_and_learner_sees_it(browser: Any, live_server: str, js: bool) -> None:
    slug = f"ky-so-nhanh-{'js' if js else 'nojs'}"
    context = browser.new_context(java_script_enabled=js)
    page = context.new_page()
    try:
        _build_and_publish(page, live_server, slug, js=js)
        context.clear_cookies()
        browser_login(page, live_server, "hocvien")
        page.goto(f"{live_server}/courses/")
        page.get_by_role("link", name=f"Ký số nhanh {slug}").click()
        page.get_by_role("button", name="Đăng ký và bắt đầu").click()
        expect(page.locator(".lesson-body strong", has_text="khoá bí mật")).to_be_visible()
        page.get_by_role("button", name="Hoàn thành bài học").click()
        page.goto(f"{live_server}/courses/{slug}")
        page.get_by_role("link", name=re.compile("Kiểm tra: Tổng quan")).click()
        page.get_by_role("button", name="Bắt đầu làm bài").click()
        page.get_by_label("Khoá bí mật").check()
        page.get_by_role("button", name="Nộp bài…").click()
        page.get_by_role("button", name="Nộp bài ngay").click()
        expect(page.get_by_text("Đạt", exact=True).first).to_be_visible()
        page.goto(f"{live_server}/courses/{slug}")
        expect(page.get_by_text("Hoàn thành ngày")).to_be_visible()
    finally:
        context.close()


def test_unsaved_changes_warning(page: Any, live_server: str) -> None:
    browser_login(page, live_server, "giangvien")
    page.goto(f"{live_server}/authoring/new")
    page.fill("#title", "Cảnh báo chưa lưu")
    page.fill("#slug", "canh-bao-chua-luu")
    page.fill("#summary", "Tóm tắt.")
    page.get_by_role("button", name="Tạo khoá học").click()
    # Wait for the course's own page: the form on /authoring/new has a #summary too.
    page.wait_for_url(lambda url: "/authoring/new" not in url)
    page.wait_for_load_state()
    page.fill("#summary", "Đang gõ dở")
    with page.expect_event("dialog") as info:
        page.close(run_before_unload=True)
    assert info.value.type == "beforeunload"
    info.value.dismiss()  # "Stay on the page": nothing typed is lost.
    assert not page.is_closed()
    assert page.input_value("#summary") == "Đang gõ dở"
