"""Load test: simulated learners on gunicorn + PostgreSQL + Redis + 2 job consumers, all on 127.0.0.1.

    .venv/bin/python benchmarks/load/run.py [--database postgresql://lms:lms@127.0.0.1:5432/lms_load]
        [--users 20,40] | [--search 20]  [--duration 2m]  [--ramp 30]

Modelled on Moodle's load-test plan (moodle/moodle-performance-comparison, size "L": learners log in,
read, answer a quiz) scaled to this 2-core machine: each learner logs in, reads the course page and
lessons, opens the quiz and autosaves answers, thinking 5-15 s between actions (locustfile.py).

The database is emptied and migrated; a redis-server is started on a free port; gunicorn runs with
the README's flags (``-w 4 --threads 2``) and LMS_REDIS_URL (job queue and rate limits), next to two
``lms jobs consumer`` processes. locust runs headless for each number of concurrent learners and the
script prints p95 per request type and the failures. ``--search N`` starts at N learners and doubles
until a run misses the goal (p95 ≤ 800 ms for pages, ≤ 300 ms for autosave, 0 failures; the login
POST is printed but judged apart, see ``verdict``), then bisects once: the largest passing number is
this machine's capacity under the load it had.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
TMP = Path(tempfile.mkdtemp(prefix="lms-load-"))
PASSWORD = "load-test-password-1"
PAGE_P95_MS = 800
AUTOSAVE_P95_MS = 300
COURSE = "chu-ky-so-cong-vu"  # a real course of courses/, imported as an administrator would
QUIZ = "01-khai-niem"  # its first module quiz


def setup(url: str, redis_url: str, learners: int) -> dict[str, Any]:
    """Migrate, load the test course, make learners each enrolled with an open quiz attempt: the plan."""
    from _common import bench_env, flask_cli
    from alembic import command
    from sqlalchemy import select

    from lms import create_app
    from lms.auth.models import User
    from lms.auth.services import hash_password
    from lms.catalog.models import Course, Lesson, Module
    from lms.core.migrate import alembic_config
    from lms.db import db
    from lms.learning.services import enroll_user
    from lms.quizzes import attempts as quiz_attempts
    from lms.quizzes.models import Quiz
    from tests.conftest import reset_database
    from tests.quizzes.conftest import answer_fields

    reset_database(url)
    command.upgrade(alembic_config(url), "head")
    app = create_app("development", SQLALCHEMY_DATABASE_URL=url, INSTANCE_PATH=str(TMP / "setup"),
                     REDIS_URL=redis_url, RATELIMIT_STORAGE_URI="memory://")  # fmt: skip
    env = {**bench_env(TMP, url), "LMS_REDIS_URL": redis_url}
    flask_cli(
        env, "courses", "import", str(ROOT / "courses" / COURSE)
    )  # the real course, through the importer
    with app.app_context():
        s = db.session
        course = s.scalars(select(Course).where(Course.slug == COURSE)).one()
        quiz = s.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == QUIZ)).one()
        quiz.time_limit_minutes = (
            0  # no time limit: attempts stay open across the runs of a search (and 10-minute runs)
        )
        lessons = [f"/courses/{course.slug}/learn/{m}/{le}" for m, le in s.execute(
            select(Module.key, Lesson.key).join(Lesson, Lesson.module_id == Module.id)
            .where(Module.course_id == course.id).order_by(Module.position, Lesson.position))]  # fmt: skip
        pw_hash = hash_password(PASSWORD)
        people = []
        for n in range(learners):
            user = User(username=f"hv{n:04d}", full_name=f"Học viên {n}", password_hash=pw_hash)
            user.set_roles({"learner"})
            s.add(user)
            people.append(user)
        s.flush()
        plan: dict[str, Any] = {"password": PASSWORD, "course": course.slug, "quiz": quiz.id, "lessons": lessons,
                                "learners": []}  # fmt: skip
        for user in people:
            enroll_user(s, user, course)
            attempt = quiz_attempts.start_attempt(s, quiz, user)
            plan["learners"].append({"username": user.username, "attempt": attempt.id, "start": 0, "questions": [
                {"id": e.question_id, "fields": answer_fields(e)} for e in attempt.entries]})  # fmt: skip
        s.commit()
    app.extensions["lms.db"].engine.dispose()
    return plan


def refresh_seqs(url: str, plan: dict[str, Any]) -> None:
    """Each learner's next autosave continues from the sequence number stored by the last run."""
    from sqlalchemy import select

    from lms.db import make_engine
    from lms.quizzes.models import Attempt

    engine = make_engine(url)
    with engine.connect() as conn:
        seqs = dict(conn.execute(select(Attempt.id, Attempt.last_seq)).tuples().all())
    engine.dispose()
    for learner in plan["learners"]:
        learner["start"] = int(seqs.get(learner["attempt"]) or 0)


