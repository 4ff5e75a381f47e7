"""Quiz autosave: SQL statements per save and per submit, and throughput as a share of /healthz.

1. In-process (Flask test client), one learner: statements per autosave and per submit, and the
   save rate as a share of /healthz in the same process (no HTTP, no concurrency).
2. Over HTTP, concurrently: gunicorn as in production (README: -w 4 --threads 2), LEARNERS
   learners each saving their own attempt as fast as wrk can send (one connection per learner,
   saves in sequence as the page sends them), paired back to back with wrk on /healthz at the same
   concurrency; median of ROUNDS pairs. Prints the throughput share, the server-CPU share (what the
   CPU alone would allow: the gap between the two is time spent waiting, e.g. for SQLite's write
   lock) and checks afterwards that every acknowledged save is stored (no save lost).

A fresh SQLite file, or LMS_BENCH_DATABASE_URL (PostgreSQL; the database is emptied).

    .venv/bin/python benchmarks/quiz_autosave.py [--requests 300] [--learners 8] [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from alembic import command
from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import GUNICORN_ARGS, Pair, bench_env, emit, gunicorn, load_note, wrk
from lms import create_app
from lms.auth.models import User
from lms.auth.services import hash_password
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


LUA = """
-- One wrk thread per learner, one connection each: saves go out in order, as the page sends them.
-- The next save's seq follows the last acknowledged one (wrk calls request() once more than it
-- sends, on the first thread, to inspect it: so nothing may count calls of request()).
local learners = %(learners)s
local acked = 0
local me
local n = 0
function setup(thread)
  n = n + 1
  thread:set("who", n)
