"""Job registry, enqueueing, running, retrying and sweeping (no huey here; see queue.py).

A job is a registered handler plus a ``Job`` row::

    from lms.jobs import job, enqueue

    @job("notifications.mail", max_attempts=8)
    def send(ctx, *, to: str, subject: str, body: str) -> None:
        ...                      # ctx.session, ctx.progress(done, total), ctx.job

    enqueue(db.session, "notifications.mail", to=..., subject=..., body=..., by=current_user)
    db.session.commit()          # the message goes to the queue after this commit

Handlers must be idempotent: a job can run more than once (a consumer killed
mid-job, a message pushed twice by the sweeper). The runner commits the
handler's work and the "done" mark in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from flask import current_app, has_app_context
from sqlalchemy import CursorResult, and_, event, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.core.registry import Registry
from lms.db import db, utcnow, writing
from lms.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

PENDING = "lms.jobs.pending"  # session.info key: ids of jobs to push after commit


class PermanentJobError(Exception):
    """Raise from a handler when retrying cannot help (bad input): the job fails at once."""


@dataclass(frozen=True)
class Handler:
    kind: str
    fn: Callable[..., Any]
    max_attempts: int = 5
    priority: int = 0


HANDLERS: Registry[Handler] = Registry("jobs.handlers", "fn(ctx, **kwargs) run for jobs of a kind (@job).")


def job(
    kind: str, *, max_attempts: int = 5, priority: int = 0
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register fn(ctx, **kwargs) as the handler of jobs of this kind (higher priority runs first)."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        HANDLERS.add(Handler(kind, fn, max_attempts, priority), kind)
        return fn

    return decorator


# Human names of job kinds for the job pages (lazy_gettext strings); see register_label().
KIND_LABELS: Registry[Any] = Registry("jobs.kind_labels", "Human names of job kinds on the job pages.")


def register_label(kind: str, label: Any) -> None:
    KIND_LABELS.add(label, kind)


@dataclass(frozen=True)
class Periodic:
    kind: str
    minute: str = "*"
    hour: str = "*"
    day: str = "*"
    kwargs: dict[str, Any] = field(default_factory=dict)


PERIODIC: Registry[Periodic] = Registry("jobs.periodic", "Jobs enqueued on a cron schedule (periodic()).")


def periodic(kind: str, *, minute: str = "*", hour: str = "*", day: str = "*", **kwargs: Any) -> None:
    """Enqueue a job of this (registered) kind on a cron schedule (UTC), once per slot across consumers."""
    PERIODIC.add(Periodic(kind, minute, hour, day, kwargs), kind)


WARMUPS: Registry[Callable[[], None]] = Registry(
    "jobs.warmups", "fn() run once by a consumer before its first job (load fonts, stylesheets, keys)."
)


def register_warmup(fn: Callable[[], None]) -> None:
    """Run fn() (in an app context) when a consumer starts, so its first job costs what the others do."""
    WARMUPS.add(fn, f"{fn.__module__}.{fn.__qualname__}")


def warm_up() -> float:
    """Run every registered warm-up (errors are logged, not raised); returns the seconds it took."""
    import time

    t0 = time.perf_counter()
    for fn in WARMUPS.values():
        try:
            fn()
        except Exception:  # a warm-up is an optimisation: the job itself reports real errors
            log.exception("warm-up %s failed", fn)
    return time.perf_counter() - t0


# Enqueueing -----------------------------------------------------------------


def enqueue(
    session: Session,
    kind: str,
    /,
    *,
    by: Any = None,
    key: str | None = None,
    delay: float | None = None,
    return_to: str | None = None,
    **kwargs: Any,
) -> Job:
    """Add a job in the caller's transaction (flush only); it is queued when that transaction commits.

    ``key`` makes it idempotent: an existing job with the same key is returned
    (and queued again if it had failed). ``kwargs`` must be JSON values.
    ``return_to`` (a local URL) is the "Continue" link of the job page once the job is done.
    """
    handler = HANDLERS.get(kind)
    if handler is None:
        raise ValueError(f"unknown job kind {kind!r}")
    if key is not None:
        existing = session.scalar(select(Job).where(Job.key == key))
        if existing is not None:
            if existing.status == JobStatus.FAILED:
                _requeue(session, existing)
            return existing
    now = utcnow()
    new = Job(
        kind=kind,
        args={**kwargs, "_return_to": return_to} if return_to else kwargs,
        key=key,
        status=JobStatus.QUEUED,
        priority=handler.priority,
        max_attempts=handler.max_attempts,
        requested_by_id=getattr(by, "id", None),
        created_at=now,
        enqueued_at=now,
        run_after=now + dt.timedelta(seconds=delay) if delay else None,
    )
    try:
        with session.begin_nested():
            session.add(new)
            session.flush()
    except IntegrityError:  # the same key, enqueued concurrently
        found = session.scalar(select(Job).where(Job.key == key))
        if found is None:
            raise
        return found
    _schedule_push(session, new.id, delay)
    return new


def enqueue_many(
    session: Session, kind: str, items: Iterable[tuple[str | None, dict[str, Any]]], /, *, by: Any = None
) -> list[Job]:
    """``enqueue`` for many jobs of one kind, as (key, kwargs) pairs: a constant number of statements.

    One SELECT finds the keys already queued (failed ones are queued again), one batched
    INSERT adds the rest. Should another process add one of the same keys meanwhile, the
    batch is rolled back to its savepoint and the jobs are added one by one instead.
    """
    handler = HANDLERS.get(kind)
    if handler is None:
        raise ValueError(f"unknown job kind {kind!r}")
    items = list(items)
    keys = [key for key, _ in items if key is not None]
    existing: dict[str, Job] = {}
    if keys:
        existing = {j.key: j for j in session.scalars(select(Job).where(Job.key.in_(keys))) if j.key}
    out: list[Job] = []
    fresh: list[Job] = []
    now = utcnow()
    for key, kwargs in items:
        if key is not None and key in existing:
            if existing[key].status == JobStatus.FAILED:
                _requeue(session, existing[key])
            out.append(existing[key])
            continue
        row = Job(kind=kind, args=kwargs, key=key, status=JobStatus.QUEUED, priority=handler.priority,
                  max_attempts=handler.max_attempts, requested_by_id=getattr(by, "id", None),
                  created_at=now, enqueued_at=now)  # fmt: skip
        fresh.append(row)
        out.append(row)
    if not fresh:
        return out
    try:
        with session.begin_nested():
            if all(row.key is not None for row in fresh):  # executemany, read back by key (SQLite
                cols = ("kind", "args", "key", "status", "priority", "max_attempts", "requested_by_id",
                        "created_at", "enqueued_at")  # fmt: skip  # would insert row by row for ids)
                session.execute(insert(Job), [{c: getattr(row, c) for c in cols} for row in fresh])
                by_key = {
                    j.key: j for j in session.scalars(select(Job).where(Job.key.in_([r.key for r in fresh])))
                }
                out = [by_key.get(row.key, row) if row.key is not None else row for row in out]
                fresh = [by_key[row.key] for row in fresh if row.key is not None]
            else:
                session.add_all(fresh)
                session.flush()
    except IntegrityError:  # a key enqueued concurrently: one by one (each finds or adds its own)
        return [enqueue(session, kind, by=by, key=key, **kwargs) for key, kwargs in items]
    for row in fresh:
        _schedule_push(session, row.id, None)
    return out


def retry(session: Session, job_row: Job) -> None:
    """Queue a failed (or stuck) job again; an admin's "Retry" button. Flush only."""
    _requeue(session, job_row)


