"""Certificate PDFs: render + sign cost, memory growth, batch throughput.

    python benchmarks/certificates.py [--renders 1000] [--batch 40] [--repeat 20]

1. Warm render + sign of one certificate as a ratio of a minimal WeasyPrint
   render of ``<p>x</p>`` in the same run (goal ≤ 3×).
2. Resident memory growth over N render + sign cycles after warm-up (goal ≤ 25 MB).
3. Batch throughput of ``lms certificates render-missing --workers <cores>`` (a process pool)
   on a temporary SQLite database, projected for the province's 10,592 a year.
4. /verify response time for an unknown code (404) relative to a known one (200).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="lms-bench-certs-"))
os.environ["LMS_INSTANCE_PATH"] = str(TMP / "instance")
os.environ.setdefault("LMS_ENV", "development")
DB_URL = f"sqlite:///{TMP / 'bench.sqlite3'}"
os.environ["LMS_DATABASE_URL"] = DB_URL
PER_YEAR = 10_592


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=1000, help="render+sign cycles for the memory check")
    parser.add_argument("--batch", type=int, default=40, help="certificates rendered by the batch CLI")
    parser.add_argument("--repeat", type=int, default=20, help="samples for the ratio")
    args = parser.parse_args()

    from alembic import command
    from weasyprint import HTML

    from lms import create_app
    from lms.auth.models import User
    from lms.catalog.models import Course
    from lms.certificates.models import Certificate
    from lms.certificates.pdf import certificate_context, html_to_pdf, render_certificate_pdf, render_html
    from lms.certificates.services import _snapshot, new_code
    from lms.certificates.signing import make_dev_keys, sign_pdf
    from lms.core.migrate import alembic_config
    from lms.db import db, utcnow
    from lms.org.models import OrgUnit

    command.upgrade(alembic_config(DB_URL), "head")
    app = create_app("development", SQLALCHEMY_DATABASE_URL=DB_URL, INSTANCE_PATH=str(TMP / "instance"))
    make_dev_keys(
        TMP / "instance" / "signing", org_name=app.config["ORG_NAME"], issuer_name=app.config["ISSUER_NAME"]
    )

    with app.test_request_context():
        s = db.session
        unit = OrgUnit(code="QN-H01-X01", name="UBND phường Bãi Cháy", kind="commune", path="/1/")
        s.add(unit)
        s.flush()
        course = Course(slug="chu-ky-so", title="Chữ ký số và liên thông văn bản điện tử", estimated_hours=8)
        s.add(course)
        s.flush()
        users = []
        for i in range(args.batch + 1):
            u = User(
                username=f"u{i}",
                full_name=f"Nguyễn Thị Hương {i}",
                org_unit_id=unit.id,
                job_title="Chuyên viên",
            )
            s.add(u)
            users.append(u)
        s.flush()
        certs = []
        for u in users:
            c = Certificate(code=new_code(), user_id=u.id, course_id=course.id, score=92.5,
                            **_snapshot(s, u, course, completed_at=utcnow()))  # fmt: skip
            s.add(c)
            certs.append(c)
        s.commit()
        sample = certs[0]

        # 1. Ratio against a minimal WeasyPrint render (both warm).
        minimal = lambda: HTML(string="<p>x</p>").write_pdf()  # noqa: E731
        full = lambda: render_certificate_pdf(sample)  # noqa: E731
        for _ in range(3):
            minimal()
            full()
        # Interleave the two so a busy machine slows both alike; report the median ratio.
        pairs = []
        cpu_pairs = []  # CPU time of this process: what a busy shared machine changes least
        for _ in range(args.repeat):
            a, ca = time.perf_counter(), time.process_time()
            minimal()
            b, cb = time.perf_counter(), time.process_time()
            full()
            c, cc = time.perf_counter(), time.process_time()
            pairs.append((b - a, c - b))
            cpu_pairs.append((cb - ca, cc - cb))
        t_min = statistics.median(p[0] for p in pairs)
        t_full = statistics.median(p[1] for p in pairs)
        ratio = statistics.median(p[1] / p[0] for p in pairs)
        html = render_html(certificate_context(sample))
        t_render = timed(lambda: html_to_pdf(html), max(3, args.repeat // 2))
        pdf = html_to_pdf(html)
        t_sign = timed(lambda: sign_pdf(pdf, reason="bench", location="bench"), max(3, args.repeat // 2))
        print(f"minimal <p>x</p> render: {t_min * 1000:.0f} ms (median of {args.repeat})")
        print(
            f"certificate render+sign: {t_full * 1000:.0f} ms  (render {t_render * 1000:.0f} ms, sign {t_sign * 1000:.0f} ms)"
        )
        print(f"ratio render+sign / minimal: {ratio:.2f}x (median of paired runs)   (goal <= 3x)")
        cpu_ratio = statistics.median(c[1] for c in cpu_pairs) / statistics.median(c[0] for c in cpu_pairs)
        print(
            f"same in CPU time: {cpu_ratio:.2f}x (minimal {statistics.median(c[0] for c in cpu_pairs) * 1000:.0f} ms, "
            f"render+sign {statistics.median(c[1] for c in cpu_pairs) * 1000:.0f} ms)"
        )
        from benchmarks._common import emit

        emit(
            {
                "ratios": {"minimal render / certificate render+sign": round(1 / ratio, 4)},
                "counts": {},
                "figures": {},
            }
        )
        print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"signed PDF size: {len(render_certificate_pdf(sample)) / 1024:.0f} KiB")

        # 2. Memory growth over N renders after warm-up.
        for _ in range(5):
            full()
        before = rss_mb()
        for _ in range(args.renders):
            full()
        after = rss_mb()
        print(
            f"RSS growth over {args.renders} render+sign: {after - before:+.1f} MB ({before:.0f} -> {after:.0f} MB)   (goal <= 25 MB)"
        )

    # 4 (before the batch, which renders the rest). Known vs unknown code on /verify: same work?
    client = app.test_client()
    known = f"/verify/{sample.code}"
    unknown = f"/verify/{new_code()}"
    app.config["RATELIMIT_ENABLED"] = False
    from lms.extensions import limiter

    limiter.enabled = False
    for _ in range(5):
        client.get(known)
        client.get(unknown)
    pairs = []
    for _ in range(args.repeat * 3):
        a = time.perf_counter()
        assert client.get(known).status_code == 200
        b = time.perf_counter()
        assert client.get(unknown).status_code == 404
        c = time.perf_counter()
        pairs.append((c - b) / (b - a))
    print(
        f"/verify unknown (404) vs known (200) response time: {statistics.median(pairs):.2f}x (median of pairs)"
    )

    # 3. Batch throughput through the CLI (one process per core). ``--workers`` renders in this
    # process's pool: without it the command queues jobs and waits for consumers, and none runs here
    # (the job-queue batch with two consumers is ``benchmarks/jobs.py batch``).
    cores = os.cpu_count() or 1
    runner = app.test_cli_runner()
    t0 = time.perf_counter()
    out = runner.invoke(args=["lms", "certificates", "render-missing", "--workers", str(cores)])
    elapsed = time.perf_counter() - t0
    if out.exit_code != 0:
        print(out.output)
        if out.exc_info:
            import traceback

            traceback.print_exception(*out.exc_info)
        return 1
    print(out.output.strip().splitlines()[-1])
    done = args.batch + 1
    rate = done / elapsed
    print(
        f"batch: {done} certificates in {elapsed:.1f} s with {cores} processes = {rate:.2f}/s (incl. worker start-up)"
    )
    print(f"projected for {PER_YEAR:,} a year: {PER_YEAR / rate / 60:.0f} minutes of batch time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
