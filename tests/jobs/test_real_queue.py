"""Certificates through the real queue: huey consumers (thread or process), SQLite or Redis.

Each test uses its own committed database (see conftest): a completion commits
the certificate row and its render job; a consumer renders and signs it.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lms.auth.models import User
from lms.catalog.models import Course, Lesson, Module
from lms.certificates import services
from lms.certificates.models import Certificate, CertificateFile
from lms.certificates.signing import check_signature
from lms.db import db
from lms.jobs import job
from lms.jobs.models import Job, JobStatus
from lms.learning.services import complete_lesson, enroll_user
from lms.org.models import OrgUnit
from tests.jobs.conftest import consumer_process, consumer_thread, start_consumer_process, wait_until


def read(app: Flask, fn: Any) -> Any:
    """Run fn(session) in a read-only transaction (a GET request context: no write lock on SQLite)."""
    with app.test_request_context():
        try:
            return fn(db.session)
        finally:
            db.session.remove()


def complete_courses(app: Flask, people: int) -> list[int]:
    """people learners complete a one-lesson course through the learning services; commit. Cert ids."""
    with app.app_context():
        s = db.session
        unit = OrgUnit(code="J1", name="UBND xã Đồn Đạc", path="/1/")
        course = Course(slug="ky-so", title="Chữ ký số", status="published", estimated_hours=2,
                        require_quizzes=False, require_final_exam=False)  # fmt: skip
        module = Module(key="m1", title="Mô-đun 1")
        course.modules.append(module)
        s.add_all([unit, course])
        s.flush()
        module.lessons.append(Lesson(key="l1", title="Bài 1", course_id=course.id))
        s.flush()
        for n in range(people):
            user = User(
                username=f"hv{n}", full_name=f"Nguyễn Văn {n}", org_unit_id=unit.id, password_hash="x"
            )
            user.set_roles({"learner"})
            s.add(user)
            s.flush()
            complete_lesson(s, enroll_user(s, user, course), module.lessons[0])
        s.commit()
        return list(s.scalars(select(Certificate.id).order_by(Certificate.id)))


def rendered(app: Flask, ids: list[int]) -> bool:
    def count(s: Any) -> int:
        return s.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.id.in_(ids), Certificate.pdf_sha256.is_not(None)))  # fmt: skip

    return read(app, count) == len(ids)


def assert_one_genuine_pdf_each(app: Flask, ids: list[int]) -> None:
    def check(s: Any) -> None:
        files = s.execute(
            select(CertificateFile.certificate_id, func.count()).group_by(CertificateFile.certificate_id)
        )
        assert dict(files.all()) == dict.fromkeys(ids, 1)  # exactly one PDF per certificate
        for cert_id in ids:
            data = services.pdf_bytes(s, s.get(Certificate, cert_id))
            assert check_signature(data).genuine

    with app.app_context():
        check(db.session)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_completion_commits_the_row_and_a_consumer_renders_the_pdf(
    backend: str, committed_app: Any, request: pytest.FixtureRequest
) -> None:
    redis_url = request.getfixturevalue("redis_server").url if backend == "redis" else ""
    app = committed_app(redis_url)
    assert app.extensions["lms.jobs"].backend == backend
    ids = complete_courses(app, 2)
    assert len(ids) == 2
    # The verify page works as soon as the row exists, before any PDF.
    code = read(app, lambda s: s.get(Certificate, ids[0]).display_code)
    assert app.test_client().get(f"/verify/{code}").status_code == 200
    assert not rendered(app, ids)
    # One job per certificate (PDF and Open Badge) is on the real queue.
    assert app.extensions["lms.jobs"].pending_count() == 2

    from lms.certificates.models import CertificateBadge

    def badges() -> int:
        return read(app, lambda s: len(s.scalars(select(CertificateBadge.id)).all()))

    with consumer_thread(app):
        wait_until(lambda: rendered(app, ids) and badges() == 2)
    assert_one_genuine_pdf_each(app, ids)
    statuses = read(
        app, lambda s: list(s.scalars(select(Job.status).where(Job.kind == "certificates.render")))
    )
    assert statuses == [JobStatus.DONE, JobStatus.DONE]


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_sigkill_mid_render_then_restart_gives_exactly_one_signed_pdf(
    backend: str, committed_app: Any, request: pytest.FixtureRequest
) -> None:
    redis_url = request.getfixturevalue("redis_server").url if backend == "redis" else ""
    app = committed_app(redis_url)
    ids = complete_courses(app, 8)  # eight renders: eight chances to catch one mid-way on a busy machine

    def running_job(s: Any) -> tuple[int, int] | None:
        row = s.execute(
            select(Job.id, Job.args).where(Job.kind == "certificates.render", Job.status == JobStatus.RUNNING)
        ).first()
        return (row.id, row.args["certificate_id"]) if row else None

    killed = None
    for _ in range(5):  # catch a consumer in the middle of a render (usually the first try)
        proc = start_consumer_process(app)
        try:
            found = wait_until(
                lambda: read(app, running_job) or rendered(app, ids), timeout=120, interval=0.002
            )
            if isinstance(found, tuple):
                os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(30) if proc.poll() is not None or isinstance(found, tuple) else proc.terminate()
            proc.wait(30)
        if isinstance(found, tuple):
            job_id, cert_id = found
            job = read(app, lambda s, j=job_id: s.get(Job, j))
            pdf = read(app, lambda s, c=cert_id: s.get(Certificate, c).pdf_sha256)
            if job.status == JobStatus.RUNNING and pdf is None:  # killed mid-job, nothing stored
                killed = (job_id, cert_id)
                break
        if rendered(app, ids):
            break
    assert killed is not None, "never caught a consumer mid-render"

    # Restart: the new consumer's sweeper sees the dead consumer's job and runs it again.
    with consumer_process(app):
        wait_until(lambda: rendered(app, ids), timeout=180)
        wait_until(lambda: read(app, lambda s: s.get(Job, killed[0]).status == JobStatus.DONE), timeout=60)
    assert_one_genuine_pdf_each(app, ids)
    attempts = read(app, lambda s: s.get(Job, killed[0]).attempts)
    assert attempts == 2  # the killed attempt and the one that finished


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_job_runs_in_a_real_consumer_and_stores_its_file(committed_app: Any, fmt: str) -> None:
    """On a committed SQLite file: reading without the write lock, progress and storing must not deadlock."""
    from lms.jobs.models import JobFile
    from lms.reports.jobs import enqueue_export
    from lms.reports.queries import Filters

    app = committed_app()
    with app.app_context():
        s = db.session
        unit = OrgUnit(code="E1", name="UBND huyện Cô Tô", path="/7/")
        s.add(unit)
        s.flush()
        hr = User(username="hr-e", full_name="Nhân sự", scope_unit_id=unit.id, org_unit_id=unit.id)
        hr.set_roles({"hr"})
        s.add(hr)
        s.add_all(User(username=f"e{n}", full_name=f"Lê Thị {n}", org_unit_id=unit.id) for n in range(30))
        s.flush()
        job = enqueue_export(s, unit=unit, kind="people", fmt=fmt, filters=Filters(year=2026), by=hr)
        s.commit()
        job_id = job.id
    with consumer_thread(app):
        wait_until(lambda: read(app, lambda s: s.get(Job, job_id).finished), timeout=120)
    job = read(app, lambda s: s.get(Job, job_id))
    assert job.status == JobStatus.DONE, job.error
    assert job.result["rows"] == 31
    assert read(app, lambda s: s.get(JobFile, job_id).size) > 0


SEEN: dict[str, Any] = {}


@job("tests.reads_then_writes", max_attempts=1)
def reads_then_writes(ctx: Any) -> dict[str, Any]:
    """A handler shaped like the certificate render: a long read phase, then a short write."""
    import sqlite3

    from lms.db import read_only

    SEEN["transaction_open_at_start"] = ctx.session().in_transaction()
    with read_only():
        ctx.session.scalar(select(func.count(Job.id)))
        engine = ctx.session.get_bind()
        if engine.dialect.name == "sqlite":  # meanwhile another consumer must be able to write
            other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                SEEN["other_could_write"] = True
            except sqlite3.OperationalError as exc:
                SEEN["other_could_write"] = str(exc)
            finally:
                other.close()
        ctx.session.commit()
    return {"ok": True}


def test_a_job_reads_without_holding_the_write_lock(committed_app: Any) -> None:
    """Two consumers render side by side: the claim's write transaction is over before the handler runs
    (on SQLite it used to hold the write lock through the whole render, so consumers took turns)."""
    from lms.jobs import enqueue
    from lms.jobs.core import run_job

    app = committed_app()
    with app.app_context():
        row = enqueue(db.session, "tests.reads_then_writes")
        db.session.commit()
        SEEN.clear()
        assert run_job(row.id) == JobStatus.DONE
    assert SEEN["transaction_open_at_start"] is False
    if "other_could_write" in SEEN:
        assert SEEN["other_could_write"] is True