def _requeue(session: Session, job_row: Job) -> None:
    job_row.status = JobStatus.QUEUED
    job_row.attempts = 0
    job_row.finished_at = None
    job_row.run_after = None
    job_row.enqueued_at = utcnow()
    session.flush()
    _schedule_push(session, job_row.id, None)


def _schedule_push(session: Session, job_id: int, delay: float | None) -> None:
    session.info.setdefault(PENDING, []).append((job_id, delay))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A SAVEPOINT was released (SQLAlchemy fires after_commit for it too): the rows are not
        # committed yet, so nothing may be pushed (a second enqueue in one transaction did that).
        return
    pending = session.info.pop(PENDING, None)
    if not pending or not has_app_context():
        return
    queue = current_app.extensions.get("lms.jobs")
    if queue is None:
        return
    failed = [job_id for job_id, delay in pending if not queue.push(job_id, delay=delay)]
    if failed:
        _mark_not_enqueued(failed)


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():  # ROLLBACK TO SAVEPOINT: what the outer transaction queued stays
        return
    session.info.pop(PENDING, None)


def _mark_not_enqueued(ids: list[int]) -> None:
    """The queue refused: clear enqueued_at so the sweeper pushes these jobs when it is back."""
    try:
        with db.engine.begin() as conn:
            conn.execute(update(Job).where(Job.id.in_(ids)).values(enqueued_at=None))
    except Exception:  # the database is down too: the long requeue delay of the sweeper still covers it
        log.exception("could not mark jobs %s as not queued", ids)


