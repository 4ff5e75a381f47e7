"""Throughput of the course page and the lesson page as a share of /healthz.

Builds a throw-away SQLite database (demo province, the example course, the
learner `hocvien` enrolled), starts gunicorn on 127.0.0.1, logs in, then hits
each URL with the same small threaded load generator for a fixed time and
prints requests per second and the ratio to /healthz. Bounded: about 20 s.

    python benchmarks/pages.py [--seconds 4] [--threads 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def prepare(tmp: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "LMS_DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "LMS_INSTANCE_PATH": str(tmp / "instance"),
        "LMS_SECRET_KEY": "benchmark-only-secret",
        "LMS_ENV": "development",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "lms"]
    for args in (
        ["db", "upgrade"],
        ["demo-data", "--learners-per-unit", "1"],
        ["courses", "import", "courses/_example/vi-du"],
    ):
        subprocess.run([*flask, *args], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
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
        return resp.status, text, dict(resp.getheaders())

    def login(self, username: str, password: str) -> None:
        _status, page, _h = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _t, _h = self.request(
            "POST", "/login", urlencode({"csrf_token": token, "login": username, "password": password})
        )
        assert status == 302, status

    def enrol(self, slug: str) -> None:
        _s, page, _h = self.request("GET", f"/courses/{slug}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.request("POST", f"/courses/{slug}/enrol", urlencode({"csrf_token": token}))


def hammer(port: int, path: str, cookies: dict[str, str], seconds: float, threads: int) -> float:
    """Requests per second for path (each thread keeps one connection open)."""
    stop = time.perf_counter() + seconds
    counts = [0] * threads
    errors: list[str] = []
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop:
            conn.request("GET", path, headers={"Cookie": cookie})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                errors.append(f"{path}: HTTP {resp.status}")
                return
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            counts[i] += 1
        conn.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise SystemExit(errors[0])
    return sum(counts) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = prepare(tmp)
        port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(
            [str(gunicorn), "-w", str(args.workers), "--threads", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            client = Client(port)
            for _ in range(100):
                try:
                    client.request("GET", "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            client.login("hocvien", "hocvien@2026")
            client.enrol("vi-du")
            pages = {
                "/healthz": "/healthz",
                "course page": "/courses/vi-du",
                "lesson page": "/courses/vi-du/learn/01-bat-dau/01-gioi-thieu",
            }
            client.request("GET", pages["lesson page"])  # the one "last lesson" write happens here
            results = {}
            for name, path in pages.items():
                results[name] = hammer(port, path, client.cookies, args.seconds, args.threads)
            base = results["/healthz"]
            print(f"{args.threads} client threads, {args.seconds:g} s per URL, gunicorn -w {args.workers}")
            for name, rps in results.items():
                print(f"  {name:<12} {rps:8.1f} req/s   {rps / base:6.1%} of /healthz")
        finally:
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
