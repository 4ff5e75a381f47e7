"""Exports stream: the memory an export needs does not grow with its rows.

The province-wide per-person XLSX has 200,000 rows; its job must stay within a fixed memory bound
(issue 13: peak RSS <= 200 MB). Python's own allocations (tracemalloc, deterministic for the same
code) are compared for N and 4N rows: a writer that kept rows, cells or the sheet in memory would
grow by at least a few hundred bytes per row (here 1,500 rows more: about 0.5 MB or more).
"""

from __future__ import annotations

import datetime as dt
import tracemalloc
from collections.abc import Iterator
from typing import Any

from lms.reports.exports import csv_stream, xlsx_stream

HEADER = [f"Cột {i}" for i in range(13)]


def _rows(n: int) -> Iterator[list[Any]]:
    for i in range(n):
        yield [
            "X001", "UBND xã 1", f"Trần Văn {i}", f"x{i}", f"x{i}@example.test", "Chuyên viên", "Cơ bản",
            f"Khoá học {i % 4}", "Được giao", 50, dt.date(2026, 1, 2), dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC),
            i % 2 == 0,
        ]  # fmt: skip


def _peak(stream: Any, n: int) -> tuple[int, int]:
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in stream("Chi tiết cán bộ", n))
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def _xlsx(title: str, n: int) -> Iterator[bytes]:
    return xlsx_stream(title, HEADER, _rows(n))


def _csv(_title: str, n: int) -> Iterator[bytes]:
    return csv_stream(HEADER, _rows(n))


def test_xlsx_and_csv_exports_memory_does_not_grow_with_rows():
    for stream in (_xlsx, _csv):
        _peak(stream, 10)  # imports and first-use caches are not the export's
        small, small_size = _peak(stream, 500)
        large, large_size = _peak(stream, 2000)
        assert large_size > 3 * small_size  # the 2,000 rows were all written
        assert large - small < 100_000, (stream.__name__, small, large)