end
function init(args)
  me = learners[who]
  wrk.method = "POST"
  wrk.headers["Cookie"] = me.cookie
  wrk.headers["X-CSRFToken"] = me.token
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  local q = me.questions[(acked %% #me.questions) + 1]
  local body = string.format('{"question": %%d, "seq": %%d, "base": %%d, "fields": %%s}',
    q.id, me.start + acked + 1, me.start + acked, q.fields)
  return wrk.format(nil, me.path, nil, body)
end
function response(status, headers, body)
  if status == 200 then
    acked = acked + 1
  else
    io.stderr:write(status .. " learner " .. who .. ": " .. body:sub(1, 200) .. "\\n")
  end
end
"""


def lua_table(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {lua_table(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(lua_table(v) for v in value) + "}"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string literal is a valid Lua string literal here
    return str(value)


def concurrent_http(
    app, url: str, tmp: str, course_id: int, learners: int, seconds: float, rounds: int
) -> dict:
    """Many learners autosaving at once over HTTP, paired with /healthz; see the module docstring."""
    import http.client
    from urllib.parse import urlencode

    from lms.catalog.models import Course
    from lms.quizzes.models import Attempt

    with app.app_context():
        course = db.session.get(Course, course_id)
        quiz = quiz_by_key(db.session, course, "01-tong-quan")
        pw_hash = hash_password("bench-password-1")
        users = []
        for i in range(learners):
            user = User(username=f"conc{i}", full_name="Bench", password_hash=pw_hash)
            user.set_roles({"learner"})
            db.session.add(user)
            users.append(user)
        db.session.flush()
        attempts = [quiz_attempts.start_attempt(db.session, quiz, u) for u in users]
        db.session.commit()
        plan = [(u.username, a.id, a.entries) for u, a in zip(users, attempts, strict=True)]
        db.session.remove()
    app.extensions["lms.db"].engine.dispose()

    env = bench_env(Path(tmp), url)
    env["LMS_RATELIMIT_ENABLED"] = "0"  # 120 saves a minute per learner is the production limit
    with gunicorn(env) as server:
        table = []
        for username, attempt_id, snapshot in plan:
            cookies: dict[str, str] = {}

            def call(method: str, path: str, body: str | None = None, cookies=cookies) -> str:
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
                if body is not None:
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                text = resp.read().decode()
                for name, value in resp.getheaders():
                    if name.lower() == "set-cookie":
                        key, _, rest = value.partition("=")
                        cookies[key] = rest.split(";", 1)[0]
                conn.close()
                return text

            token = re.search(r'name="csrf_token" value="([^"]+)"', call("GET", "/login")).group(1)
            call(
                "POST",
                "/login",
                urlencode({"csrf_token": token, "login": username, "password": "bench-password-1"}),
            )
            page = call("GET", f"/quizzes/attempt/{attempt_id}")
            token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
            table.append(
                {
                    "cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                    "token": token,
                    "path": f"/quizzes/attempt/{attempt_id}/autosave",
                    "start": 0,
                    "questions": [
                        {"id": e.question_id, "fields": json.dumps(answer_fields(e))} for e in snapshot
                    ],
                }
            )
        script = Path(tmp) / "autosave.lua"
        pair = Pair("autosave", [], [])
        run = {"connections": learners, "threads": learners}
        wrk(server, "/healthz", seconds=1, **run)  # warm every worker
        sent = 0
        for _ in range(rounds):
            # /healthz as a load balancer asks it: no session cookie.
            pair.base.append(wrk(server, "/healthz", seconds=seconds, **run))
            script.write_text(LUA % {"learners": lua_table(table)})
            saves = wrk(server, "/", seconds=seconds, script=script, **run)
            pair.page.append(saves)
            sent += saves.requests
            # wrk's count is of completed responses; saves in flight when it stopped still land.
            # Each learner's next run starts from its stored seq, read once it no longer moves.
            stored: dict[int, int] = {}
            while True:
                time.sleep(0.5)
                with app.app_context():
                    now = dict(
                        db.session.execute(
                            select(Attempt.id, Attempt.last_seq).where(Attempt.id.in_([p[1] for p in plan]))
                        ).all()
                    )
                    db.session.remove()
                if now == stored:
                    break
                stored = now
            for row, (_u, attempt_id, _s) in zip(table, plan, strict=True):
                row["start"] = stored[attempt_id]
        app.extensions["lms.db"].engine.dispose()
    # Saves still in flight when a run ends may be stored without wrk counting them: stored >= acked.
    lost = max(0, sent - sum(row["start"] for row in table))
    return {"pair": pair, "lost": lost, "sent": sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
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
        course_id = course.id

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

    kind = url.split("://")[0].split("+")[0]
    print(f"database: {kind}; {n} requests each, in-process")
    print(f"/healthz: {health_rate:.0f} req/s; autosave: {save_rate:.0f} req/s")
    print(f"autosave throughput = {save_rate / health_rate:.0%} of /healthz")
    print(f"SQL statements per autosave: {min(per_save)}–{max(per_save)} ({'; '.join(save_statements)})")
    print(f"SQL statements per submit of a {len(snapshot)}-question attempt: {per_submit}")

    conc = concurrent_http(app, url, tmp, course_id, args.learners, args.seconds, args.rounds)
    p = conc["pair"]
    print(
        f"over HTTP, gunicorn {' '.join(GUNICORN_ARGS)}, {args.learners} learners saving at once "
        f"({args.rounds} rounds of {args.seconds:g} s, paired with /healthz at the same concurrency; {load_note()}):"
    )
    print(
        f"  autosave {p.median('rps'):6.0f} req/s vs /healthz {p.median('rps', 'base'):6.0f} req/s"
        f" = {p.ratio:6.1%} of /healthz;  CPU share {p.cpu_ratio:6.1%}"
        f" ({p.median('cpu_per_request') * 1000:.1f} vs {p.median('cpu_per_request', 'base') * 1000:.2f} ms CPU/request);"
        f"  p50 {p.median('p50_ms'):.0f} ms, p99 {p.median('p99_ms'):.0f} ms"
    )
    print(f"  {conc['sent']} saves acknowledged, {conc['lost']} missing from the database afterwards")
    emit(
        {
            "ratios": {
                f"{kind} autosave in-process / healthz": round(save_rate / health_rate, 4),
                f"{kind} autosave concurrent / healthz": round(p.ratio, 4),
                f"{kind} autosave concurrent CPU share": round(p.cpu_ratio, 4),
            },
            "counts": {
                f"{kind} SQL per autosave (max)": max(per_save),
                f"{kind} SQL per submit": per_submit,
                f"{kind} autosaves lost": conc["lost"],
            },
            "figures": {f"{kind} autosave concurrent p99 ms": round(p.median("p99_ms"))},
        }
    )


if __name__ == "__main__":
    main()
