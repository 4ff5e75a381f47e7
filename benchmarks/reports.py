"""HR reports at the large scale: first-page time, export time-to-first-byte, peak memory.

Builds the large demo data (500 units, 50,000 people, 200,000 enrolments, 266 classes)
in a temporary SQLite database, or in LMS_BENCH_DATABASE_URL (emptied first), then
requests report pages and exports in-process as the province administrator and as
the HR demo officer. Prints times (median of 3), their ratio to /healthz, SQL statements per
request, and for exports the time to first byte and to the end — then, in a separate pass
with tracemalloc on (it slows Python code several times over, so no time is taken from that
pass), the peak Python memory while the export streams.

    python benchmarks/reports.py            # SQLite in a temporary folder
    python benchmarks/reports.py --quick    # without the province XLSX jobs (make bench: minutes less)
    LMS_BENCH_KEEP=1 keeps an already-built database (the data builders are idempotent).
    LMS_BENCH_DATABASE_URL=postgresql://lms:lms@127.0.0.1:5432/lms_training_mig python benchmarks/reports.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alembic import command
from sqlalchemy import event, func, select

from benchmarks._common import emit, load_note
from lms import create_app
from lms.auth.models import User
from lms.core.migrate import alembic_config
from lms.db import db
from lms.learning.models import Enrollment
from lms.org.models import OrgUnit


def build(url: str, instance: str):
    if url.startswith("postgresql") and not os.environ.get("LMS_BENCH_KEEP"):
        from tests.conftest import reset_database

        reset_database(url)
    command.upgrade(alembic_config(url), "head")
    app = create_app("testing", SQLALCHEMY_DATABASE_URL=url, INSTANCE_PATH=instance)
    with app.app_context():
        from lms.demo.province import build_province
        from lms.demo.training import build_large, build_training_demo

        t0 = time.perf_counter()
        build_province(db.session, learners_per_unit=2)
        build_training_demo(db.session)
        build_large(db.session)
        db.session.commit()
        units = db.session.scalar(select(func.count(OrgUnit.id)))
        people = db.session.scalar(select(func.count(User.id)))
        enrolments = db.session.scalar(select(func.count(Enrollment.id)))
        print(
            f"data: {units} units, {people} people, {enrolments} enrolments, built in {time.perf_counter() - t0:.1f} s"
        )
        db.session.remove()
    return app


def login(client, app, username: str) -> None:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        ident = user.get_id()
        db.session.remove()
    with client.session_transaction() as sess:
        sess["_user_id"] = ident
        sess["_fresh"] = True


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, *_a) -> None:
        self.n += 1


def timed_page(client, engine, url: str, repeat: int = 3) -> tuple[float, int, int]:
    times = []
    counter = Counter()
    for _ in range(repeat):
        counter.n = 0
        event.listen(engine, "before_cursor_execute", counter)
        t0 = time.perf_counter()
        r = client.get(url)
        body = r.get_data()
        times.append(time.perf_counter() - t0)
        event.remove(engine, "before_cursor_execute", counter)
        assert r.status_code == 200, (url, r.status_code)
    return statistics.median(times), counter.n, len(body)


def timed_export(client, url: str) -> tuple[float, float, int, bool]:
    """(first byte s, whole body s, bytes, streamed), untraced.

    A unit with more people than EXPORT_JOB_THRESHOLD answers with the "prepare the export" page
    (the export is a background job): then streamed is False and the figures are that page's.
    """
    t0 = time.perf_counter()
    r = client.get(url, buffered=False)
    chunks = iter(r.response)
    first = next(chunks, b"")
    ttfb = time.perf_counter() - t0
    size = len(first) + sum(len(c) for c in chunks)
    total = time.perf_counter() - t0
    streamed = "attachment" in r.headers.get("Content-Disposition", "")
    r.close()
    assert r.status_code == 200, url
    return ttfb, total, size, streamed


def job_body(app, unit_id: int, kind: str, fmt: str):
    """What the export job does (lms.reports.jobs.export_job), minus storing the file: the bytes."""
    from lms.reports import exports
    from lms.reports.queries import Filters
    from lms.reports.views import export_data

    with app.test_request_context():
        unit = db.session.get(OrgUnit, unit_id)
        header, rows, title = export_data(kind, unit, Filters(time.gmtime().tm_year))
        body = exports.csv_stream(header, rows) if fmt == "csv" else exports.xlsx_stream(title, header, rows)
        size = sum(len(chunk) for chunk in body)
        db.session.remove()
    return size


def timed_job(app, unit_id: int, kind: str, fmt: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    size = job_body(app, unit_id, kind, fmt)
    return time.perf_counter() - t0, size


def export_peak_memory(app, unit_id: int, kind: str, fmt: str) -> float:
    """Peak Python memory (MiB) while the export is produced; a pass of its own (tracemalloc is slow)."""
    tracemalloc.start()
    job_body(app, unit_id, kind, fmt)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="skip the province XLSX exports' job work and memory pass (minutes each; make bench uses this)",
    )
    args = parser.parse_args()
    url = os.environ.get("LMS_BENCH_DATABASE_URL")
    result: dict[str, dict] = {"ratios": {}, "counts": {}, "figures": {}}
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{tmp}/bench.sqlite3"
        kind = url.split(":", 1)[0].split("+")[0]
        app = build(url, tmp)
        engine = app.extensions["lms.db"].engine
        client = app.test_client()
        health, _n, _s = timed_page(client, engine, "/healthz", repeat=5)
        print(f"/healthz: {health * 1000:.1f} ms; {load_note()}")
        exports = []
        for username, who in (("quantri", "province"), ("nhansu", "district")):
            login(client, app, username)
            with app.app_context():
                user = db.session.scalars(select(User).where(User.username == username)).one()
                root_id = user.scope_unit_id or db.session.scalar(
                    select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)
                )
                db.session.remove()
            print(f"-- as {username} (unit {root_id}, {who})")
            for label, page in (
                ("dashboard", f"/reports/units/{root_id}"),
                ("dashboard remote", f"/reports/units/{root_id}?remote=1"),
                ("people", f"/reports/units/{root_id}/people"),
                ("people p40", f"/reports/units/{root_id}/people?page=40"),
            ):
                # /healthz right before each page, so the ratio pairs two moments of the same load.
                health, _n, _s = timed_page(client, engine, "/healthz", repeat=5)
                t, n, size = timed_page(client, engine, page)
                print(
                    f"page   {page:<45} {t * 1000:8.1f} ms  ({t / health:6.0f}x healthz)  {n:3d} SQL  {size / 1024:7.1f} KiB"
                )
                result["counts"][f"{kind} {who} {label} SQL"] = n
                result["figures"][f"{kind} {who} {label} ms"] = round(t * 1000, 1)
                # Ratio as a share, like the pages benchmark: higher is better.
                result["ratios"][f"{kind} {who} {label} / healthz"] = round(health / t, 6)
            for fmt in ("units.csv", "people.csv", "people.xlsx", "attendance.xlsx"):
                exp = f"/reports/units/{root_id}/export/{fmt}"
                ttfb, total, size, streamed = timed_export(client, exp)
                exports.append((who, root_id, fmt))
                if streamed:
                    print(
                        f"export {exp:<45} streamed in the request: first byte {ttfb * 1000:8.1f} ms, "
                        f"all {total:6.2f} s, {size / 2**20:6.2f} MiB"
                    )
                    result["figures"][f"{kind} {who} {fmt} request s"] = round(total, 2)
                    continue
                if args.quick and fmt.endswith(".xlsx"):
                    print(
                        f"export {exp:<45} a background job: the request {total * 1000:6.1f} ms (--quick: job not run)"
                    )
                    result["figures"][f"{kind} {who} {fmt} request s"] = round(total, 3)
                    exports.pop()  # nor its memory pass
                    continue
                job_s, job_size = timed_job(app, root_id, *fmt.split("."))
                print(
                    f"export {exp:<45} a background job: the request {total * 1000:6.1f} ms; "
                    f"the job's work {job_s:6.2f} s, {job_size / 2**20:6.2f} MiB"
                )
                result["figures"][f"{kind} {who} {fmt} request s"] = round(total, 3)
                result["figures"][f"{kind} {who} {fmt} job s"] = round(job_s, 2)
        print("peak Python memory while the export is produced (a second pass, tracemalloc on; not timed):")
        for who, root_id, fmt in exports:
            peak = export_peak_memory(app, root_id, *fmt.split("."))
            print(f"  {who:<8} {fmt:<16} {peak:6.1f} MiB")
            result["figures"][f"{kind} {who} {fmt} peak MiB"] = round(peak, 1)
        engine.dispose()
    print("goal (issue 19): province dashboard <= 0.3 s, district <= 0.1 s")
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
