"""The one CSV writer: opens cleanly in Excel and cannot smuggle in formulas.

Every CSV export goes through ``csv_chunks`` (streamed, e.g. the HR reports) or
``csv_response`` (a small download built from it): UTF-8 with a BOM (Excel then
reads Vietnamese correctly) and each cell made inert with ``csv_cell`` — a value
starting with ``= + - @``, a tab or a carriage return would otherwise run as a
formula when HR opens the file (CSV injection). Names, unit names, quiz prompts
and codes typed by users all reach these files. XLSX exports use ``safe_cell``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Formula-like text gets a leading apostrophe; numbers, dates and None are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_cell(value: Any) -> str:
    """The value as inert text ("" for None)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_chunks(rows: Iterable[Iterable[Any]], *, flush_every: int = 500) -> Iterator[bytes]:
    """CSV bytes for rows (the first row is the header), the BOM first, then every ``flush_every`` rows."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    n = 0
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_cell(v) for v in row])
        if n == 1 or n % flush_every == 0:  # the header goes out at once
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    if buf.tell() or n == 0:
        yield buf.getvalue().encode("utf-8")


def csv_response(filename: str, rows: Iterable[Iterable[Any]]) -> Response:
    """An attachment download of rows (the first row is the header), built in memory."""
    response = Response(b"".join(csv_chunks(rows)), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
