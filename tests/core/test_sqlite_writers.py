"""Concurrent writers on SQLite wait for each other instead of failing with "database is locked"."""

from __future__ import annotations

import threading

import pytest
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


def _reads_first_app(tmp_path, name: str):
    from lms.db import reads_first

    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URL=f"sqlite:///{tmp_path / name}", INSTANCE_PATH=str(tmp_path)
    )
    app.add_url_rule("/save", "save", reads_first(lambda: ""), methods=["POST"])
    Base.metadata.create_all(app.extensions["lms.db"].engine)
    return app


def test_reads_first_post_reads_without_the_write_lock_and_writes_with_it(tmp_path):
    """A reads_first POST reads while another connection holds the write lock, then waits its turn."""
    import sqlite3

    from sqlalchemy import event

    from lms.db import begin_write

    app = _reads_first_app(tmp_path, "rf.sqlite3")
    engine = app.extensions["lms.db"].engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, st, *_a: statements.append(st))
    holder = sqlite3.connect(tmp_path / "rf.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another request is writing
    holder.execute(
        "INSERT INTO audit_events (action, subject, ip, details, at) VALUES ('x', '', '', '{}', '2026-01-01')"
    )
    with app.test_request_context("/save", method="POST"):
        # Under BEGIN IMMEDIATE this read would wait for the holder (30 s busy timeout), then fail.
        seen = db.session.scalar(select(func.count(AuditEvent.id)))
        assert seen == 0  # the holder's row is not committed yet
        holder.execute("COMMIT")
        begin_write(db.session)
        audit.record(db.session, "test_write", subject="after", ip="", seen=seen)
        db.session.commit()
        db.session.remove()
    holder.close()
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 2
        db.session.remove()
    engine.dispose()


def test_reads_first_post_may_not_write_before_begin_write(tmp_path):
    app = _reads_first_app(tmp_path, "guard.sqlite3")
    with app.test_request_context("/save", method="POST"):
        db.session.scalar(select(func.count(AuditEvent.id)))
        audit.record(db.session, "test_write", subject="too early", ip="")
        with pytest.raises(RuntimeError, match="begin_write"):
            db.session.flush()
        db.session.rollback()
        db.session.remove()
    app.extensions["lms.db"].engine.dispose()


def test_eight_threads_of_reads_first_requests_all_succeed(tmp_path):
    """Read, begin_write, read again and write: every save lands, none fails with 'database is locked'."""
    from lms.db import begin_write

    app = _reads_first_app(tmp_path, "many.sqlite3")
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(WRITES):
                with app.test_request_context("/save", method="POST"):
                    db.session.scalar(select(func.count(AuditEvent.id)))
                    begin_write(db.session)
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
        # Each write saw every write committed before it: counts taken under the lock are distinct.
        seen = [e.details["seen"] for e in db.session.scalars(select(AuditEvent))]
        assert sorted(seen) == list(range(THREADS * WRITES))
        db.session.remove()
    app.extensions["lms.db"].engine.dispose()
