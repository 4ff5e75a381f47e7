"""Quiz autosave throughput as a share of /healthz, and SQL statements per autosave and per submit.

Runs in-process (Flask test client) on a fresh SQLite file, or on
LMS_BENCH_DATABASE_URL (PostgreSQL; the database is emptied). Prints ratios,
never absolute timings as a verdict:

    .venv/bin/python benchmarks/quiz_autosave.py [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from alembic import command
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lms import create_app
from lms.auth.models import User
from lms.core.migrate import alembic_config
from lms.db import db
from lms.quizzes import attempts as quiz_attempts
from tests.conftest import login, reset_database
from tests.quizzes.conftest import answer_fields
from tests.quizzes.helpers import load_fixture_course, quiz_by_key


class Counter:
    def __init__(self) -> None:
        self.n = 0
        self.last: list[str] = []

    def __call__(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        self.n += 1
        self.last.append(" ".join(statement.split())[:32])


def rate(fn, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="quiz-bench-")
    url = os.environ.get("LMS_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    reset_database(url)
    command.upgrade(alembic_config(url), "head")
    app = create_app("testing", SQLALCHEMY_DATABASE_URL=url, INSTANCE_PATH=tmp, RATELIMIT_ENABLED=False)
    with app.app_context():
        course = load_fixture_course(db.session)
        quiz = quiz_by_key(db.session, course, "01-tong-quan")
        users = []
        for i in range(2):
            user = User(username=f"bench{i}", full_name="Bench", password_hash="x")
            user.set_roles({"learner"})
            db.session.add(user)
            users.append(user)
        db.session.flush()
        attempts = [quiz_attempts.start_attempt(db.session, quiz, u) for u in users]
        db.session.commit()
        snapshot = attempts[0].entries
        ids = [a.id for a in attempts]
        user_ids = [u.id for u in users]

    client = app.test_client()
    with app.app_context():
        login(client, db.session.get(User, user_ids[0]))

    def healthz(_i: int) -> None:
        assert client.get("/healthz").status_code == 200

    def autosave(i: int) -> None:
        entry = snapshot[i % len(snapshot)]
        r = client.post(
            f"/quizzes/attempt/{ids[0]}/autosave",
            json={
                "question": entry.question_id,
                "seq": i + 1,
                "base": i,
                "fields": answer_fields(entry, correct=i % 2 == 0),
            },
        )
        assert r.status_code == 200, r.get_data(as_text=True)

    n = args.requests
    healthz(0)
    health_rate = rate(healthz, n)
    save_rate = rate(autosave, n)

    engine = app.extensions["lms.db"].engine
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    per_save = []
    for i in range(n, n + len(snapshot)):
        counter.n = 0
        counter.last = []
        autosave(i)
        per_save.append(counter.n)
        save_statements = list(counter.last)
    with app.app_context():
        login(client, db.session.get(User, user_ids[1]))
    for i, entry in enumerate(snapshot):
        client.post(
            f"/quizzes/attempt/{ids[1]}/autosave",
            json={"question": entry.question_id, "seq": i + 1, "base": i, "fields": answer_fields(entry)},
        )
    counter.n = 0
    assert client.post(f"/quizzes/attempt/{ids[1]}/submit").status_code == 302
    per_submit = counter.n
    event.remove(engine, "before_cursor_execute", counter)

    print(f"database: {url.split('://')[0]}; {n} requests each, in-process")
    print(f"/healthz: {health_rate:.0f} req/s; autosave: {save_rate:.0f} req/s")
    print(f"autosave throughput = {save_rate / health_rate:.0%} of /healthz")
    print(f"SQL statements per autosave: {min(per_save)}–{max(per_save)} ({'; '.join(save_statements)})")
    print(f"SQL statements per submit of a {len(snapshot)}-question attempt: {per_submit}")


if __name__ == "__main__":
    main()