def listen() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


# Running --------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


class JobContext:
    """What a handler gets: the session, its job row, and progress reporting."""

    def __init__(self, session: Session, job_row: Job) -> None:
        self.session = session
        self.job = job_row

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress (and a heartbeat), visible to the job page at once.

        Written in its own short transaction: call it while the handler reads (or between its
        commits), not while the handler's session holds uncommitted writes (SQLite would wait
        for them); then set ``ctx.job.progress_done`` instead.
        """
        values: dict[str, Any] = {"progress_done": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["progress_total"] = total
        stmt = update(Job).where(Job.id == self.job.id).values(**values)
        if self.session.bind is not None:  # tests: one connection, one transaction
            self.session.execute(stmt.execution_options(synchronize_session=False))
            return
        with writing(), db.engine.begin() as conn:  # its own short transaction, outside the handler's
            conn.execute(stmt)


def _dead_here(worker: str) -> bool:
    """Was the job claimed by a process of this host that has exited?"""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def backoff_seconds(attempts: int) -> float:
    base = float(current_app.config.get("JOB_RETRY_BASE_SECONDS", 10))
    return min(base * 2 ** max(attempts - 1, 0), 3600.0)


def run_job(job_id: int, *, worker: str | None = None) -> str:
    """Claim the job, run its handler, record the outcome. Returns the new status or "skipped".

    The claim is a conditional UPDATE: a job that is done, failed, or running
    with a fresh heartbeat is not run again (two consumers, duplicate messages).
    """
    session = db.session
    now = utcnow()
    lease = dt.timedelta(seconds=current_app.config.get("JOB_LEASE_SECONDS", 300))
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                or_(
                    Job.status.in_([JobStatus.QUEUED, JobStatus.RETRYING]),
                    and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < now - lease),
                ),
            )
            .values(
                status=JobStatus.RUNNING,
                attempts=Job.attempts + 1,
                started_at=now,
                heartbeat_at=now,
                worker=worker or worker_name(),
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    # Read the claimed row in the claim's own transaction, then end it: the handler must start with
    # no transaction open, or on SQLite its reads (e.g. a certificate render under read_only())
    # would run inside this write transaction and hold the write lock for the whole job, so two
    # consumers took turns instead of working side by side (objects stay loaded: expire_on_commit
    # is off).
    job_row = session.get(Job, job_id, populate_existing=True) if claimed == 1 else None
    session.commit()
    if job_row is None:
        return "skipped"
    handler = HANDLERS.get(job_row.kind)
    try:
        if handler is None:
            raise PermanentJobError(f"unknown job kind {job_row.kind!r}")
        kwargs = {k: v for k, v in (job_row.args or {}).items() if not k.startswith("_")}
        result = handler.fn(JobContext(session, job_row), **kwargs)
        job_row = session.get(Job, job_id) or job_row
        job_row.status = JobStatus.DONE
        job_row.finished_at = job_row.heartbeat_at = utcnow()
        job_row.error = None
        if isinstance(result, dict):
            job_row.result = result
        session.commit()
        return JobStatus.DONE
    except Exception as exc:
        session.rollback()
        log.warning("job %s (%s) failed: %s", job_id, job_row.kind, exc)
        return _record_failure(session, job_id, exc)


def _record_failure(session: Session, job_id: int, exc: Exception) -> str:
    job_row = session.get(Job, job_id, populate_existing=True)
    if job_row is None:
        return "skipped"
    job_row.error = "".join(traceback.format_exception(exc, limit=8))[-4000:]
    job_row.heartbeat_at = utcnow()
    if isinstance(exc, PermanentJobError) or job_row.attempts >= job_row.max_attempts:
        job_row.status = JobStatus.FAILED
        job_row.finished_at = utcnow()
        session.commit()
        return JobStatus.FAILED
    delay = backoff_seconds(job_row.attempts)
    job_row.status = JobStatus.RETRYING
    job_row.run_after = utcnow() + dt.timedelta(seconds=delay)
    job_row.enqueued_at = utcnow()
    _schedule_push(session, job_id, delay)
    session.commit()
    return JobStatus.RETRYING


def run_queued(
    session: Session | None = None, *, limit: int = 10_000, kinds: Iterable[str] | None = None
) -> int:
    """Run waiting jobs in this process, oldest first (CLI `lms jobs run`, tests). Returns how many ran."""
    session = session or db.session
    ran = 0
    while ran < limit:
        stmt = select(Job.id).where(Job.status.in_([JobStatus.QUEUED, JobStatus.RETRYING]))
        if kinds is not None:
            stmt = stmt.where(Job.kind.in_(list(kinds)))
        job_id = session.scalar(stmt.order_by(Job.priority.desc(), Job.id).limit(1))
        if job_id is None:
            break
        run_job(job_id)
        ran += 1
    return ran


# Sweeping -------------------------------------------------------------------


def sweep(session: Session) -> dict[str, int]:
    """Push again what the queue lost; release jobs whose consumer died. Flush only; the caller commits.

    * queued with ``enqueued_at`` NULL (the push failed, e.g. Redis down) or older
      than ``JOB_REQUEUE_SECONDS`` (the message was lost) → pushed again;
    * running with a heartbeat older than ``JOB_LEASE_SECONDS``, or claimed by a
      process of this host that no longer exists (consumer killed) → queued
      again, or failed when out of attempts;
    * retrying whose ``run_after`` is long past → pushed again.
    """
    cfg = current_app.config
    now = utcnow()
    lease = dt.timedelta(seconds=cfg.get("JOB_LEASE_SECONDS", 300))
    stale = now - dt.timedelta(seconds=cfg.get("JOB_REQUEUE_SECONDS", 1800))
    counts = {"pushed": 0, "released": 0, "failed": 0}
    waiting = session.scalars(
        select(Job).where(
            or_(
                and_(Job.status == JobStatus.QUEUED, or_(Job.enqueued_at.is_(None), Job.enqueued_at < stale)),
                and_(Job.status == JobStatus.RETRYING, Job.run_after < stale),
            )
        )
    ).all()
    for row in waiting:
        row.enqueued_at = now
        _schedule_push(session, row.id, None)
        counts["pushed"] += 1
    running = session.scalars(select(Job).where(Job.status == JobStatus.RUNNING)).all()
    dead = [
        row
        for row in running
        if (row.heartbeat_at is not None and row.heartbeat_at < now - lease) or _dead_here(row.worker)
    ]
    for row in dead:
        if row.attempts >= row.max_attempts:
            row.status = JobStatus.FAILED
            row.finished_at = now
            row.error = (row.error or "") + f"\nthe consumer {row.worker} stopped during the job"
            counts["failed"] += 1
        else:
            row.status = JobStatus.QUEUED
            row.enqueued_at = now
            _schedule_push(session, row.id, None)
            counts["released"] += 1
    session.flush()
    return counts
