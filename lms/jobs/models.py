"""Background jobs as database rows, and the files they produce.

A ``Job`` row is written in the same transaction as the change that needs it
(e.g. the certificate it renders), and pushed to huey only after that
transaction commits. The row, not the queue message, is the truth: the
sweeper re-pushes rows whose message was lost (Redis down, consumer killed).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, created_at, fk, intpk


class JobStatus(StrEnum):
    QUEUED = "queued"  # waiting for a consumer
    RUNNING = "running"  # claimed by a consumer (heartbeat_at says it is alive)
    RETRYING = "retrying"  # failed, another attempt is scheduled at run_after
    DONE = "done"
    FAILED = "failed"  # out of attempts; an admin may retry it


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(80), index=True)  # registered handler name
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # keyword arguments (JSON)
    # Optional idempotency key: enqueueing the same key twice gives the same job.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    created_at: Mapped[created_at]
    enqueued_at: Mapped[dt.datetime | None]  # last successful push to the queue
    run_after: Mapped[dt.datetime | None]  # next retry
    started_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    worker: Mapped[str] = mapped_column(String(120), default="")  # host:pid of the last claim
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # small summary for the job page

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return max(0, min(100, int(100 * self.progress_done / self.progress_total)))


class JobFile(Base):
    """A file a job produced (export, ZIP), kept in the database so every host can serve it."""

    __tablename__ = "job_files"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class JobFileChunk(Base):
    """1 MiB pieces of a JobFile: written and streamed without holding the file in memory."""

    __tablename__ = "job_file_chunks"

    job_id: Mapped[int] = mapped_column(ForeignKey("job_files.job_id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
