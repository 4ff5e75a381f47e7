"""Files produced by jobs, stored in the database in 1 MiB chunks (every host can serve them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import IO

from flask import current_app, has_app_context
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lms.db import utcnow
from lms.jobs.models import Job, JobFile, JobFileChunk

CHUNK = 1024 * 1024


def store_file(
    session: Session, job_row: Job, fileobj: IO[bytes], *, filename: str, mimetype: str
) -> JobFile:
    """Copy an open binary file into the job's stored file (replacing an earlier one). Flush only."""
    session.execute(delete(JobFileChunk).where(JobFileChunk.job_id == job_row.id))
    session.execute(delete(JobFile).where(JobFile.job_id == job_row.id))
    hours = int(current_app.config.get("JOB_FILE_TTL_HOURS", 48)) if has_app_context() else 48
    stored = JobFile(
        job_id=job_row.id,
        filename=filename,
        mimetype=mimetype,
        size=0,
        expires_at=utcnow() + dt.timedelta(hours=hours),
    )
    session.add(stored)
    session.flush()
    seq = 0
    while chunk := fileobj.read(CHUNK):
        piece = JobFileChunk(job_id=job_row.id, seq=seq, data=chunk)
        session.add(piece)
        stored.size += len(chunk)
        seq += 1
        session.flush()
        session.expunge(piece)  # keep memory flat: written chunks are not needed again
    session.flush()
    return stored


def file_of(session: Session, job_id: int) -> JobFile | None:
    return session.get(JobFile, job_id)


def iter_chunks(session: Session, job_id: int) -> Iterator[bytes]:
    """The stored bytes, one chunk per statement (at most 1 MiB in memory)."""
    seq = 0
    while True:
        data = session.scalar(
            select(JobFileChunk.data).where(JobFileChunk.job_id == job_id, JobFileChunk.seq == seq)
        )
        if data is None:
            return
        yield bytes(data)
        seq += 1


def delete_expired(session: Session, now: dt.datetime | None = None) -> int:
    """Remove files past their expiry (the jobs stay, marked as expired by the missing file)."""
    now = now or utcnow()
    ids = list(session.scalars(select(JobFile.job_id).where(JobFile.expires_at < now)))
    if ids:
        session.execute(delete(JobFileChunk).where(JobFileChunk.job_id.in_(ids)))
        session.execute(delete(JobFile).where(JobFile.job_id.in_(ids)))
        session.flush()
    return len(ids)
