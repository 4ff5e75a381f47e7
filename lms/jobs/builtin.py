"""Jobs every installation has: e-mail and the cleanup of expired job files."""

from __future__ import annotations

from typing import Any

from lms.jobs.core import PermanentJobError, job, periodic
from lms.jobs.files import delete_expired


@job("mail.send", max_attempts=8, priority=10)
def send_mail_job(
    ctx: Any,
    *,
    to: str,
    subject: str,
    body: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Send one e-mail; SMTP errors are retried with back-off. Without SMTP configured nothing is sent."""
    from lms.core.mail import deliver, mail_configured

    if not mail_configured():
        return {"sent": False}
    if not to:
        raise PermanentJobError("no recipient address")
    deliver(to, subject, body, html=html, headers=headers)  # raises on SMTP/network errors → retried
    return {"sent": True}


@job("jobs.cleanup", max_attempts=3)
def cleanup_job(ctx: Any) -> dict[str, Any]:
    """Delete job files past their expiry (exports, ZIPs), and finished jobs older than JOB_KEEP_DAYS."""
    import datetime as dt

    from flask import current_app
    from sqlalchemy import delete, select

    from lms.db import utcnow
    from lms.jobs.models import Job, JobFile, JobStatus

    deleted = delete_expired(ctx.session)
    before = utcnow() - dt.timedelta(days=int(current_app.config.get("JOB_KEEP_DAYS", 14)))
    old = (
        delete(Job)
        .where(Job.status == JobStatus.DONE, Job.finished_at < before)
        .where(~Job.id.in_(select(JobFile.job_id)))
        .execution_options(synchronize_session=False)
    )
    removed = ctx.session.execute(old).rowcount
    return {"deleted": deleted, "jobs_removed": removed}


periodic("jobs.cleanup", minute="17")


def queue_mail(
    session: Any,
    to: str,
    subject: str,
    body: str,
    *,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    key: str | None = None,
    by: Any = None,
) -> bool:
    """Queue an e-mail as a background job (sent after commit, retried); False when SMTP is off.

    ``html`` adds an HTML alternative to the plain-text ``body``; ``headers`` extra header fields;
    ``key`` makes it idempotent (a second call with the same key queues nothing new).
    """
    from lms.core.mail import mail_configured
    from lms.jobs.core import enqueue

    if not mail_configured() or not to:
        return False
    extra: dict[str, Any] = {k: v for k, v in (("html", html), ("headers", headers)) if v}
    enqueue(session, "mail.send", to=to, subject=subject, body=body, key=key, by=by, **extra)
    return True


def queue_mails(session: Any, messages: list[tuple[str, dict[str, Any]]]) -> int:
    """``queue_mail`` for many messages as (key, {to, subject, body, html?, headers?}) pairs, in a
    constant number of statements; returns how many were queued (0 when SMTP is off)."""
    from lms.core.mail import mail_configured
    from lms.jobs.core import enqueue_many

    messages = [(key, m) for key, m in messages if m.get("to")]
    if not mail_configured() or not messages:
        return 0
    enqueue_many(session, "mail.send", messages)
    return len(messages)
