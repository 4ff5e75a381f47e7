"""Streamed CSV and XLSX exports with Vietnamese headers and formula-safe cells.

CSV uses the one rule of ``lms.core.csvfile`` (formula-like text gets a leading
apostrophe) and its writer; XLSX cells are typed instead (numbers, dates, and text
stored as text, which a spreadsheet never runs as a formula). Dates are local
(Asia/Ho_Chi_Minh); due dates are days.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from lms.core.csvfile import csv_chunks  # one CSV rule for every export
from lms.core.timefmt import to_local


def _plain(value: Any) -> Any:
    """CSV text: local dates as 27/11/2026 (and 14:30 27/11/2026), decimals with a comma."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, dt.datetime):
        return to_local(value).strftime("%H:%M %d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return value


def csv_stream(
    header: list[str], rows: Iterable[Iterable[Any]], *, flush_every: int = 500
) -> Iterator[bytes]:
    """The rows as streamed CSV (``lms.core.csvfile``), dates and yes/no written the Vietnamese way."""
    return csv_chunks(chain([header], ([_plain(v) for v in row] for row in rows)), flush_every=flush_every)


def xlsx_stream(
    title: str, header: list[str], rows: Iterable[Iterable[Any]], *, chunk: int = 1 << 16
) -> Iterator[bytes]:
    """openpyxl write-only workbook (rows go to a temporary file, not memory), then streamed out."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for h in header:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append([_xlsx_cell(ws, v) for v in row])
    with tempfile.TemporaryFile() as tmp:
        wb.save(tmp)
        tmp.seek(0)
        while data := tmp.read(chunk):
            yield data


def _xlsx_cell(ws: Any, value: Any) -> Any:
    """A typed cell: numbers stay numbers, dates are dates (local time), text is text.

    Text is written with the string type, so "=1+2" is shown as typed and never runs as a
    formula; no CSV-style apostrophe is added to what the reader sees.
    """
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, bool):
        value = "có" if value else "không"
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(ws, value=to_local(value).replace(tzinfo=None))
        cell.number_format = "dd/mm/yyyy hh:mm"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=dt.datetime.combine(value, dt.time()))
        cell.number_format = "dd/mm/yyyy"
        return cell
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # openpyxl reads a leading "=" as a formula; this cell is text
        return cell
    return value
