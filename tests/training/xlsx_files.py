"""Hand-built XLSX files for the import's safety tests and benchmarks/xlsx_bomb.py.

``xlsx_bomb`` is the black-box test's file: a few hundred KB that inflate to a
sheet of hundreds of MB (one enormous cell). ``xlsx_long_cell`` is an honest
file, not a bomb by any ratio, whose one cell is megabytes long.
"""

from __future__ import annotations

import io
import random
import zipfile
from xml.sax.saxutils import escape

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.'
        'org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}
HEADER = ["Họ tên", "Email", "Mã đơn vị"]


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def _write(
    out: io.BufferedIOBase | io.BytesIO, rows_before: str, big: bytes, repeat: int, rows_after: str
) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, text in PARTS.items():
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>'.encode())
            sheet.write(rows_before.encode())
            for _ in range(repeat):
                sheet.write(big)
            sheet.write(rows_after.encode())
            sheet.write(b"</sheetData></worksheet>")


def _header_row() -> str:
    return '<row r="1">' + "".join(_cell(f"{c}1", h) for c, h in zip("ABC", HEADER, strict=True)) + "</row>"


def xlsx_bomb(out: io.BufferedIOBase | io.BytesIO, sheet_mb: int = 200, unit_code: str = "X") -> None:
    """An XLSX whose sheet XML inflates to about sheet_mb MB: one full-name cell of 'A's."""
    chunk = b"A" * (1024 * 1024)
    before = _header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>'
    after = "</t></is></c>" + _cell("B2", "bom@x.vn") + _cell("C2", unit_code) + "</row>"
    _write(out, before, chunk, sheet_mb, after)


def xlsx_long_cell(unit_code: str, chars: int = 4_000_000, seed: int = 14) -> bytes:
    """An ordinary-looking XLSX (compresses like text) whose row-2 full name is `chars` long."""
    rng = random.Random(seed)
    words = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Văn", "Thị", "An", "Bình", "Cường", "Dũng", "Hương"]
    text = " ".join(rng.choice(words) for _ in range(chars // 5))[:chars]
    rows = (
        _header_row()
        + '<row r="2">'
        + _cell("A2", text)
        + _cell("B2", "dai@x.vn")
        + _cell("C2", unit_code)
        + '</row><row r="3">'
        + _cell("A3", "Lê Thị Ngắn")
        + _cell("B3", "ngan@x.vn")
        + _cell("C3", unit_code)
        + "</row>"
    )
    buf = io.BytesIO()
    _write(buf, rows, b"", 0, "")
    return buf.getvalue()
