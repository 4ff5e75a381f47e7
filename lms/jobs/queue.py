"""The huey side: one queue per app, SqliteHuey in instance/ or RedisHuey with LMS_REDIS_URL.

huey carries only job ids. Its tasks are ``lms.run_job(job_id)`` and
periodic ``lms.tick`` (every minute: the sweeper, plus one job per slot of each
``lms.jobs.periodic`` entry). Every task pushes its own app context, so each
execution has its own database session.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from huey import PriorityRedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer

from lms.db import db

log = logging.getLogger(__name__)


def make_huey(app: Flask) -> Huey:
    url = app.config.get("REDIS_URL") or ""
    if url:
        from redis import ConnectionPool

        pool = ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=10)
        return PriorityRedisHuey("lms", results=False, connection_pool=pool, utc=True)
    path = Path(app.config.get("JOBS_SQLITE_PATH") or Path(app.instance_path) / "jobs.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("lms", filename=str(path), results=False, utc=True, timeout=10)


class JobQueue:
    """app.extensions["lms.jobs"]: push job ids; build consumers."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.huey = make_huey(app)
        self.backend = "redis" if app.config.get("REDIS_URL") else "sqlite"
        huey = self.huey

        @huey.task(name="lms.run_job")
        def run_job_task(job_id: int) -> None:
            from lms.jobs.core import run_job

            with app.app_context():
                run_job(job_id)

        @huey.periodic_task(crontab(minute="*"), name="lms.tick")
        def tick() -> None:
            with app.app_context():
                self.tick()

        self.run_job_task = run_job_task

    def push(self, job_id: int, *, delay: float | None = None, priority: int = 0) -> bool:
        """Put a job id on the queue; False (logged) when the queue cannot be reached."""
        try:
            if delay:
                self.run_job_task.schedule(args=(job_id,), delay=delay, priority=priority)
            else:
                self.huey.enqueue(self.run_job_task.s(job_id, priority=priority))
        except Exception:  # Redis down, SQLite file locked too long: the sweeper pushes it later
            log.exception("could not queue job %s (%s)", job_id, self.backend)
            return False
        return True

    def tick(self, now: dt.datetime | None = None) -> None:
        """Once a minute in each consumer: sweep, and enqueue due periodic jobs (once per slot)."""
        from lms.jobs.core import PERIODIC, enqueue, sweep

        now = now or dt.datetime.now(dt.UTC)
        session = db.session
        try:
            sweep(session)
            for entry in PERIODIC.values():
                cron = crontab(minute=entry.minute, hour=entry.hour, day=entry.day)
                if cron(now.replace(tzinfo=None)):
                    slot = now.strftime("%Y%m%d%H%M")
                    enqueue(session, entry.kind, key=f"periodic:{entry.kind}:{slot}", **entry.kwargs)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("periodic tick failed")

    def consumer(self, *, workers: int = 1, periodic: bool = True, in_thread: bool = False) -> Consumer:
        """A huey consumer with thread workers; in_thread=True for a consumer started from a non-main thread."""
        cls = _ThreadConsumer if in_thread else Consumer
        return cls(
            self.huey,
            workers=workers,
            worker_type="thread",
            periodic=periodic,
            initial_delay=0.05,
            backoff=1.5,
            max_delay=1.0,
            scheduler_interval=1,
        )

    def pending_count(self) -> int:
        return int(self.huey.pending_count())


class _ThreadConsumer(Consumer):
    """Signal handlers can only be set in the main thread; tests run consumers in threads."""

    def _set_signal_handlers(self) -> None:
        pass


def queue_of(app: Any) -> JobQueue:
    return app.extensions["lms.jobs"]
