"""Issue 14, item 3: an XLSX zip bomb is refused before parsing; cells are never read past their limit."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

from sqlalchemy import select

from lms.auth.models import Role
from lms.training import importer
from lms.training.models import ImportIssue, ImportStatus
from tests.training.test_import import run
from tests.training.xlsx_files import xlsx_bomb, xlsx_long_cell

REFUSED = "Tệp XLSX bị từ chối trước khi đọc"


def _bomb(sheet_mb: int = 120) -> bytes:
    buf = io.BytesIO()
    xlsx_bomb(buf, sheet_mb=sheet_mb)
    return buf.getvalue()


def _peak_mb(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_xlsx_bomb_is_refused_before_parsing_in_bounded_memory(app, session, make_user, make_unit):
    admin = make_user(Role.ADMIN)
    data = _bomb()
    assert len(data) < 400_000  # a few hundred KB that inflate to 120 MB
    job, peak = _peak_mb(lambda: run(session, app, data, by=admin))
    assert job.status == ImportStatus.INVALID
    [issue] = session.scalars(select(ImportIssue).where(ImportIssue.job_id == job.id)).all()
    assert issue.code == "unsafe_archive"
    with app.test_request_context():  # shown in the reader's language (Vietnamese by default)
        assert REFUSED in importer.issue_message(issue)
    assert peak < 10  # MB of Python allocations: nothing was inflated


def test_web_and_cli_show_the_refusal_in_vietnamese(
    app, session, make_user, make_unit, login_as, tmp_path: Path
):
    unit = make_unit()
    hr = make_user(Role.HR, unit=unit, scope=unit)
    client = login_as(hr)
    data = {"kind": "people", "file": (io.BytesIO(_bomb(60)), "nguoi.xlsx")}
    r = client.post("/training/imports", data=data, content_type="multipart/form-data", follow_redirects=True)
    assert REFUSED in r.get_data(as_text=True)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_bomb(60))
    admin = make_user(Role.ADMIN)
    result = app.test_cli_runner().invoke(args=["lms", "people", "import", str(path), "--by", admin.username])
    assert result.exit_code != 0
    assert REFUSED in result.output


def test_a_long_cell_is_not_read_past_its_column_limit(app, session, make_user, make_unit):
    unit = make_unit()
    admin = make_user(Role.ADMIN)
    data = xlsx_long_cell(unit.code, chars=4_000_000)
    job, peak = _peak_mb(lambda: run(session, app, data, by=admin))
    assert peak < 4  # the 4-million-character name was never held in memory
    found = {
        (i.row_no, i.column, i.code)
        for i in session.scalars(select(ImportIssue).where(ImportIssue.job_id == job.id))
    }
    assert found == {(2, "full_name", "too_long")}  # row 3 is fine; row 2 is reported, not lost
