"""Concurrent writers on SQLite wait for each other instead of failing with "database is locked"."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from lms import create_app
from lms.core import audit
from lms.core.models import AuditEvent
from lms.db import Base, db

THREADS = 8
WRITES = 25


def test_eight_threads_of_read_then_write_transactions_all_succeed(tmp_path):
    """Each transaction reads then writes: the pattern that fails under a deferred BEGIN."""
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URL=f"sqlite:///{tmp_path / 'w.sqlite3'}", INSTANCE_PATH=str(tmp_path)
    )
    engine = app.extensions["lms.db"].engine
    Base.metadata.create_all(engine)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(WRITES):
                # A POST request: the session's transaction starts with BEGIN IMMEDIATE.
                with app.test_request_context("/", method="POST"):
                    seen = db.session.scalar(select(func.count(AuditEvent.id)))
                    audit.record(db.session, "test_write", subject=f"t{n}:{i}", ip="", seen=seen)
                    db.session.commit()
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) == THREADS * WRITES
        mode = db.session.connection().exec_driver_sql("PRAGMA journal_mode").scalar()
        assert mode == "wal"
        db.session.remove()
    engine.dispose()


def test_get_requests_do_not_take_the_write_lock(tmp_path):
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URL=f"sqlite:///{tmp_path / 'r.sqlite3'}", INSTANCE_PATH=str(tmp_path)
    )
    engine = app.extensions["lms.db"].engine
    Base.metadata.create_all(engine)
    statements: list[str] = []

    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def log(_conn, _cur, statement, *_a):
        statements.append(statement)

    with app.test_request_context("/", method="GET"):
        db.session.scalar(select(func.count(AuditEvent.id)))
        db.session.remove()
    with app.test_request_context("/", method="POST"):
        db.session.scalar(select(func.count(AuditEvent.id)))
        db.session.remove()
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
    engine.dispose()