def locust(
    base: str, plan_path: Path, users: int, duration: str, spawn_rate: float
) -> dict[str, dict[str, float]]:
    """One headless locust run; {request type: {count, failures, p50, p95, p99}} from its CSV."""
    prefix = TMP / f"run{users}"
    exe = Path(sys.executable).with_name("locust")
    subprocess.run(
        [str(exe), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless", "-u", str(users),
         "-r", str(spawn_rate), "-t", duration, "--host", base, "--csv", str(prefix), "--only-summary",
         "--stop-timeout", "20", "--loglevel", "WARNING"],
        env={**os.environ, "LMS_LOAD_PLAN": str(plan_path)}, check=False, cwd=ROOT,
    )  # fmt: skip
    stats: dict[str, dict[str, float]] = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            stats[row["Name"]] = {"count": float(row["Request Count"]), "failures": float(row["Failure Count"]),
                                  "p50": float(row["50%"] or 0), "p95": float(row["95%"] or 0),
                                  "p99": float(row["99%"] or 0)}  # fmt: skip
    return stats


def verdict(stats: dict[str, dict[str, float]]) -> tuple[bool, str]:
    """Pages (not the login POST, see below) p95 ≤ 800 ms, autosave p95 ≤ 300 ms, no failure.

    The login POST is reported but judged apart: every learner logs in once, during the ramp, and
    argon2id costs ~27 ms of CPU by design (decision 1901), so its p95 measures the ramp's burst of
    logins, not the steady state the goal is about.
    """
    pages = [v["p95"] for k, v in stats.items() if k not in ("autosave", "login", "Aggregated")]
    autosave = stats.get("autosave", {}).get("p95", 0.0)
    login = stats.get("login", {}).get("p95", 0.0)
    failures = stats.get("Aggregated", {}).get("failures", 0.0)
    ok = max(pages, default=0) <= PAGE_P95_MS and autosave <= AUTOSAVE_P95_MS and failures == 0
    within = "within" if login <= PAGE_P95_MS else "over"
    return ok, (
        f"pages p95 max {max(pages, default=0):.0f} ms, autosave p95 {autosave:.0f} ms, "
        f"failures {failures:.0f}; login POST p95 {login:.0f} ms ({within} 800 ms)"
    )


def print_table(users: int, stats: dict[str, dict[str, float]]) -> None:
    print(f"\n{users} concurrent learners ({os.getloadavg()[0]:.1f} load average at the end):")
    print(f"   {'request':<14} {'count':>6} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for name, v in stats.items():
        print(
            f"   {name:<14} {v['count']:>6.0f} {v['failures']:>5.0f} {v['p50']:>7.0f} {v['p95']:>7.0f} {v['p99']:>7.0f}"
        )


def main() -> int:
    from _common import bench_env, free_port, gunicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default=os.environ.get(
        "LMS_LOAD_DATABASE_URL", "postgresql://lms:lms@127.0.0.1:5432/lms_load"))  # fmt: skip
    parser.add_argument("--users", default="20", help="comma-separated numbers of concurrent learners")
    parser.add_argument("--search", type=int, help="start here, double until the goal is missed, bisect once")
    parser.add_argument("--duration", default="2m", help="each run (locust -t); the issue asks for 10m")
    parser.add_argument("--ramp", type=float, default=30.0, help="seconds over which the learners log in")
    parser.add_argument("--max-learners", type=int, default=400, help="accounts made (≥ the largest run)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still stop what we started

    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL)  # fmt: skip
    redis_url = f"redis://127.0.0.1:{port}/0"
    procs: list[subprocess.Popen[Any]] = [redis]
    try:
        plan = setup(args.database, redis_url, args.max_learners)
        env = {**bench_env(TMP, args.database), "LMS_REDIS_URL": redis_url, "LMS_RATELIMIT_ENABLED": "1"}
        for _ in range(2):
            procs.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "jobs", "consumer"],
                                          cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
        plan_path = TMP / "plan.json"
        print(f"gunicorn (README flags) + PostgreSQL {args.database.rsplit('/', 1)[-1]} + Redis + 2 consumers; "
              f"runs of {args.duration}, learners think 5-15 s; start {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
        results: dict[int, bool] = {}
        with gunicorn(env) as server:

            def run(users: int) -> bool:
                refresh_seqs(args.database, plan)
                plan_path.write_text(json.dumps(plan), encoding="utf-8")
                stats = locust(server.base, plan_path, users, args.duration, max(users / args.ramp, 0.5))
                print_table(users, stats)
                ok, why = verdict(stats)
                print(f"   → {'PASS' if ok else 'MISS'}: {why}")
                results[users] = ok
                return ok

            if args.search:
                users = args.search
                while users <= args.max_learners and run(users):
                    users *= 2
                passed = [u for u, ok in results.items() if ok]
                failed = [u for u, ok in results.items() if not ok]
                if passed and failed:
                    middle = (max(passed) + min(failed)) // 2
                    if middle not in results:
                        run(middle)
            else:
                for users in (int(u) for u in args.users.split(",")):
                    run(users)
        passed = [u for u, ok in results.items() if ok]
        print(f"\nlargest number of concurrent learners within the goal: {max(passed) if passed else 'none'} "
              f"(tried {sorted(results)}); end load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
