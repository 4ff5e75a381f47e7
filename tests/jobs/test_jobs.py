"""Jobs in the test transaction: enqueue after commit, retries with back-off, failures, pages."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from sqlalchemy import select

from lms.auth.models import Role
from lms.db import utcnow
from lms.jobs import PermanentJobError, enqueue, job, run_queued
from lms.jobs.core import HANDLERS, backoff_seconds, run_job, sweep
from lms.jobs.files import delete_expired, store_file
from lms.jobs.models import Job, JobFile, JobStatus

CALLS: list[dict[str, Any]] = []


@job("tests.flaky", max_attempts=3)
def flaky(ctx: Any, *, fail_times: int, permanent: bool = False) -> dict[str, Any]:
    CALLS.append({"attempt": ctx.job.attempts})
    if permanent:
        raise PermanentJobError("the input can never work")
    if ctx.job.attempts <= fail_times:
        raise RuntimeError(f"SMTP server unreachable (attempt {ctx.job.attempts})")
    return {"ok": True}


def test_enqueue_writes_a_row_in_the_callers_transaction(app: Any, session: Any, make_user: Any) -> None:
    user = make_user()
    first = enqueue(session, "tests.flaky", fail_times=0, by=user, key="k-1")
    again = enqueue(session, "tests.flaky", fail_times=0, key="k-1")
    assert again.id == first.id  # same key, same job
    assert first.status == JobStatus.QUEUED
    assert first.requested_by_id == user.id
    assert first.args == {"fail_times": 0}
    session.rollback()  # the caller's transaction rolls back: no job either
    assert session.scalar(select(Job).where(Job.key == "k-1")) is None


def test_unknown_kinds_are_refused(session: Any) -> None:
    import pytest

    with pytest.raises(ValueError, match="unknown job kind"):
        enqueue(session, "tests.no-such-job")


def run(app: Any, job_id: int) -> str:
    with app.app_context():
        return run_job(job_id)


def test_a_failing_job_is_retried_with_growing_delays_then_succeeds(app: Any, session: Any) -> None:
    CALLS.clear()
    row = enqueue(session, "tests.flaky", fail_times=2)
    assert run(app, row.id) == JobStatus.RETRYING
    session.refresh(row)
    first_wait = row.run_after - row.heartbeat_at
    assert "SMTP server unreachable (attempt 1)" in row.error
    assert run(app, row.id) == JobStatus.RETRYING
    session.refresh(row)
    second_wait = row.run_after - row.heartbeat_at
    assert second_wait > first_wait  # back-off doubles
    with app.app_context():
        assert backoff_seconds(2) == 2 * backoff_seconds(1)
    assert run(app, row.id) == JobStatus.DONE
    assert run(app, row.id) == "skipped"  # a duplicate message does nothing
    session.refresh(row)
    assert (row.status, row.attempts, row.error, row.result) == (JobStatus.DONE, 3, None, {"ok": True})
    assert [c["attempt"] for c in CALLS] == [1, 2, 3]


def test_out_of_attempts_or_permanent_errors_fail_and_admins_retry(
    app: Any, session: Any, make_user: Any, login_as: Any
) -> None:
    tired = enqueue(session, "tests.flaky", fail_times=99)
    bad = enqueue(session, "tests.flaky", fail_times=0, permanent=True)
    with app.app_context():
        assert run_queued(kinds=["tests.flaky"]) == 4  # 3 attempts + 1
    session.refresh(tired)
    session.refresh(bad)
    assert (tired.status, tired.attempts) == (JobStatus.FAILED, 3)
    assert (bad.status, bad.attempts) == (JobStatus.FAILED, 1)

    admin = make_user(Role.ADMIN.value)
    client = login_as(admin)
    html = client.get("/admin/jobs?status=failed").get_data(as_text=True)
    assert "SMTP server unreachable (attempt 3)" in html
    assert "the input can never work" in html
    assert f"/admin/jobs/{tired.id}/retry" in html

    resp = client.post(f"/admin/jobs/{tired.id}/retry")
    assert resp.status_code == 302
    session.refresh(tired)
    assert (tired.status, tired.attempts) == (JobStatus.QUEUED, 0)
    # Not for anyone else.
    hr = make_user(Role.HR.value)
    assert login_as(hr).get("/admin/jobs").status_code == 403
    assert login_as(hr).post(f"/admin/jobs/{bad.id}/retry").status_code == 403


def test_only_the_requester_sees_and_downloads_the_result(
    app: Any, session: Any, make_user: Any, login_as: Any
) -> None:
    asker, other, admin = make_user(Role.HR.value), make_user(Role.HR.value), make_user(Role.ADMIN.value)
    row = enqueue(session, "jobs.cleanup", by=asker)
    client = login_as(asker)
    page = client.get(f"/jobs/{row.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page  # works without JavaScript
    assert "<progress" in page
    run(app, row.id)
    data = ("Họ tên;Đơn vị\n" * 100_000).encode()
    store_file(session, row, io.BytesIO(data), filename="nhân-sự.csv", mimetype="text/csv")
    page = client.get(f"/jobs/{row.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page
    resp = client.get(f"/jobs/{row.id}/download")
    assert resp.status_code == 200
    assert resp.data == data  # several 1 MiB chunks, in order
    assert "filename*=UTF-8''nh%C3%A2n-s%E1%BB%B1.csv" in resp.headers["Content-Disposition"]
    for someone in (other, admin):
        assert login_as(someone).get(f"/jobs/{row.id}").status_code == 403
        assert login_as(someone).get(f"/jobs/{row.id}/download").status_code == 403
    assert login_as(asker).get("/jobs/999999").status_code == 404


def test_expired_files_are_deleted_by_the_cleanup_job(app: Any, session: Any, make_user: Any) -> None:
    row = enqueue(session, "jobs.cleanup", by=make_user())
    store_file(session, row, io.BytesIO(b"x"), filename="a.csv", mimetype="text/csv")
    stored = session.get(JobFile, row.id)
    stored.expires_at = utcnow() - dt.timedelta(minutes=1)
    session.flush()
    cleanup = enqueue(session, "jobs.cleanup")
    assert run(app, cleanup.id) == JobStatus.DONE
    session.refresh(cleanup)
    assert cleanup.result == {"deleted": 1, "jobs_removed": 0}
    session.expire_all()
    assert session.get(JobFile, row.id) is None
    assert delete_expired(session) == 0


def test_sweeper_pushes_lost_jobs_and_releases_dead_consumers(app: Any, session: Any) -> None:
    lost = enqueue(session, "tests.flaky", fail_times=0)
    lost.enqueued_at = None  # the push failed (queue down)
    stuck = enqueue(session, "tests.flaky", fail_times=0)
    stuck.status = JobStatus.RUNNING
    stuck.attempts = 1
    stuck.worker = "otherhost:1"
    stuck.heartbeat_at = utcnow() - dt.timedelta(hours=1)
    session.flush()
    own = session()  # the test's session object (another app context has its own)
    with app.app_context():
        counts = sweep(own)
    assert counts == {"pushed": 1, "released": 1, "failed": 0}
    assert lost.enqueued_at is not None
    assert stuck.status == JobStatus.QUEUED


def test_every_registered_kind_has_a_label_or_is_internal() -> None:
    assert {"mail.send", "jobs.cleanup", "certificates.render"} <= set(HANDLERS.keys())
