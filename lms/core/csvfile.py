"""CSV downloads that open cleanly in Excel and cannot smuggle in formulas.

Every CSV export goes through ``csv_response``: UTF-8 with a BOM (Excel then
reads Vietnamese correctly) and each cell made inert with ``csv_cell`` — a
value starting with ``= + - @``, a tab or a carriage return would otherwise
run as a formula when HR opens the file (CSV injection). Names, unit names,
quiz prompts and codes typed by users all reach these files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """The value as text; a leading apostrophe keeps a formula-like text a text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, rows: Iterable[Iterable[Any]]) -> Response:
    """An attachment download of rows (the first row is the header)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    response = Response(buf.getvalue(), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
