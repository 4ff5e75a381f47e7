"""Fault battery fixtures: a PRIVATE PostgreSQL (own data directory and port) and gunicorn.

The battery restarts its database on purpose, so it never touches the shared cluster on 5432:
``initdb`` makes a throw-away cluster in a temporary directory, started and stopped by these
fixtures (as the ``postgres`` user when running as root, as in CI). Run it with
``LMS_TEST_FAULTS=1 .venv/bin/python -m pytest tests/faults -m slow -s`` (``.ci/run`` does).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# Not part of `make test` (it takes minutes and restarts a database): `.ci/run` sets LMS_TEST_FAULTS=1.
collect_ignore_glob = [] if os.environ.get("LMS_TEST_FAULTS") else ["test_*.py"]

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("LMS_FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """A PostgreSQL cluster of our own: start, stop, restart it at will."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "data"
        self.port = free_port()
        self.log = base / "postgres.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(base, "postgres", "postgres")
        self._run(
            PG_BIN / "initdb", "-D", str(self.data), "-U", "lms", "-A", "trust", "--no-sync", "-E", "UTF8"
        )
        self.start()
        self._run(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "lms", "lms_faults")
        self.url = f"postgresql://lms@127.0.0.1:{self.port}/lms_faults"

    def _run(self, *cmd: object) -> None:
        args = [str(c) for c in cmd]
        if self.as_postgres:
            args = ["runuser", "-u", "postgres", "--", *args]
        subprocess.run(args, check=True, capture_output=True, cwd=self.base, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c max_connections=100"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    base = Path(tempfile.mkdtemp(prefix="lms-faults-pg-"))
    pg = PrivatePostgres(base)
    try:
        yield pg
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            pg.stop()
        shutil.rmtree(base, ignore_errors=True)


def app_env(url: str, instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LMS_ENV": "production",
        "LMS_DATABASE_URL": url,
        "LMS_INSTANCE_PATH": str(instance),
        "LMS_SECRET_KEY": "fault-battery-only",
        "LMS_SECURE_COOKIES": "0",
        "LMS_RATELIMIT_ENABLED": "0",  # 200 learners share 127.0.0.1
    }


class Gunicorn:
    def __init__(self, env: dict[str, str], log: Path, workers: int = 2, threads: int = 8) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("wb")  # a file, not a pipe: a full pipe would stall the server
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
             "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log,
        )  # fmt: skip
        import requests

        for _ in range(300):
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def close(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
