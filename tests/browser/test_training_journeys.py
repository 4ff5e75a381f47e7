"""HR journeys in a real browser: attendance for a 30-person class, and downloading an XLSX report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from lms.db import db
from lms.demo.training import DEMO_CLASS_TITLE
from lms.training.models import Attendance, TrainingClass
from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser


def test_hr_takes_attendance_for_a_30_person_class(page, live_server, live_app):
    browser_login(page, live_server, "nhansu")
    page.get_by_role("link", name="Lớp học tập trung", exact=True).first.click()
    page.get_by_role("link", name=DEMO_CLASS_TITLE).click()
    # The second day of the class has no attendance yet.
    page.locator(".date-list a").nth(1).click()
    rows = page.locator("tr.att-row")
    expect(rows).to_have_count(30)
    # Tap three rows (not the checkbox) to mark those people absent.
    for i in (2, 11, 25):
        rows.nth(i).locator("td").nth(2).click()
    expect(page.locator("tr.att-row.is-absent")).to_have_count(3)
    rows.nth(11).locator("td").first.click()  # a second tap undoes
    expect(page.locator("tr.att-row.is-absent")).to_have_count(2)
    page.get_by_role("button", name="Lưu điểm danh").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Đã lưu điểm danh: 28 có mặt, 2 vắng mặt.")).to_be_visible()
    with live_app.app_context():
        cls = db.session.scalars(select(TrainingClass).where(TrainingClass.title == DEMO_CLASS_TITLE)).one()
        day = cls.session_dates()[1]
        marks = db.session.scalars(
            select(Attendance.present).where(Attendance.class_id == cls.id, Attendance.session_date == day)
        ).all()
        db.session.remove()
    assert sorted(marks) == [False] * 2 + [True] * 28


def test_hr_downloads_people_report_as_xlsx(page, live_server):
    browser_login(page, live_server, "nhansu")
    page.get_by_role("link", name="Báo cáo", exact=True).first.click()
    expect(page.locator("figure.chart svg")).to_have_count(5)
    with page.expect_download() as info:
        page.locator("ul.exports li", has_text="Chi tiết từng cán bộ").get_by_role(
            "link", name="XLSX"
        ).click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert header[:3] == ["Mã đơn vị", "Đơn vị", "Họ tên"]
    assert ws.max_row > 20
