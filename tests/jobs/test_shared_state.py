"""Several app processes on one Redis: shared login throttling; Redis down: the site keeps working.

Two gunicorn processes (separate instance folders) serve one committed database
and one redis-server; a third and fourth process are huey consumers.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from lms.auth.models import User
from lms.auth.services import hash_password
from lms.certificates.models import Certificate
from lms.db import db
from lms.jobs.models import Job, JobStatus
from tests.jobs.conftest import ROOT, RedisServer, app_env, consumer_process, free_port, wait_until
from tests.jobs.test_real_queue import complete_courses, read, rendered

PASSWORD = "mat-khau-dung-2026"


@contextlib.contextmanager
def gunicorn(app: Flask, instance: Path, **env: str) -> Iterator[str]:
    port = free_port()
    instance.mkdir(parents=True, exist_ok=True)
    environment = {**app_env(app), "LMS_INSTANCE_PATH": str(instance), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(up, timeout=60, interval=0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def try_login(base: str, username: str, password: str) -> int:
    """A fresh browser: GET the form (CSRF token), POST it; the status code."""
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    resp = browser.post(
        f"{base}/login",
        data={"csrf_token": token.group(1), "login": username, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    return resp.status_code


def add_user(app: Flask, username: str) -> None:
    with app.app_context():
        user = User(username=username, full_name="Phạm Minh Châu", password_hash=hash_password(PASSWORD))
        user.set_roles({"learner"})
        db.session.add(user)
        db.session.commit()


@pytest.fixture
def own_redis(tmp_path: Path, redis_server: Any) -> Iterator[RedisServer]:
    """A redis-server this test may stop and start (redis_server only checks it is installed)."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_login_throttle_is_shared_by_two_app_processes_and_survives_redis_going_away(
    committed_app: Any, own_redis: RedisServer, tmp_path: Path
) -> None:
    app = committed_app(own_redis.url)
    add_user(app, "chau")
    limit = {"LMS_LOGIN_FAILURE_LIMIT": "3 per 15 minutes"}
    with gunicorn(app, tmp_path / "a", **limit) as a, gunicorn(app, tmp_path / "b", **limit) as b:
        for _ in range(3):
            assert try_login(a, "chau", "sai-mat-khau") == 200  # wrong password, counted in Redis
        assert try_login(b, "chau", PASSWORD) == 429  # the other process knows
        assert try_login(a, "chau", PASSWORD) == 429

        own_redis.stop()  # Redis gone: pages still answer; limits fall back to each process's memory
        assert requests.get(f"{b}/healthz", timeout=10).status_code == 200
        assert try_login(b, "chau", "sai-mat-khau") == 200
        assert try_login(b, "chau", PASSWORD) in (302, 303)


def test_with_redis_down_completion_still_works_and_the_sweeper_queues_the_pdf_later(
    committed_app: Any, own_redis: RedisServer
) -> None:
    app = committed_app(own_redis.url)
    own_redis.stop()
    ids = complete_courses(app, 1)  # commits; pushing the job fails and is recorded
    job = read(app, lambda s: s.scalars(select(Job).where(Job.kind == "certificates.render")).one())
    assert job.status == JobStatus.QUEUED
    assert job.enqueued_at is None  # the sweeper will push it
    code = read(app, lambda s: s.get(Certificate, ids[0]).display_code)
    assert app.test_client().get(f"/verify/{code}").status_code == 200  # the certificate exists

    own_redis.start()  # same port: Redis is back, empty
    with consumer_process(app):  # its startup sweep (and the minute tick) pushes the job
        wait_until(lambda: rendered(app, ids), timeout=120)
    assert read(app, lambda s: s.get(Job, job.id).status) == JobStatus.DONE
