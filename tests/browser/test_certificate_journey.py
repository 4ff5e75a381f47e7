"""Browser: a learner completes a course in the lesson player, downloads the signed
certificate, and anyone can open its verify URL (from the QR code) without logging in."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.catalog.models import Course, Lesson, Module
from lms.certificates.signing import dev_key_dir, make_dev_keys
from lms.db import db
from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser

TITLE = "Chữ ký số và liên thông văn bản điện tử (trình duyệt)"
SLUG = "cert-browser-journey"


def _publish_course(live_app: Any) -> None:
    """A short published course (two lessons) in the live database, and the dev signing keys."""
    with live_app.test_request_context():
        make_dev_keys(dev_key_dir(), org_name="UBND tỉnh Quảng Ninh", issuer_name="Sở KH&CN Quảng Ninh")
        session = db.session
        if session.scalar(select(Course).where(Course.slug == SLUG)):
            return
        course = Course(
            slug=SLUG,
            title=TITLE,
            status="published",
            estimated_hours=4,
            certificate_validity_months=24,
            require_quizzes=False,
            require_final_exam=False,
        )
        course.modules.append(Module(key="m1", title="Tổng quan"))
        session.add(course)
        session.flush()
        for i in (1, 2):
            course.modules[0].lessons.append(
                Lesson(
                    key=f"l{i}", title=f"Bài {i}", course_id=course.id, body_html=f"<p>Nội dung bài {i}.</p>"
                )
            )
        session.commit()


def test_complete_download_and_verify_logged_out(
    page: Any, browser: Any, live_server: str, live_app: Any, tmp_path: Path
) -> None:
    _publish_course(live_app)

    # Complete the course through the lesson player.
    browser_login(page, live_server, "hocvien")
    page.goto(f"{live_server}/courses/{SLUG}")
    page.get_by_role("button", name="Đăng ký và bắt đầu").click()
    page.wait_for_load_state()
    clicks = 0
    while (button := page.get_by_role("button", name="Hoàn thành bài học")).count():
        assert clicks < 5, "the lessons never ran out"
        button.click()
        page.wait_for_load_state()
        clicks += 1
    assert page.locator("h1").inner_text() == TITLE
    expect(page.locator(".certificate-earned")).to_be_visible()  # the course page shows the certificate

    page.locator("nav.main-nav").get_by_role("link", name="Chứng chỉ của tôi").click()
    row = page.locator("tr", has_text=TITLE)
    code = row.locator("td").nth(1).inner_text().strip()
    # The PDF is rendered by the background job; the page says so and reloads itself until it is there.
    row.get_by_role("link", name="Tải PDF").wait_for(timeout=90_000)
    with page.expect_download() as info:
        row.get_by_role("link", name="Tải PDF").click()
    pdf_path = tmp_path / "cert.pdf"
    info.value.save_as(pdf_path)
    # Next to it, the same certificate as a signed Open Badges 3.0 credential (its own job).
    row.get_by_role("link", name="Open Badge").wait_for(timeout=90_000)
    with page.expect_download() as info:
        row.get_by_role("link", name="Open Badge").click()
    assert info.value.suggested_filename == f"chung-chi-{code}-openbadge.jwt"
    badge_path = tmp_path / info.value.suggested_filename
    info.value.save_as(badge_path)

    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Nguyễn Thị Hương" in text
    assert code in text
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf_path), str(tmp_path / "p")], check=True
    )
    qr = subprocess.run(
        ["zbarimg", "-q", "--raw", str(tmp_path / "p.png")], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert qr == f"http://127.0.0.1/verify/{code}"  # LMS_PUBLIC_URL of the live app

    anonymous = browser.new_context()
    try:
        visitor = anonymous.new_page()
        visitor.goto(live_server + urlsplit(qr).path)
        assert visitor.locator("h1").inner_text() == "Tra cứu chứng chỉ"
        expect(visitor.get_by_text("Nguyễn Thị Hương").first).to_be_visible()
        assert visitor.locator(".cert-status .badge-ok").inner_text() == "Còn hiệu lực"
        expect(visitor.locator("nav.main-nav")).to_have_count(0)  # not logged in

        visitor.goto(f"{live_server}/verify")
        visitor.set_input_files("input[name=pdf]", str(pdf_path))
        visitor.get_by_role("button", name="Kiểm tra tệp").click()
        visitor.wait_for_load_state()
        assert visitor.locator(".verdict").get_attribute("data-outcome") == "genuine"

        visitor.goto(f"{live_server}/verify")  # the credential file is checked the same way
        visitor.set_input_files("input[name=pdf]", str(badge_path))
        visitor.get_by_role("button", name="Kiểm tra tệp").click()
        visitor.wait_for_load_state()
        assert visitor.locator(".verdict").get_attribute("data-outcome") == "genuine"
        expect(visitor.locator("[data-kind=badge]")).to_be_visible()
    finally:
        anonymous.close()
