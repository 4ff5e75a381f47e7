"""No raw codes on Vietnamese pages and exports; numbers and dates in Vietnamese form (issue 16)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import polib
from flask import render_template_string
from openpyxl import load_workbook

from lms.auth.models import Role
from lms.catalog.changes import describe_changes
from lms.core.audit import ACTION_LABELS, record
from lms.learning.services import enroll_user

ROOT = Path(__file__).resolve().parents[2]
VI = ROOT / "lms" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def _recorded_actions() -> set[str]:
    """Every action name passed as a literal to audit ``record(...)`` anywhere in lms/."""
    found = set()
    for path in (ROOT / "lms").rglob("*.py"):
        for m in re.finditer(r'\brecord\(\s*[\w.]+,\s*(?:action=)?\s*"([a-z_.]+)"', path.read_text()):
            found.add(m.group(1))
    return found


def test_every_audit_action_has_a_label(app):
    actions = _recorded_actions()
    assert len(actions) > 20  # the scan finds the calls
    assert sorted(actions - set(ACTION_LABELS.keys())) == []


def test_audit_log_shows_actions_and_details_in_words(session, client, make_user, login_as):
    admin = make_user(Role.ADMIN)
    record(
        session,
        "attendance_recorded",
        actor_id=admin.id,
        subject="class:1",
        date="2026-11-30",
        present=30,
        source="auto",
    )
    session.flush()
    html = login_as(admin).get("/admin/audit").get_data(as_text=True)
    assert "Ghi điểm danh" in html
    assert "attendance_recorded<" not in html
    assert "ngày: 2026-11-30" in html
    assert "có mặt: 30" in html
    assert "nguồn: tự động" in html
    assert "source: auto" not in html


def test_version_notes_are_translated(app):
    with app.test_request_context("/"):
        lines = describe_changes(
            "new course: 4 modules, 12 lessons, 1 images\nquiz final: added\nPhiên bản đầu tiên"
        )
    assert lines == [
        "khoá học mới: 4 mô-đun, 12 bài học, 1 hình ảnh",
        "bài kiểm tra final: thêm mới",
        "Phiên bản đầu tiên",
    ]


def test_wrong_translations_are_fixed():
    po = polib.pofile(str(VI))
    assert po.find("People").msgstr == "Cán bộ"  # not "Số người" (a number of people)
    assert po.find("File contents").msgstr == "Nội dung tệp"  # the import preview, not a table of contents


def _render(app, template, lang="vi", **values):
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = lang
        return render_template_string(template, **values)


def test_percent_in_vietnamese_form(app):
    assert _render(app, "{{ 100|percent }}") == "100,0\u00a0%"
    assert _render(app, "{{ 66.666|percent(0) }}") == "67\u00a0%"
    assert _render(app, "{{ 100|percent }}", "en") == "100.0%"


def test_people_export_has_words_local_days_and_typed_cells(
    session, make_unit, make_user, login_as, make_course
):
    unit = make_unit(name="=Phường Thử")
    hr = make_user(Role.HR, unit=unit, scope=unit)
    person = make_user(unit=unit, full_name="Lê Văn Bảy", it_qualification="bachelor")
    course = make_course()
    # Due at 20:00 UTC on 19 Nov = 03:00 on 20 Nov in Hà Nội: the local day is the 20th.
    enroll_user(
        session, person, course, source="assigned", due_at=dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC)
    )
    client = login_as(hr)
    r = client.get(f"/reports/units/{unit.id}/export/people.csv?year=2026")
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    row = next(x for x in rows if x[2] == "Lê Văn Bảy")
    assert row[6] == "Đại học"
    assert row[8] == "Được giao"
    assert row[10] == "20/11/2026"  # a day, local, no time of day
    assert row[1] == "'=Phường Thử"  # CSV keeps its formula guard

    r = client.get(f"/reports/units/{unit.id}/export/people.xlsx?year=2026")
    ws = load_workbook(io.BytesIO(r.get_data())).active
    values = [list(row) for row in ws.iter_rows(min_row=2)]
    cells = next(x for x in values if x[2].value == "Lê Văn Bảy")
    assert cells[1].value == "=Phường Thử"  # no apostrophe...
    assert cells[1].data_type == "s"  # ...and text, never a formula
    assert cells[6].value == "Đại học"
    assert cells[9].data_type == "n"  # progress is a number
    assert cells[10].is_date
    assert cells[10].value.date() == dt.date(2026, 11, 20)


def test_unknown_certificate_code_says_so_with_404(client):
    r = client.get("/verify/ABCDEF-GHJKLM-NPQRST")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "Không có chứng chỉ nào mang mã này" in html
    assert "Trang bạn yêu cầu không tồn tại" not in html


def test_new_account_form_preselects_no_it_level(client, make_user, login_as, make_unit):
    admin = make_user(Role.ADMIN)
    html = login_as(admin).get("/admin/users/new").get_data(as_text=True)
    select = html.split('name="it_qualification"')[1].split("</select>")[0]
    assert select.split("<option", 2)[1].startswith(' value=""')  # "— choose —" comes first
    assert "selected" not in select  # so a browser shows it; nothing is chosen for the admin


def test_favicon_is_linked_and_served(client):
    """No favicon.ico 404 (and console error) on the first page of a session."""
    html = client.get("/login").get_data(as_text=True)
    assert 'rel="icon"' in html
    for name in ("favicon.ico", "favicon.svg"):
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200
            assert response.data
