"""Heavy work off the request path: what requests cost now, and what the job queue delivers.

    python benchmarks/jobs.py                       # all parts, small sizes (a few minutes on 2 cores)
    python benchmarks/jobs.py requests              # attendance save (5 vs 30 people), final-exam submits
    python benchmarks/jobs.py batch --certs 200     # N certificates rendered by 2 consumer processes
    python benchmarks/jobs.py batch --certs 200 --postgres postgresql://lms:lms@127.0.0.1:5432/lms_bench
                                                    # the same on PostgreSQL + a redis-server started here
    python benchmarks/jobs.py xlsx --people 50000   # province-wide per-person XLSX as a job

1. requests: SQL statements and time of HR's attendance save for 5 and 30 people (each completes a
   course that requires attendance, so each issues a certificate) and of two final-exam submits that
   complete a course; how many PDF renders ran inside those requests (must be 0), and the inline
   render+sign time the 30-person save no longer pays.
2. batch: one warm render+sign in this process (t1), then N certificates queued by
   ``lms certificates render-missing`` (progress bar) and rendered by 2 ``lms jobs consumer``
   processes: total ≤ 1.2 × (N × t1 / 2) is the goal; projected for 10,592.
3. xlsx: the request that starts the province-wide per-person XLSX vs the job's run (< 1 % goal), the
   job process's peak RSS (≤ 200 MB goal) and rows per second.

Everything uses a temporary SQLite database and SqliteHuey (the `make run` set-up), or with
``--postgres URL`` that (emptied) PostgreSQL database and a redis-server on a free port.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
TMP = Path(tempfile.mkdtemp(prefix="lms-bench-jobs-"))
DB_URL = f"sqlite:///{TMP / 'bench.sqlite3'}"
REDIS_URL = ""  # set by --postgres: a redis-server this script starts
PER_YEAR = 10_592
# Runs argv[1:] and prints its peak RSS (KiB) on stderr's last line. The job process must be started by
# this small process, not by the benchmark itself: Linux adds the high-water RSS of the address space a
# child replaces at exec (the benchmark's, shared by vfork) to the child's ru_maxrss, so the benchmark's
# own RUSAGE_CHILDREN figure was the benchmark's peak (it builds every row in memory), not the job's.
PEAK_RSS_WRAPPER = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)"
)


def env() -> dict[str, str]:
    return {
        **os.environ,
        "LMS_ENV": "development",
        "LMS_DATABASE_URL": DB_URL,
        "LMS_INSTANCE_PATH": str(TMP / "instance"),
        "LMS_SECRET_KEY": "benchmark-only-secret",
        "LMS_RATELIMIT_ENABLED": "0",
        **({"LMS_REDIS_URL": REDIS_URL} if REDIS_URL else {}),
    }


def make_app() -> Any:
    from alembic import command

    from lms import create_app
    from lms.certificates.signing import make_dev_keys
    from lms.core.migrate import alembic_config

    command.upgrade(alembic_config(DB_URL), "head")
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URL=DB_URL,
        INSTANCE_PATH=str(TMP / "instance"),
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
        REDIS_URL=REDIS_URL or None,
        RATELIMIT_STORAGE_URI="memory://",
    )
    keys = TMP / "instance" / "signing"
    if not (keys / "signing.p12").exists():
        make_dev_keys(keys, org_name=app.config["ORG_NAME"], issuer_name=app.config["ISSUER_NAME"])
    return app


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, *_a: Any) -> None:
        self.n += 1


def counted(app: Any, fn: Any) -> tuple[int, float, Any]:
    from sqlalchemy import event

    engine = app.extensions["lms.db"].engine
    c = Counter()
    event.listen(engine, "before_cursor_execute", c)
    t0 = time.perf_counter()
    try:
        out = fn()
    finally:
        event.remove(engine, "before_cursor_execute", c)
    return c.n, time.perf_counter() - t0, out


def login(client: Any, user: Any) -> None:
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def part_requests(app: Any) -> dict[str, Any]:
    from flask import has_request_context

    import lms.certificates.pdf as pdf_module
    from lms.auth.models import Role, User
    from lms.catalog.models import Course, CourseStatus
    from lms.db import db
    from lms.org.models import OrgUnit
    from lms.quizzes import attempts
    from lms.training import services as training
    from tests.quizzes.conftest import answer_fields, save_fields
    from tests.quizzes.helpers import load_fixture_course, quiz_by_key

    in_request: list[int] = []
    real = pdf_module.render_certificate_pdf

    def spy(cert: Any) -> bytes:
        if has_request_context():
            in_request.append(cert.id)
        return real(cert)

    pdf_module.render_certificate_pdf = spy  # type: ignore[assignment]
    results: dict[str, Any] = {}
    with app.app_context():
        s = db.session
        unit = OrgUnit(code="BJ1", name="UBND huyện Vân Đồn", path="/900/")
        s.add(unit)
        s.flush()
        hr = User(username="bench-hr", full_name="Cán bộ nhân sự", scope_unit_id=unit.id, org_unit_id=unit.id)
        hr.set_roles({Role.HR.value})
        s.add(hr)
        s.commit()
        hr_id = hr.id
    for size in (5, 30):
        with app.app_context():
            s = db.session
            hr = s.get(User, hr_id)
            course = Course(slug=f"lop-{size}", title=f"Lớp {size}", status=CourseStatus.PUBLISHED,
                            require_lessons=False, require_quizzes=False, require_final_exam=False,
                            require_attendance=True)  # fmt: skip
            s.add(course)
            s.flush()
            people = []
            for n in range(size):
                u = User(username=f"p{size}-{n}", full_name=f"Học viên {n}", org_unit_id=hr.scope_unit_id)
                u.set_roles({"learner"})
                s.add(u)
                people.append(u)
            s.flush()
            day = dt.date(2026, 3, 2)
            cls = training.create_class(
                s, course=course, unit=s.get(OrgUnit, hr.scope_unit_id), title=f"Lớp {size}", place="HT",
                starts_on=day, ends_on=day, trainer="GV", capacity=size, by=hr,
            )  # fmt: skip
            training.add_to_roster(s, cls, [p.id for p in people], by=hr)
            s.commit()
            url = f"/training/classes/{cls.id}/attendance/{day.isoformat()}"
        client = app.test_client()
        with app.app_context():
            login(client, db.session.get(User, hr_id))
        n, secs, resp = counted(app, lambda url=url, client=client: client.post(url, data={}))
        assert resp.status_code == 302, resp.status_code
        results[f"attendance_{size}"] = (n, secs)

    with app.app_context():
        s = db.session
        course = load_fixture_course(s, slug="bench-exam")
        course.require_lessons, course.require_quizzes, course.require_final_exam = False, False, True
        final = quiz_by_key(s, course, "final")
        takers = []
        for n in range(2):
            u = User(username=f"exam{n}", full_name=f"Thí sinh {n}")
            u.set_roles({"learner"})
            s.add(u)
            s.flush()
            attempt = attempts.start_attempt(s, final, u)
            for i, entry in enumerate(attempt.entries):
                save_fields(s, attempt, entry.question_id, answer_fields(entry), i + 1, base=i)
            takers.append((u.id, attempt.id))
        s.commit()
    for n, (user_id, attempt_id) in enumerate(takers):
        client = app.test_client()
        with app.app_context():
            login(client, db.session.get(User, user_id))
        count, secs, resp = counted(
            app, lambda c=client, a=attempt_id: c.post(f"/quizzes/attempt/{a}/submit")
        )
        assert resp.status_code == 302
        results[f"submit_{n}"] = (count, secs)

    # What the 30-person save no longer does inline: 30 × (render + sign).
    pdf_module.render_certificate_pdf = real  # type: ignore[assignment]
    from lms.certificates.models import Certificate
    from lms.certificates.pdf import render_certificate_pdf

    with app.test_request_context():
        cert = db.session.query(Certificate).first()
        render_certificate_pdf(cert)  # warm
        t1 = statistics.median(timed(lambda: render_certificate_pdf(cert)) for _ in range(3))
    a10, a30 = results["attendance_5"], results["attendance_30"]
    s0, s1 = results["submit_0"], results["submit_1"]
    print("\n1. requests (SQLite, test client, jobs only queued)")
    print(f"   attendance save, 5 people: {a10[0]} statements, {a10[1] * 1000:.0f} ms")
    print(f"   attendance save, 30 people: {a30[0]} statements, {a30[1] * 1000:.0f} ms "
          f"(statements per extra person: {(a30[0] - a10[0]) / 25:.1f}; constant: {a10[0] == a30[0]})")  # fmt: skip
    print(f"   inline render+sign it no longer pays: 30 × {t1 * 1000:.0f} ms = {30 * t1:.1f} s")
    print(f"   final-exam submit completing a course: {s0[0]} and {s1[0]} statements "
          f"({s0[1] * 1000:.0f} / {s1[1] * 1000:.0f} ms)")  # fmt: skip
    print(f"   PDF renders inside these requests: {len(in_request)}")
    return {
        "counts": {
            "attendance_save_5_statements": a10[0],
            "attendance_save_30_statements": a30[0],
            "exam_submit_statements": max(s0[0], s1[0]),
            "pdf_renders_in_requests": len(in_request),
        },
        "figures": {"attendance_save_30_ms": a30[1] * 1000, "render_sign_ms": t1 * 1000},
    }


def timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def part_batch(app: Any, certs: int, here: bool = False) -> dict[str, Any]:
    from sqlalchemy import func, insert, select

    from lms.auth.models import User
    from lms.catalog.models import Course
    from lms.certificates.models import Certificate
    from lms.certificates.pdf import render_certificate_pdf
    from lms.certificates.services import _snapshot, new_code
    from lms.db import db, utcnow
    from lms.jobs.models import Job
    from lms.org.models import OrgUnit

    with app.test_request_context():
        s = db.session
        unit = OrgUnit(code="BJ2", name="UBND phường Bãi Cháy", path="/901/")
        course = Course(
            slug="batch-ky-so", title="Chữ ký số và liên thông văn bản điện tử", estimated_hours=8
        )
        s.add_all([unit, course])
        s.flush()
        now = utcnow()
        s.execute(insert(User), [{"username": f"batch{n}", "full_name": f"Nguyễn Thị Hương {n}",
                                  "org_unit_id": unit.id, "job_title": "Chuyên viên", "password_hash": "x",
                                  "is_active": True, "locale": "vi", "session_version": 1, "created_at": now}
                                 for n in range(certs + 1)])  # fmt: skip
        users = s.scalars(select(User).where(User.username.like("batch%")).order_by(User.id)).all()
        s.execute(insert(Certificate), [{"code": new_code(), "user_id": u.id, "course_id": course.id,
                                         **_snapshot(s, u, course, completed_at=now)} for u in users])  # fmt: skip
        s.commit()
        probe = s.scalars(select(Certificate).order_by(Certificate.id)).first()
        render_certificate_pdf(probe)  # warm fonts, CSS, key
        walls, cpus = [], []
        for _ in range(15):  # the ideal rests on this figure: enough samples for a stable median
            w0, c0 = time.perf_counter(), time.process_time()
            render_certificate_pdf(probe)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        t1, t1_cpu = statistics.median(walls), statistics.median(cpus)
        # the probe is not part of the batch: give it a PDF row so render-missing skips it
        from lms.certificates.services import render_certificate

        render_certificate(s, probe)
        s.commit()
    app.extensions["lms.db"].engine.dispose()
    backend = "PostgreSQL + Redis" if REDIS_URL else "SQLite + SqliteHuey"

    if here:  # baseline: the same N with `render-missing --workers 2` (a process pool, no queue)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "certificates", "render-missing", "--workers", "2"],
            cwd=ROOT, env=env(), check=True,
        )  # fmt: skip
        total = time.perf_counter() - t0
        print(
            f"\n2b. process pool: {certs} in {total:.1f} s ({certs / total:.1f}/s); ideal {certs * t1 / 2:.1f} s"
        )
        return {"figures": {"pool_total_over_ideal": total / (certs * t1 / 2)}}
    consumers = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "jobs", "consumer"],
            cwd=ROOT,
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for p in consumers:  # each renders a sample at start (decision 1304): wait until both are warm
            assert p.stderr is not None
            for line in p.stderr:
                if "warmed up" in line:
                    print(f"   {line.strip()}")
                    break
            else:
                raise SystemExit("a consumer exited before it was ready")
            # keep reading its log (huey logs every job): a full pipe would stop the consumer
            threading.Thread(target=lambda f=p.stderr: f.read(), daemon=True).start()
        cpu0 = [cpu_seconds(p.pid) for p in consumers]
        print(
            f"\n2. batch: {certs} certificates, 2 consumer processes ({backend}), load {os.getloadavg()[0]:.1f}"
        )
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "certificates", "render-missing"],
            cwd=ROOT, env=env(), check=True,
        )  # fmt: skip
        total = time.perf_counter() - t0
        cpu = sum(cpu_seconds(p.pid) - c for p, c in zip(consumers, cpu0, strict=True))
    finally:
        for p in consumers:
            p.terminate()
        for p in consumers:
            p.wait(60)
    with app.app_context():
        done = db.session.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.pdf_sha256.is_not(None))
        )
        first, last = db.session.execute(
            select(func.min(Job.started_at), func.max(Job.finished_at)).where(
                Job.kind == "certificates.render"
            )
        ).one()
    span = (last - first).total_seconds()
    ideal = certs * t1 / 2
    ratio = total / ideal
    print(f"   one warm render+sign here: {t1 * 1000:.0f} ms ({t1_cpu * 1000:.0f} ms CPU); "
          f"ideal with 2 consumers N × t1 / 2: {ideal:.1f} s")  # fmt: skip
    print(f"   render-missing (queue + progress bar until done): {total:.1f} s ({certs / total:.1f}/s), "
          f"{done - 1} PDFs; ratio to ideal {ratio:.2f} (goal ≤ 1.2)")  # fmt: skip
    print(f"   first job claimed → last job done: {span:.1f} s, ratio to ideal {span / ideal:.2f}")
    print(f"   consumers' CPU per certificate: {cpu / certs * 1000:.0f} ms = {cpu / (certs * t1_cpu):.2f} × "
          f"one render+sign's CPU here (per-job overhead of the queue)")  # fmt: skip
    print(f"   projected for {PER_YEAR:,}: {PER_YEAR / (certs / total) / 60:.0f} min")
    return {"ratios": {"batch_ideal_over_total": ideal / total}, "figures": {"batch_total_over_ideal": ratio,
            "batch_consumer_cpu_over_render_cpu": cpu / (certs * t1_cpu),
            "certificates_per_second": certs / total}}  # fmt: skip


def part_xlsx(app: Any, people: int) -> dict[str, Any]:
    from sqlalchemy import insert, select

    from lms.auth.models import Role, User
    from lms.catalog.models import Course, CourseStatus
    from lms.db import db, utcnow
    from lms.jobs.models import Job, JobStatus
    from lms.learning.models import Enrollment
    from lms.org.models import OrgUnit

    with app.app_context():
        s = db.session
        root = OrgUnit(code="TINH", name="Tỉnh Quảng Ninh", path="/950/")
        s.add(root)
        s.flush()
        units = []
        for n in range(50):
            u = OrgUnit(code=f"X{n:03d}", name=f"UBND xã {n}", parent_id=root.id, path=f"/950/{1000 + n}/")
            units.append(u)
        s.add_all(units)
        s.flush()
        courses = [
            Course(slug=f"xl-{n}", title=f"Khoá học {n}", status=CourseStatus.PUBLISHED) for n in range(4)
        ]
        s.add_all(courses)
        s.flush()
        now = utcnow()
        rows = [{"username": f"x{n}", "full_name": f"Trần Văn {n}", "org_unit_id": units[n % 50].id,
                 "email": f"x{n}@example.test", "job_title": "Chuyên viên", "password_hash": "x",
                 "is_active": True, "locale": "vi", "session_version": 1, "created_at": now}
                for n in range(people)]  # fmt: skip
        for start in range(0, people, 5000):
            s.execute(insert(User), rows[start : start + 5000])
        ids = list(s.scalars(select(User.id).where(User.username.like("x%")).order_by(User.id)))
        enr = [{"user_id": uid, "course_id": c.id, "enrolled_at": now, "progress_percent": 50, "source": "assigned"}
               for uid in ids for c in courses]  # fmt: skip
        for start in range(0, len(enr), 10000):
            s.execute(insert(Enrollment), enr[start : start + 10000])
        hr = User(username="xl-hr", full_name="Nhân sự tỉnh", scope_unit_id=root.id, org_unit_id=root.id)
        hr.set_roles({Role.HR.value})
        s.add(hr)
        s.commit()
        hr_id, root_id = hr.id, root.id
    client = app.test_client()
    with app.app_context():
        login(client, db.session.get(User, hr_id))
    url = f"/reports/units/{root_id}/export/people.xlsx?year={dt.date.today().year}"
    t0 = time.perf_counter()
    resp = client.post(url)
    request_secs = time.perf_counter() - t0
    assert resp.status_code == 302, resp.status_code
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_WRAPPER, sys.executable, "-m", "flask", "--app", "wsgi", "lms", "jobs",
         "run", "--kind", "reports.export"],
        cwd=ROOT, env=env(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    job_secs = time.perf_counter() - t0
    peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.kind == "reports.export")).one()
        assert job.status == JobStatus.DONE, job.error
        rows_out = job.result["rows"]
    ratio = request_secs / job_secs
    print(f"\n3. xlsx: province-wide per-person export, {people:,} people × 4 enrolments")
    print(f"   request that starts it: {request_secs * 1000:.0f} ms; job process: {job_secs:.1f} s "
          f"→ {ratio:.2%} of the job (goal < 1 %)")  # fmt: skip
    print(f"   job process peak RSS: {peak_mb:.0f} MB (goal ≤ 200); {rows_out:,} rows, "
          f"{rows_out / job_secs:,.0f} rows/s, file {job.result['bytes'] / 1e6:.1f} MB")  # fmt: skip
    return {"figures": {"xlsx_request_share_of_job": ratio, "xlsx_job_peak_rss_mb": peak_mb,
            "xlsx_rows_per_second": rows_out / job_secs}}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("parts", nargs="*", default=["requests", "batch", "xlsx"])
    parser.add_argument("--certs", type=int, default=40, help="certificates for the batch part")
    parser.add_argument("--people", type=int, default=20_000, help="people for the xlsx part")
    parser.add_argument("--here", action="store_true", help="batch: a process pool instead of consumers")
    parser.add_argument("--postgres", metavar="URL", help="this PostgreSQL database (emptied) + a redis-server "
                        "started here, instead of SQLite + SqliteHuey")  # fmt: skip
    args = parser.parse_args()
    redis = None
    if args.postgres:
        redis = use_postgres_and_redis(args.postgres)
    try:
        return run(args)
    finally:
        if redis is not None:
            redis.terminate()
            redis.wait(10)


def use_postgres_and_redis(url: str) -> subprocess.Popen[bytes]:
    """Point this run at an emptied PostgreSQL database and a fresh redis-server on a free port."""
    global DB_URL, REDIS_URL
    from _common import free_port
    from sqlalchemy import text

    from lms.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL)  # fmt: skip
    DB_URL, REDIS_URL = url, f"redis://127.0.0.1:{port}/0"
    return redis


def run(args: Any) -> int:
    from _common import emit

    app = make_app()
    result: dict[str, dict[str, Any]] = {"ratios": {}, "counts": {}, "figures": {}}
    for part in args.parts:
        if part == "requests":
            out = part_requests(app)
        elif part == "batch":
            out = part_batch(app, args.certs, args.here)
        elif part == "xlsx":
            out = part_xlsx(app, args.people)
        else:
            raise SystemExit(f"unknown part {part}")
        for k, v in out.items():
            result[k].update(v)
    emit(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
