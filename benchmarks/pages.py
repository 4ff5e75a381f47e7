"""Signed-in learner pages as a share of /healthz, measured from outside with wrk.

Builds a throw-away database (demo province, the example course, the learner `hocvien`
enrolled) — SQLite in a temporary folder, or LMS_BENCH_DATABASE_URL (PostgreSQL; emptied) —
serves it with gunicorn exactly as the README's production section does (-w 4 --threads 2),
and for each page runs wrk on /healthz and on the page back to back, ROUNDS times, alternating.
Prints, per page, the median of the paired ratios:

  * throughput share = page req/s ÷ /healthz req/s (what the issue's goals are stated in);
  * CPU share = /healthz server CPU per request ÷ page server CPU per request (gunicorn master +
    workers, from /proc; what the page would reach if the machine were the app's alone);
  * /healthz's own rate, so a baseline capped by the machine or the load generator shows;
  * SQL statements per page (counted in-process on the same database).

wrk (C, epoll) stays far from being the bottleneck: one thread drives ~2,000+ req/s of /healthz.
The machine may be shared: runs are short (3 s) and interleaved so load slows both sides alike.

    python benchmarks/pages.py [--seconds 3] [--rounds 3] [--connections 16]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import GUNICORN_ARGS, Pair, bench_env, emit, flask_cli, gunicorn, load_note, wrk

PAGES = {
    "course": "/courses/vi-du",
    "lesson": "/courses/vi-du/learn/01-bat-dau/01-gioi-thieu",
    "catalogue": "/courses/",
    "dashboard": "/",
}


def prepare(tmp: Path) -> dict[str, str]:
    url = os.environ.get("LMS_BENCH_DATABASE_URL")
    if url:
        from tests.conftest import reset_database

        reset_database(url)
    env = bench_env(tmp, url)
    # As in production: the login limiter's per-request check runs (pages have no limits; /healthz is
    # exempt). Only one login happens here, far below any limit.
    env["LMS_RATELIMIT_ENABLED"] = "1"
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "demo-data", "--learners-per-unit", "1")
    flask_cli(env, "courses", "import", "courses/_example/vi-du")
    return env


class Browser:
    """Just enough of a browser to sign in and enrol (cookies, CSRF token)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        conn.close()
        return resp.status, text

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def post_form(self, path: str, page: str, **fields: str) -> int:
        _s, html = self.request("GET", page)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        status, _t = self.request("POST", path, urlencode({"csrf_token": token, **fields}))
        return status

    def login(self, username: str, password: str) -> None:
        status = self.post_form("/login", "/login", login=username, password=password)
        assert status == 302, status


def statement_counts(env: dict[str, str], username: str) -> dict[str, int]:
    """SQL statements per page for the signed-in learner (second request: caches warm)."""
    from sqlalchemy import event, select

    from lms import create_app
    from lms.auth.models import User
    from lms.db import db

    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URL=env["LMS_DATABASE_URL"],
        INSTANCE_PATH=env["LMS_INSTANCE_PATH"],
    )
    client = app.test_client()
    with app.app_context():
        ident = db.session.scalars(select(User).where(User.username == username)).one().get_id()
        db.session.remove()
    with client.session_transaction() as sess:
        sess["_user_id"] = ident
        sess["_fresh"] = True
    engine = app.extensions["lms.db"].engine
    counts: dict[str, int] = {}
    seen = [0]

    def count(*_a: object) -> None:
        seen[0] += 1

    for name, path in {**PAGES, "/healthz": "/healthz"}.items():
        if name == "/healthz":
            client = app.test_client()  # no session cookie, as a load balancer asks it
        client.get(path)
        event.listen(engine, "before_cursor_execute", count)
        seen[0] = 0
        status = client.get(path).status_code
        event.remove(engine, "before_cursor_execute", count)
        assert status == 200, (path, status)
        counts[name] = seen[0]
    engine.dispose()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--pages", default=",".join(PAGES), help="comma-separated subset of " + ",".join(PAGES)
    )
    args = parser.parse_args()
    names = [n for n in args.pages.split(",") if n]
    with tempfile.TemporaryDirectory() as tmp_name:
        env = prepare(Path(tmp_name))
        with gunicorn(env) as server:
            browser = Browser(server.port)
            browser.login("hocvien", "hocvien@2026")
            browser.post_form("/courses/vi-du/enrol", "/courses/vi-du")
            browser.request("GET", PAGES["lesson"])  # the one "last lesson" write happens here
            counts = statement_counts(env, "hocvien")
            headers = {"Cookie": browser.cookie}
            run = {"seconds": 1, "connections": args.connections}
            wrk(server, "/healthz", **run)  # warm every worker
            for n in names:
                wrk(server, PAGES[n], headers=headers, **run)
            run["seconds"] = args.seconds
            pairs = {n: Pair(n, [], []) for n in names}
            for _ in range(args.rounds):
                for n in names:
                    # /healthz as a load balancer asks it: no session cookie (with one, it loads the user).
                    pairs[n].base.append(wrk(server, "/healthz", **run))
                    pairs[n].page.append(wrk(server, PAGES[n], headers=headers, **run))
    db = (os.environ.get("LMS_BENCH_DATABASE_URL") or "sqlite").split(":", 1)[0]
    print(
        f"gunicorn {' '.join(GUNICORN_ARGS)} on {db}; wrk -c{args.connections}, {args.seconds:g} s per run, "
        f"{args.rounds} rounds of (/healthz, page) back to back; medians; {load_note()}"
    )
    print(f"  /healthz (no session cookie): {counts['/healthz']} SQL statements")
    result: dict[str, dict] = {"ratios": {}, "counts": {}, "figures": {}}
    for n, p in pairs.items():
        print(
            f"  {n:<10} {p.median('rps'):7.0f} req/s vs /healthz {p.median('rps', 'base'):6.0f} req/s"
            f"  = {p.ratio:6.1%} of /healthz;  CPU share {p.cpu_ratio:6.1%}"
            f" ({p.median('cpu_per_request') * 1000:.1f} vs {p.median('cpu_per_request', 'base') * 1000:.2f}"
            f" ms CPU/request);  p50 {p.median('p50_ms'):.0f} ms;  {counts[n]} SQL"
        )
        result["ratios"][f"{db} {n} / healthz"] = round(p.ratio, 4)
        result["ratios"][f"{db} {n} CPU share"] = round(p.cpu_ratio, 4)
        result["counts"][f"{db} {n} SQL"] = counts[n]
        result["figures"][f"{db} healthz req/s (paired with {n})"] = round(p.median("rps", "base"))
    print("  goal (issue 19): course and lesson pages >= 15% of /healthz")
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
