"""Two app instances and two consumers on one PostgreSQL + one Redis: shared state, jobs done once.

    python benchmarks/scaleout.py [--database postgresql://lms:lms@127.0.0.1:5432/lms_scaleout] [--learners 10]

The database is emptied and migrated. A ``redis-server`` is started on a free 127.0.0.1 port, then
two gunicorn instances (separate instance folders, as on two hosts) and two
``lms jobs consumer`` processes, all with the same LMS_DATABASE_URL and LMS_REDIS_URL.

1. Login throttling: wrong passwords typed on instance A; the next attempt on instance B gets 429.
2. Jobs: learners complete a course through A or B (alternately); each completion queues a
   certificate render job; the script waits until every PDF exists and prints which consumer did
   each job and how many attempts it took (each must be done exactly once).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
TMP = Path(tempfile.mkdtemp(prefix="lms-scaleout-"))
PASSWORD = "mat-khau-2026-dung"


def wait(check, timeout: float = 120, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"timed out waiting for {check.__name__}")


def csrf(html: str) -> str:
    found = re.search(r'name="csrf[-_]token"[^>]*(?:value|content)="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token in the page")
    return found.group(1)


def login(base: str, username: str, password: str, ip: str) -> tuple[requests.Session, int]:
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = ip  # as nginx would send it (LMS_PROXY_COUNT=1)
    token = csrf(browser.get(f"{base}/login", timeout=30).text)
    resp = browser.post(
        f"{base}/login",
        data={"csrf_token": token, "login": username, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    return browser, resp.status_code


def main() -> int:
    from _common import free_port

    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default=os.environ.get(
        "LMS_SCALEOUT_DATABASE_URL", "postgresql://lms:lms@127.0.0.1:5432/lms_scaleout"))  # fmt: skip
    parser.add_argument("--learners", type=int, default=10)
    args = parser.parse_args()

    import shutil

    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from lms import create_app
    from lms.certificates.signing import make_dev_keys
    from lms.core.migrate import alembic_config
    from lms.db import make_engine

    engine = make_engine(args.database)
    try:
        engine.connect().close()
    except OperationalError:
        print(f"skipped: no PostgreSQL at {args.database} (create it, or pass --database)")
        return 0
    if shutil.which("redis-server") is None:
        print("skipped: redis-server is not installed")
        return 0
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    command.upgrade(alembic_config(args.database), "head")
    keys = TMP / "signing"
    make_dev_keys(keys, org_name="UBND tỉnh Quảng Ninh", issuer_name="Sở KH&CN")

    redis_port = free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    base_env = {
        **os.environ,
        "LMS_ENV": "production",
        "LMS_DATABASE_URL": args.database,
        "LMS_REDIS_URL": redis_url,
        "LMS_SECRET_KEY": "scaleout-benchmark-secret",
        "LMS_SECURE_COOKIES": "0",
        "LMS_SIGNING_P12": str(keys / "signing.p12"),
        "LMS_SIGNING_P12_PASSPHRASE": (keys / "passphrase").read_text(),
        "LMS_SIGNING_TRUST_ROOTS": str(keys / "ca.pem"),
        "LMS_LOGIN_FAILURE_LIMIT": "3 per 15 minutes",
        "LMS_PROXY_COUNT": "1",
    }
    os.environ["LMS_SECRET_KEY"] = "scaleout-benchmark-secret"
    app = create_app("development", SQLALCHEMY_DATABASE_URL=args.database, INSTANCE_PATH=str(TMP / "setup"),
                     REDIS_URL=redis_url, RATELIMIT_STORAGE_URI="memory://")  # fmt: skip
    try:
        setup(app, args.learners)
    except BaseException:
        redis.terminate()
        raise
    app.extensions["lms.db"].engine.dispose()
    return serve(args, base_env, redis, redis_url)


def setup(app, learners: int) -> None:
    from lms.auth.models import User
    from lms.auth.services import hash_password
    from lms.catalog.models import Course, CourseStatus, Lesson, Module
    from lms.db import db
    from lms.learning.services import enroll_user

    with app.app_context():
        s = db.session
        course = Course(slug="scaleout", title="Chữ ký số", status=CourseStatus.PUBLISHED, require_lessons=True,
                        require_quizzes=False, require_final_exam=False)  # fmt: skip
        module = Module(key="m1", title="Mô-đun 1")
        course.modules.append(module)
        s.add(course)
        s.flush()
        module.lessons.append(Lesson(key="l1", title="Bài 1", course_id=course.id))
        pw = hash_password(PASSWORD)
        for n in range(learners):
            user = User(username=f"hv{n}", full_name=f"Học viên {n}", password_hash=pw)
            user.set_roles({"learner"})
            s.add(user)
            s.flush()
            enroll_user(s, user, course)
        victim = User(username="bi-khoa", full_name="Người bị dò mật khẩu", password_hash=pw)
        victim.set_roles({"learner"})
        s.add(victim)
        s.commit()


def serve(args, base_env: dict[str, str], redis: subprocess.Popen, redis_url: str) -> int:
    from _common import emit, free_port
    from sqlalchemy import text

    from lms.db import make_engine

    procs: list[subprocess.Popen] = [redis]
    servers = []
    try:
        for name in ("a", "b"):
            port = free_port()
            env = {**base_env, "LMS_INSTANCE_PATH": str(TMP / name)}
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
            servers.append(f"http://127.0.0.1:{port}")
        consumers = {}
        for name in ("c1", "c2"):
            env = {**base_env, "LMS_INSTANCE_PATH": str(TMP / name)}
            proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "jobs", "consumer"],
                                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            procs.append(proc)
            consumers[proc.pid] = name
        a, b = servers

        def up() -> bool:
            try:
                return all(requests.get(f"{u}/healthz", timeout=2).status_code == 200 for u in servers)
            except requests.RequestException:
                return False

        wait(up)
        print(
            f"instances A={a} B={b}; consumers {sorted(consumers.values())}; PostgreSQL + Redis {redis_url}"
        )

        # 1. Throttling shared through Redis.
        codes_a = [login(a, "bi-khoa", "sai-mat-khau", "10.9.9.9")[1] for _ in range(3)]
        _, on_b = login(b, "bi-khoa", PASSWORD, "10.9.9.9")
        print(f"1. three wrong passwords on A answered {codes_a}; the right one on B then answered {on_b} "
              f"({'shared' if on_b == 429 else 'NOT shared'})")  # fmt: skip

        # 2. Completions through both instances queue jobs; either consumer does each once.
        t0 = time.perf_counter()
        for n in range(args.learners):
            base = servers[n % 2]
            browser, code = login(base, f"hv{n}", PASSWORD, f"10.1.0.{n + 1}")
            assert code in (302, 303), code
            page = browser.get(f"{base}/courses/scaleout/learn/m1/l1", timeout=30).text
            resp = browser.post(f"{base}/courses/scaleout/learn/m1/l1/complete", data={"csrf_token": csrf(page)},
                                allow_redirects=False, timeout=30)  # fmt: skip
            assert resp.status_code in (302, 303), resp.status_code
        requests_done = time.perf_counter() - t0

        check_engine = make_engine(args.database)

        def all_rendered() -> bool:
            with check_engine.connect() as conn:
                missing = conn.execute(
                    text("SELECT count(*) FROM certificates WHERE pdf_sha256 IS NULL")
                ).scalar()
                total = conn.execute(text("SELECT count(*) FROM certificates")).scalar()
            return total == args.learners and missing == 0

        wait(all_rendered, timeout=600, interval=0.5)
        rendered_after = time.perf_counter() - t0
        with check_engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT worker, attempts, status FROM jobs WHERE kind = 'certificates.render'")).all()  # fmt: skip
            files = conn.execute(text(
                "SELECT count(*), count(DISTINCT certificate_id) FROM certificate_files")).one()  # fmt: skip
        check_engine.dispose()
        by_consumer = collections.Counter(consumers.get(int(w.rsplit(":", 1)[1]), w) for w, _a, _s in rows)
        once = all(att == 1 and st == "done" for _w, att, st in rows)
        print(f"2. {args.learners} completions (half on A, half on B) in {requests_done:.1f} s; all "
              f"{len(rows)} PDFs rendered {rendered_after:.1f} s after the first request")  # fmt: skip
        print(f"   jobs per consumer: {dict(by_consumer)}; each done exactly once: {once}; "
              f"PDF rows {files[0]} for {files[1]} certificates")  # fmt: skip
        emit({"counts": {"scaleout_not_shared": int(on_b != 429), "scaleout_jobs_not_once": int(not once)},
              "figures": {"scaleout_render_seconds": rendered_after}})  # fmt: skip
        return 0 if on_b == 429 and once and files[0] == files[1] == args.learners else 1
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    raise SystemExit(main())
