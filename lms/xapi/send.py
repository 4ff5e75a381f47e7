"""The ``xapi.send`` job: pending statements to the LRS in batches, retried with back-off (decision 1721).

``POST {LMS_XAPI_ENDPOINT}/statements`` with a JSON array, HTTP Basic auth (LMS_XAPI_KEY /
LMS_XAPI_SECRET) and ``X-Experience-API-Version: 1.0.3``. Statement ids are fixed at creation, so a
batch sent twice (a timeout after the LRS stored it) is harmless: the LRS keeps one of each.

* 200/204: the batch is marked sent (committed per batch, so a later failure keeps what got through).
* network error, 401/403/408/429, 5xx: the batch's ``tries``/``last_error`` are recorded and the job
  raises, so the queue retries it with its back-off; the periodic run and the next event retry later.
* a refusal (400, 409, 413, 422, other 4xx) of a batch: the batch is sent one statement at a time; a statement the LRS refuses
  on its own is marked ``rejected`` with the LRS's answer (shown on /admin/xapi), the rest go on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests
from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lms.db import utcnow
from lms.jobs import job
from lms.xapi.models import OutboxStatus, XapiStatement
from lms.xapi.services import PRUNE, SEND
from lms.xapi.statements import VERSION

RETRY_STATUSES = {401, 403, 408, 429}


class LrsUnavailableError(Exception):
    """The LRS could not take the batch now; the job retries later."""


def statements_url() -> str:
    return str(current_app.config["XAPI_ENDPOINT"]).rstrip("/") + "/statements"


def _post(body: Any) -> requests.Response:
    cfg = current_app.config
    auth = (cfg.get("XAPI_KEY") or "", cfg.get("XAPI_SECRET") or "")
    timeout = float(cfg.get("XAPI_TIMEOUT_SECONDS") or 10)
    try:
        return requests.post(
            statements_url(),
            json=body,
            auth=auth if auth[0] else None,
            headers={"X-Experience-API-Version": VERSION},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise LrsUnavailableError(f"{type(exc).__name__}: {exc}") from exc


def _answer(response: requests.Response) -> str:
    return f"HTTP {response.status_code}: {response.text[:500]}"


def _refused(response: requests.Response) -> bool:
    """The LRS refuses the content (retrying the same statements cannot help)."""
    return response.status_code in {400, 409, 413} or (
        400 <= response.status_code < 500 and response.status_code not in RETRY_STATUSES
    )


def send_batch(session: Session, rows: list[XapiStatement]) -> int:
    """Send one batch; returns how many the LRS now holds. Raises LrsUnavailableError to retry later."""
    response = _post([row.statement for row in rows])
    now = utcnow()
    if response.status_code in (200, 204):
        for row in rows:
            row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, ""
        return len(rows)
    if not _refused(response):
        raise LrsUnavailableError(_answer(response))
    # One statement of the batch is refused: find it by sending them one by one.
    held = 0
    for row in rows:
        single = _post(row.statement) if len(rows) > 1 else response
        if single.status_code in (200, 204):
            row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, ""
            held += 1
        elif _refused(single):
            row.status, row.tries, row.last_error = OutboxStatus.REJECTED, row.tries + 1, _answer(single)
        else:
            raise LrsUnavailableError(_answer(single))
    return held


@job(SEND, max_attempts=8)
def send_job(ctx: Any, *, max_batches: int = 40) -> dict[str, Any]:
    """Send pending statements, oldest first, ``LMS_XAPI_BATCH_SIZE`` at a time."""
    if not current_app.config.get("XAPI_ENDPOINT"):
        return {"sent": 0, "configured": False}
    session: Session = ctx.session
    size = int(current_app.config.get("XAPI_BATCH_SIZE", 50))
    sent = 0
    for _ in range(max_batches):
        rows = list(
            session.scalars(
                select(XapiStatement)
                .where(XapiStatement.status == OutboxStatus.PENDING)
                .order_by(XapiStatement.id)
                .limit(size)
            )
        )
        if not rows:
            break
        try:
            sent += send_batch(session, rows)
        except LrsUnavailableError as exc:
            session.rollback()
            session.execute(
                update(XapiStatement)
                .where(XapiStatement.id.in_([r.id for r in rows]))
                .values(tries=XapiStatement.tries + 1, last_error=str(exc)[:2000])
                .execution_options(synchronize_session=False)
            )
            session.commit()  # the failure stays visible; the job itself is retried with back-off
            raise
        session.commit()  # what got through stays sent whatever happens to the next batch
    else:
        from lms.xapi.services import trigger_send

        trigger_send(session)  # more than one run's worth: the next run picks up the rest
    return {"sent": sent}


def prune_sent(session: Session, *, keep_days: int, now: dt.datetime | None = None) -> int:
    """Delete statements the LRS has held for more than ``keep_days`` days; pending and refused stay.

    The LRS is the record; the outbox only has to hold what is not delivered yet. ``lms xapi replay``
    rebuilds older statements with the same ids if an LRS ever needs them again.
    """
    limit = (now or utcnow()) - dt.timedelta(days=keep_days)
    result = session.execute(
        delete(XapiStatement)
        .where(XapiStatement.status == OutboxStatus.SENT, XapiStatement.sent_at < limit)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@job(PRUNE)
def prune_job(ctx: Any) -> dict[str, Any]:
    """Daily: drop delivered statements older than ``LMS_XAPI_KEEP_SENT_DAYS`` (default 30)."""
    keep = int(current_app.config.get("XAPI_KEEP_SENT_DAYS", 30))
    return {"deleted": prune_sent(ctx.session, keep_days=keep)}
