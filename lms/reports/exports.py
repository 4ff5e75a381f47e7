"""Streamed CSV and XLSX exports with Vietnamese headers and formula-safe cells.

Both use the one rule of ``lms.core.csvfile`` (formula-like text gets a leading
apostrophe; numbers stay numbers) and its CSV writer.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from lms.core.csvfile import csv_chunks, safe_cell  # one rule for every export


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
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
    bold = Font(bold=True)
    head = []
    for h in header:
        cell = WriteOnlyCell(ws, value=safe_cell(h))
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append([safe_cell(_xlsx_value(v)) for v in row])
    with tempfile.TemporaryFile() as tmp:
        wb.save(tmp)
        tmp.seek(0)
        while data := tmp.read(chunk):
            yield data


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value
