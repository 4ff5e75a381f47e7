"""A learner takes quizzes in Chromium: autosave through a network drop and reloads; and without JavaScript."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.auth.models import User
from lms.db import db, utcnow
from lms.quizzes.models import Answer, Attempt
from tests.browser.conftest import browser_login
from tests.quizzes.helpers import load_fixture_course, quiz_by_key

pytestmark = pytest.mark.browser

SAVED = "Đã lưu"
OFFLINE = "Chưa lưu — mất kết nối, sẽ thử lại"


@pytest.fixture(scope="module")
def quizzes(live_app: Any) -> dict[str, int]:
    with live_app.app_context():
        course = load_fixture_course(db.session, slug=f"kiem-thu-{uuid.uuid4().hex[:6]}")
        # Quizzes open to enrolled learners; with module quizzes not required by the course's rules
        # (and no lessons) the final exam is open as well.
        course.require_quizzes = False
        from lms.learning.services import enroll_user

        learner = db.session.scalars(select(User).where(User.username == "hocvien")).one()
        enroll_user(db.session, learner, course)
        ids = {
            key: quiz_by_key(db.session, course, key).id for key in ("01-tong-quan", "02-phap-ly", "final")
        }
        db.session.commit()
        return ids


def stored_answers(live_app: Any, quiz_id: int) -> dict[int, Any]:
    with live_app.app_context():
        user = db.session.scalars(select(User).where(User.username == "hocvien")).one()
        attempt = db.session.scalars(
            select(Attempt)
            .where(Attempt.quiz_id == quiz_id, Attempt.user_id == user.id)
            .order_by(Attempt.id.desc())
        ).first()
        rows = db.session.scalars(select(Answer).where(Answer.attempt_id == attempt.id)).all()
        return {a.question_id: a.response for a in rows if a.response not in (None, [], "")}


def answer(fieldset: Any) -> None:
    """Answer one question whatever its kind (first choice / some text / second right side)."""
    kind_radio = fieldset.locator("input[type=radio]")
    if kind_radio.count():
        kind_radio.first.check()
        return
    boxes = fieldset.locator("input[type=checkbox]")
    if boxes.count():
        boxes.first.check()
        return
    text = fieldset.locator("input[type=text]")
    if text.count():
        text.fill("chu ky so")
        text.blur()
        return
    selects = fieldset.locator("select")
    if fieldset.locator("table.matching").count():
        for i in range(selects.count()):
            selects.nth(i).select_option(index=i + 1)  # index 0 is "— choose —"
    else:  # ordering: swap the first two positions
        selects.nth(0).select_option("2")
        selects.nth(1).select_option("1")


def expect_status(page: Any, text: str) -> None:
    page.wait_for_function(
        "t => document.getElementById('save-status').textContent.trim().startsWith(t)",
        arg=text,
        timeout=20000,
    )


def test_autosave_survives_offline_and_reload(page, context, live_server, live_app, quizzes):
    quiz_id = quizzes["01-tong-quan"]
    browser_login(page, live_server, "hocvien")
    page.goto(f"{live_server}/quizzes/{quiz_id}")
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    page.wait_for_load_state()
    fieldsets = page.locator("fieldset.question")
    total = fieldsets.count()
    assert total == 6

    answer(fieldsets.nth(0))
    answer(fieldsets.nth(1))
    expect_status(page, SAVED)

    context.set_offline(True)
    for i in range(2, total):
        answer(fieldsets.nth(i))
    expect_status(page, OFFLINE)
    assert "6 / 6" in page.locator(".quiz-bar").inner_text()  # the count follows the answers, even offline
    expect(page.locator("#save-status")).to_be_visible()
    # Going online fires the old page's own "online" resend, which would race the reload (two pages
    # of one attempt sending with different bases: the later one is told to reload). Hold autosaves
    # until the old page is gone: what reaches the server is the reloaded page's resend of the queue
    # it finds in localStorage (its first try is held too; it retries 3 s later).
    page.route("**/autosave", lambda route: route.abort())
    context.set_offline(False)
    page.reload()
    page.unroute("**/autosave")
    expect_status(page, SAVED)

    saved = stored_answers(live_app, quiz_id)
    assert len(saved) == total
    page.reload()
    fieldsets = page.locator("fieldset.question")
    for i in range(total):
        fs = fieldsets.nth(i)
        if fs.locator("input[type=radio], input[type=checkbox]").count():
            assert fs.locator("input:checked").count() >= 1
        elif fs.locator("input[type=text]").count():
            assert fs.locator("input[type=text]").input_value() == "chu ky so"
    assert "6 / 6" in page.locator(".quiz-bar").inner_text()

    page.get_by_role("button", name="Nộp bài…").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Nộp bài ngay").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Kết quả lượt làm bài 1")).to_be_visible()
    expect(page.locator(".result-summary").get_by_text("Điểm đạt")).to_be_visible()


def test_stale_tab_is_told_to_reload(page, context, live_server, quizzes):
    quiz_id = quizzes["01-tong-quan"]
    browser_login(page, live_server, "hocvien")
    page.goto(f"{live_server}/quizzes/{quiz_id}")
    page.get_by_role("button", name="Làm lượt mới").click()
    page.wait_for_load_state()
    old = context.new_page()
    old.goto(page.url)
    answer(page.locator("fieldset.question").nth(0))
    expect_status(page, SAVED)
    answer(old.locator("fieldset.question").nth(1))
    expect_status(old, "Đã có câu trả lời mới hơn")
    expect(old.locator("#save-status").get_by_role("link", name="Tải lại trang")).to_be_visible()
    old.close()


def test_the_same_quiz_without_javascript(browser, live_server, live_app, quizzes):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        quiz_id = quizzes["02-phap-ly"]  # one question per page
        browser_login(page, live_server, "hocvien")
        page.goto(f"{live_server}/quizzes/{quiz_id}")
        page.get_by_role("button", name="Bắt đầu làm bài").click()
        page.wait_for_load_state()
        assert "Câu 1" in page.locator("fieldset.question legend").inner_text()
        answer(page.locator("fieldset.question"))
        page.get_by_role("button", name="Lưu và tiếp").click()
        page.wait_for_load_state()
        assert "Câu 2" in page.locator("fieldset.question legend").inner_text()
        answer(page.locator("fieldset.question"))
        page.get_by_role("button", name="Lưu và tiếp").click()
        page.wait_for_load_state()
        expect(page.get_by_text("Đã lưu câu trả lời.")).to_be_visible()
        page.reload()
        expect(page.locator("fieldset.question input:checked")).to_have_count(1)
        assert len(stored_answers(live_app, quiz_id)) == 2
        page.get_by_role("button", name="Nộp bài…").click()
        page.wait_for_load_state()
        expect(page.get_by_text("Bạn đã trả lời tất cả các câu hỏi.")).to_be_visible()
        page.get_by_role("button", name="Nộp bài ngay").click()
        page.wait_for_load_state()
        expect(page.get_by_role("heading", name="Kết quả lượt làm bài 1")).to_be_visible()
        expect(page.get_by_text("Bài kiểm tra này không hiển thị đáp án.")).to_be_visible()
    finally:
        context.close()


def test_timer_submits_when_time_is_up(page, live_server, live_app, quizzes):
    quiz_id = quizzes["final"]
    browser_login(page, live_server, "hocvien")
    page.goto(f"{live_server}/quizzes/{quiz_id}")
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    page.wait_for_load_state()
    attempt_url = page.url
    with live_app.app_context():
        user = db.session.scalars(select(User).where(User.username == "hocvien")).one()
        attempt = db.session.scalars(
            select(Attempt).where(Attempt.quiz_id == quiz_id, Attempt.user_id == user.id)
        ).one()
        attempt.deadline_at = utcnow() + dt.timedelta(seconds=4)
        db.session.commit()
    page.goto(attempt_url)
    expect(page.locator("#quiz-timer")).to_be_visible()
    answer(page.locator("fieldset.question").nth(0))
    page.wait_for_url("**/result", timeout=20000)
    expect(page.get_by_role("heading", name="Kết quả lượt làm bài 1")).to_be_visible()
    assert len(stored_answers(live_app, quiz_id)) == 1


def test_autosave_needs_the_csrf_token(page, live_server):
    browser_login(page, live_server, "hocvien")
    url = f"{live_server}/quizzes/attempt/999999/autosave"
    payload = {"question": 1, "seq": 1, "base": 0, "fields": {}}
    refused = page.request.post(url, data=payload, headers={"Accept": "application/json"})
    assert refused.status == 400
    token = (
        page.request.get(f"{live_server}/quizzes/").text().split('name="csrf_token" value="')[1].split('"')[0]
    )
    allowed = page.request.post(
        url, data=payload, headers={"Accept": "application/json", "X-CSRFToken": token}
    )
    assert allowed.status == 404  # past the CSRF check: no such attempt


def test_course_page_leads_to_the_final_exam(page, live_server):
    """On the imported example course: the final exam is linked but waits for the modules (reason shown)."""
    browser_login(page, live_server, "nhansu")
    page.goto(f"{live_server}/courses/vi-du")
    page.get_by_role("button", name="Đăng ký và bắt đầu").click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/courses/vi-du")
    toc = page.locator("nav.course-toc")
    expect(toc.get_by_role("link", name="Kiểm tra mô-đun 2")).to_have_count(0)  # module 2 is still locked
    toc.get_by_role("link", name="Bài thi cuối khoá: Bài thi cuối khóa").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Bài thi cuối khoá: Bài thi cuối khóa")).to_be_visible()
    expect(
        page.locator(".lock-reason").get_by_text("Bài thi cuối khoá mở khi mọi mô-đun đã hoàn thành")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Bắt đầu làm bài")).to_have_count(0)


def test_refused_ordering_save_is_never_shown_as_saved(page, live_server, quizzes):
    """Issue 14, item 7: "Đã lưu" only for what the server acknowledged; pickers named per item."""
    quiz_id = quizzes["01-tong-quan"]
    browser_login(page, live_server, "hocvien")
    page.goto(f"{live_server}/quizzes/{quiz_id}")
    start = page.locator("main a.btn, main button.btn-primary").first  # continue, start or start anew
    start.click()
    page.wait_for_load_state()
    ordering = page.locator("fieldset.question:has(ul.ordering)")
    items = ["Tính giá trị băm", "Mã hoá giá trị băm bằng khoá bí mật", "Đính kèm chữ ký vào văn bản"]
    for text in items:  # a screen reader tells each picker apart by its item
        expect(ordering.get_by_role("combobox", name=f"Vị trí của “{text}”", exact=True)).to_have_count(1)
    selects = ordering.locator("select")
    # An attempt resumed from an earlier test may hold any order: put the first item on the
    # second item's position, so two items share a position and the server refuses it.
    first, second = selects.nth(0).input_value(), selects.nth(1).input_value()
    with page.expect_response(lambda r: r.url.endswith("/autosave")) as refused:
        selects.nth(0).select_option(second)
    assert refused.value.status == 400
    page.wait_for_function(
        "() => /save-(error|saved)/.test(document.getElementById('save-status').className)", timeout=20000
    )
    assert page.locator("#save-status").get_attribute("class") == "save-status save-error"
    assert SAVED not in page.locator("#save-status").inner_text()
    expect(ordering.get_by_role("alert")).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/autosave")) as accepted:
        selects.nth(1).select_option(first)  # the two swapped: a whole order again
    assert accepted.value.status == 200
    expect_status(page, SAVED)
    expect(ordering.get_by_role("alert")).to_have_count(0)
