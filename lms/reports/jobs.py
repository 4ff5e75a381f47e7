"""Large report exports (CSV/XLSX) are produced by a background job and stored for the requester.

The export page asks for a POST (no state change on GET), the job writes the
file to a temporary file while reading in a read-only transaction, then copies
it into the database (``lms.jobs.files``) where the job page offers it to the
HR officer who asked, and only to them, until it expires.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.db import read_only, writing
from lms.jobs import PermanentJobError, enqueue, job
from lms.jobs.files import store_file
from lms.jobs.models import Job
from lms.learning.models import Enrollment
from lms.org.models import OrgUnit
from lms.reports import exports
from lms.reports.queries import Filters

EXPORT = "reports.export"
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PROGRESS_EVERY = 2000


def people_in(session: Session, unit: OrgUnit) -> int:
    """Active people in the unit's subtree (one COUNT): decides stream or job."""
    return int(
        session.scalar(
            select(func.count(User.id))
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(User.is_active.is_(True), OrgUnit.within(unit))
        )
        or 0
    )


def estimate_rows(session: Session, kind: str, unit: OrgUnit) -> int | None:
    if kind != "people":
        return None
    enrolments = session.scalar(
        select(func.count(Enrollment.id))
        .join(User, User.id == Enrollment.user_id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(User.is_active.is_(True), OrgUnit.within(unit))
    )
    return max(int(enrolments or 0), people_in(session, unit))


def export_filename(kind: str, unit: OrgUnit, filters: Filters, fmt: str) -> str:
    return f"{kind}-{unit.code}-{filters.year}.{fmt}"


def enqueue_export(
    session: Session, *, unit: OrgUnit, kind: str, fmt: str, filters: Filters, by: User
) -> Job:
    return enqueue(session, EXPORT, by=by, unit_id=unit.id, kind=kind, fmt=fmt, filters=asdict(filters))


def _counting(rows: Iterable[Any], ctx: Any, total: int | None) -> Iterator[Any]:
    n = 0
    for n, row in enumerate(rows, 1):
        if n % PROGRESS_EVERY == 0:
            ctx.progress(n, max(total or 0, n + 1) if total is not None else None)
        yield row
    ctx.rows = n


@job(EXPORT, max_attempts=3, priority=-5)
def export_job(ctx: Any, *, unit_id: int, kind: str, fmt: str, filters: dict[str, Any]) -> dict[str, Any]:
    from lms.reports.views import export_data

    session = ctx.session
    session.commit()  # the work below reads in its own (read-only) transaction
    with read_only():
        unit = session.get(OrgUnit, unit_id)
        if unit is None or fmt not in MIMETYPES:
            raise PermanentJobError(f"nothing to export: unit {unit_id}, format {fmt}")
        f = Filters(**filters)
        total = estimate_rows(session, kind, unit)
        ctx.progress(0, total)
        header, rows, title = export_data(kind, unit, f)
        counted = _counting(rows, ctx, total)
        body = (
            exports.csv_stream(header, counted)
            if fmt == "csv"
            else exports.xlsx_stream(title, header, counted)
        )
        filename = export_filename(kind, unit, f, fmt)
        with tempfile.TemporaryFile() as tmp:
            for chunk in body:
                tmp.write(chunk)
            session.commit()  # end the read; storing the file is a short write transaction
            tmp.seek(0)
            with writing():
                stored = store_file(session, ctx.job, tmp, filename=filename, mimetype=MIMETYPES[fmt])
    rows_done = getattr(ctx, "rows", 0)
    # In the session's own (write) transaction: ctx.progress() would wait for it on SQLite.
    ctx.job.progress_done = ctx.job.progress_total = rows_done
    return {"rows": rows_done, "bytes": stored.size, "filename": filename}
