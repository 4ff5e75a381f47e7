"""Read the first sheet of an uploaded XLSX as rows of strings, in bounded memory.

openpyxl keeps a whole cell's text in memory before we see it, so a 200 KB
file holding one 200 MB cell took a worker to 1.4 GB. This reader:

1. vets the archive first (``lms.core.archives.vet_archive``: size, entries,
   compression ratio), and charges every inflated byte to the same budget;
2. parses the XML with expat in 64 KB chunks, refusing any DTD or entity
   declaration (no entity expansion);
3. keeps at most ``limit + 1`` characters of each cell (``limit_for(column)``),
   so an over-long value is still reported as too long without being read whole;
   shared strings are capped at the largest column limit.

Only what the people/unit import needs: values as text (integers without
".0"), booleans as True/False; no dates, styles or formulas.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.parsers import expat

from lms.core.archives import XLSX_LIMITS, ArchiveBudget, ArchiveLimits, read_member, vet_archive

DEFAULT_CELL_LIMIT = 1000  # characters kept of a cell whose column has no limit of its own
MAX_COLUMNS = 16384


class XlsxError(ValueError):
    """The file is a ZIP but not a readable workbook."""


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


def _parse(chunks: Iterator[bytes], start: Callable[..., None], end: Callable[..., None],
           text: Callable[[str], None]) -> Iterator[None]:  # fmt: skip
    """Feed chunks to an expat parser; yield after each chunk so callers can hand out rows."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_args: Any) -> None:
        raise XlsxError("DTDs and entities are not allowed")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = lambda name, attrs: start(_local(name), attrs)
    parser.EndElementHandler = lambda name: end(_local(name))
    parser.CharacterDataHandler = text
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            yield None
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise XlsxError(str(exc)) from exc
    yield None


class _Capped:
    """Collects character data up to a limit, dropping the rest as it arrives."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = 0
        self.on = False

    def begin(self, limit: int) -> None:
        self.parts, self.size, self.limit, self.on = [], 0, limit, False

    def add(self, data: str) -> None:
        if self.on and self.size < self.limit:
            piece = data[: self.limit - self.size]
            self.parts.append(piece)
            self.size += len(piece)

    def value(self) -> str:
        self.on = False
        return "".join(self.parts)


def _first_sheet(zf: zipfile.ZipFile, budget: ArchiveBudget) -> str:
    names = set(zf.namelist())
    found: dict[str, str] = {}

    def wb_start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "sheet" and "rid" not in found:
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            if rid:
                found["rid"] = rid

    def rel_start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "Relationship" and attrs.get("Id") == found.get("rid"):
            found["target"] = attrs.get("Target", "")

    for name, start in (("xl/workbook.xml", wb_start), ("xl/_rels/workbook.xml.rels", rel_start)):
        if name in names:
            for _ in _parse(read_member(zf, name, budget), start, lambda _t: None, lambda _d: None):
                pass
    target = found.get("target", "")
    if target:
        path = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        )
        if path in names:
            return path
    if "xl/worksheets/sheet1.xml" in names:
        return "xl/worksheets/sheet1.xml"
    raise XlsxError("no worksheet")


def _shared_strings(zf: zipfile.ZipFile, budget: ArchiveBudget, cap: int) -> list[str]:
    if "xl/sharedStrings.xml" not in zf.namelist():
        return []
    strings: list[str] = []
    text = _Capped()
    state = {"si": False, "skip": 0}

    def start(tag: str, _attrs: dict[str, str]) -> None:
        if tag == "si":
            state["si"] = True
            text.begin(cap)
        elif tag in ("rPh", "phoneticPr"):  # phonetic guides are not part of the text
            state["skip"] += 1
        elif tag == "t" and state["si"] and not state["skip"]:
            text.on = True

    def end(tag: str) -> None:
        if tag in ("rPh", "phoneticPr"):
            state["skip"] -= 1
        elif tag == "t":
            text.on = False
        elif tag == "si":
            state["si"] = False
            strings.append("".join(text.parts))

    for _ in _parse(read_member(zf, "xl/sharedStrings.xml", budget), start, end, text.add):
        pass
    return strings


def _column_index(ref: str) -> int | None:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + (ord(ch) - 64)
        else:
            break
    return n - 1 if n else None


def _number(raw: str) -> str:
    raw = raw.strip()
    try:
        return str(int(raw))
    except ValueError:
        pass
    try:
        value = float(raw)
    except ValueError:
        return raw
    return str(int(value)) if value.is_integer() else str(value)


def read_rows(
    path: Path,
    limit_for: Callable[[int], int] = lambda _col: DEFAULT_CELL_LIMIT,
    limits: ArchiveLimits = XLSX_LIMITS,
) -> Iterator[list[str]]:
    """Rows of the first sheet as lists of strings (gaps filled with empty rows/cells).

    limit_for(column index) is read for every cell, so a caller may tighten it
    after the header row (e.g. 200 characters for a full name).
    """
    with path.open("rb") as f:
        zf = vet_archive(f, limits)  # raises UnsafeArchiveError before anything is inflated
        with zf:
            budget = ArchiveBudget(limits)
            shared = _shared_strings(zf, budget, cap=DEFAULT_CELL_LIMIT + 1)
            yield from _sheet_rows(zf, _first_sheet(zf, budget), budget, shared, limit_for)


def _sheet_rows(zf: zipfile.ZipFile, sheet: str, budget: ArchiveBudget, shared: list[str],
                limit_for: Callable[[int], int]) -> Iterator[list[str]]:  # fmt: skip
    done: list[list[str]] = []
    row: dict[int, str] = {}
    text = _Capped()
    cell: dict[str, Any] = {"col": None, "type": "n", "next_col": 0}
    state = {"row_no": 0, "expected": 1}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "row":
            row.clear()
            cell["next_col"] = 0
            r = attrs.get("r")
            state["row_no"] = int(r) if r and r.isdigit() else state["expected"]
        elif tag == "c":
            col = _column_index(attrs.get("r", ""))
            col = cell["next_col"] if col is None else col
            cell["next_col"] = col + 1
            cell["col"] = col if col < MAX_COLUMNS else None  # Excel has 16,384 columns
            cell["type"] = attrs.get("t", "n")
            text.begin(limit_for(cell["col"]) + 1 if cell["type"] != "s" else 32)
        elif tag in ("v", "t") and cell["col"] is not None:
            text.on = True

    def end(tag: str) -> None:
        if tag in ("v", "t"):
            text.on = False
        elif tag == "c" and cell["col"] is not None:
            raw, kind = "".join(text.parts), cell["type"]
            if kind == "s":
                try:
                    value = shared[int(raw)]
                except (ValueError, IndexError):
                    value = ""
                value = value[: limit_for(cell["col"]) + 1]
            elif kind == "b":
                value = "True" if raw.strip() == "1" else "False"
            elif kind in ("str", "inlineStr", "e"):
                value = raw
            else:
                value = _number(raw) if raw else ""
            if value != "":
                row[cell["col"]] = value
            cell["col"] = None
        elif tag == "row":
            while state["expected"] < state["row_no"]:  # rows with nothing in them are left out of the XML
                done.append([])
                state["expected"] += 1
            width = max(row) + 1 if row else 0
            done.append([row.get(i, "") for i in range(width)])
            state["expected"] = state["row_no"] + 1

    for _ in _parse(read_member(zf, sheet, budget), start, end, text.add):
        if done:
            yield from done
            done.clear()
