"""Real counterparts for the job queue: committed databases, huey consumers, a redis-server.

* ``committed_app(redis=False)`` — an app on its own migrated database that commits for
  real (a SQLite file; with LMS_TEST_DATABASE_URL, a fresh PostgreSQL database
  ``<name>_jobs`` next to it), SqliteHuey in its instance folder or RedisHuey.
* ``redis_url`` — a ``redis-server`` started on a free 127.0.0.1 port for the session
  (skipped when redis-server is not installed, unless LMS_TEST_REQUIRE_REDIS=1: CI).
* ``consumer_thread(app)`` / ``consumer_process(app)`` — a huey consumer in this process
  (a thread) or as ``flask --app wsgi lms jobs consumer`` (a child process).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.certificates.signing import make_dev_keys
from lms.core.migrate import alembic_config
from lms.db import make_engine

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.05) -> Any:
    """Poll check() until it returns something truthy (not a timing assertion: a generous bound)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout}s for {check.__name__}")
        time.sleep(interval)


class RedisServer:
    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, timeout=20)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        if os.environ.get("LMS_TEST_REQUIRE_REDIS"):
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        pytest.skip("redis-server is not installed; .ci/run installs it")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def job_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("jobkeys")
    make_dev_keys(directory, org_name="UBND tỉnh Quảng Ninh", issuer_name="Sở KH&CN (test)")
    return directory


def _fresh_database(tmp: Path) -> tuple[str, Callable[[], None]]:
    base = os.environ.get("LMS_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp / 'jobs.sqlite3'}", lambda: None
    url = make_url(base)
    name = f"{url.database}_jobs"
    admin = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def cleanup() -> None:
        drop()
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), cleanup


def app_settings(tmp: Path, keys: Path, url: str, redis_url: str = "") -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp / "instance"),
        "SIGNING_P12": str(keys / "signing.p12"),
        "SIGNING_P12_PASSPHRASE": (keys / "passphrase").read_text(),
        "SIGNING_TRUST_ROOTS": str(keys / "ca.pem"),
        "REDIS_URL": redis_url,
        # In-process apps keep limits in memory: Flask-Limiter's storage is process-wide, and the
        # rest of the suite must not inherit a Redis that goes away (shared limits are tested with
        # separate gunicorn processes in test_shared_state.py).
        "RATELIMIT_STORAGE_URI": "memory://",
        "JOB_RETRY_BASE_SECONDS": 0.2,
    }


def app_env(app: Flask) -> dict[str, str]:
    """Environment for a child process (consumer, gunicorn) running the same app."""
    cfg = app.config
    env = dict(os.environ)
    env.pop("LMS_TEST_DATABASE_URL", None)
    env.update(
        LMS_ENV="development",
        LMS_DATABASE_URL=cfg["SQLALCHEMY_DATABASE_URL"],
        LMS_INSTANCE_PATH=cfg["INSTANCE_PATH"],
        LMS_SECRET_KEY="test-secret-key",
        LMS_SIGNING_P12=cfg["SIGNING_P12"],
        LMS_SIGNING_P12_PASSPHRASE=cfg["SIGNING_P12_PASSPHRASE"],
        LMS_SIGNING_TRUST_ROOTS=cfg["SIGNING_TRUST_ROOTS"],
        LMS_REDIS_URL=cfg.get("REDIS_URL") or "",
        LMS_PUBLIC_URL=cfg["PUBLIC_URL"],
        LMS_JOB_RETRY_BASE_SECONDS="0.2",
    )
    return env


@pytest.fixture
def committed_app(
    tmp_path: Path, job_keys: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Flask]]:
    """committed_app(redis_url="") -> a Flask app on a fresh, migrated database that really commits."""
    made: list[tuple[Flask, Callable[[], None]]] = []

    def make(redis_url: str = "") -> Flask:
        url, cleanup = _fresh_database(tmp_path)
        command.upgrade(alembic_config(url), "head")
        app = create_app("testing", **app_settings(tmp_path, job_keys, url, redis_url))
        made.append((app, cleanup))
        return app

    try:
        yield make
    finally:
        for app, cleanup in made:
            app.extensions["lms.db"].engine.dispose()
            cleanup()


@contextlib.contextmanager
def consumer_thread(app: Flask, workers: int = 1) -> Iterator[Any]:
    """A real huey consumer (scheduler + worker threads) inside this process."""
    consumer = app.extensions["lms.jobs"].consumer(workers=workers, in_thread=True)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)


def start_consumer_process(app: Flask, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "jobs", "consumer", *args],
        cwd=ROOT,
        env=app_env(app),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def consumer_process(app: Flask, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_consumer_process(app, *args)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
