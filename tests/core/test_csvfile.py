"""The one CSV writer: BOM for Excel, formula-like cells made inert."""

from __future__ import annotations

import csv
import io

from lms.core.csvfile import csv_cell, csv_response


def test_formula_like_cells_get_an_apostrophe():
    for value in ("=1+1", "+84 912", "-2", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(value) == "'" + value
    assert csv_cell("Nguyễn Văn A") == "Nguyễn Văn A"
    assert csv_cell(None) == ""
    assert csv_cell(3) == "3"


def test_response_is_an_excel_friendly_attachment(app):
    with app.test_request_context():
        resp = csv_response("x.csv", [["a", "b"], ["=cmd", "Hạ Long"]])
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    assert resp.headers["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [["a", "b"], ["'=cmd", "Hạ Long"]]


def test_plain_text_for_exports_is_text_not_html():
    from lms.core.html import plain_text

    assert plain_text("<p>Sở KH&amp;CN <b>&lt;3</b></p>") == "Sở KH&CN <3"
