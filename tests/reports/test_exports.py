"""Exports: streamed CSV/XLSX with Vietnamese headers and formula-safe cells."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from lms.auth.models import Role
from lms.core.csvfile import safe_cell
from lms.reports.exports import csv_stream, xlsx_stream


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+84 912", "'+84 912"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Nguyễn Văn A", "Nguyễn Văn A"),
        (-5, -5),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_streams_yield_several_chunks():
    rows = ([i, f"=x{i}"] for i in range(2000))
    chunks = list(csv_stream(["Số", "Tên"], rows, flush_every=500))
    assert len(chunks) > 3
    assert chunks[0].startswith("\ufeff".encode())
    body = b"".join(chunks).decode("utf-8-sig")
    assert "'=x5" in body


def test_unit_and_people_exports_are_neutralised(session, make_unit, make_user, login_as):
    district = make_unit(name="=Huyện")
    commune = make_unit(district, name="Xã")
    hr = make_user(Role.HR, unit=district, scope=district)  # the district's own staff row is listed
    make_user(unit=commune, full_name='=HYPERLINK("x")', job_title="@cmd")
    client = login_as(hr)
    r = client.get(f"/reports/units/{district.id}/export/people.csv?year=2026")
    assert r.status_code == 200
    assert r.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã đơn vị", "Đơn vị", "Họ tên"]
    person = next(row for row in rows if "HYPERLINK" in row[2])
    assert person[2] == '\'=HYPERLINK("x")'
    assert person[5] == "'@cmd"

    r = client.get(f"/reports/units/{district.id}/export/units.xlsx?year=2026")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(io.BytesIO(r.get_data())).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][0] == "Mã đơn vị"
    names = [row[1] for row in values[1:]]
    # XLSX cells are typed: the name is text (never a formula), shown as typed, without the CSV apostrophe.
    assert "=Huyện" in names
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_stream_round_trip():
    data = b"".join(xlsx_stream("Điểm danh", ["Họ tên", "Có mặt"], [["=1+1", True], ["B", False]]))
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.title == "Điểm danh"
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["Họ tên", "Có mặt"],
        ["=1+1", "có"],
        ["B", "không"],
    ]
    assert ws["A2"].data_type == "s"  # text, not a formula
