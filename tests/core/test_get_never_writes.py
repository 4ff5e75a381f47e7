"""GET never writes (decision 0002), unless the view says so with ``lms.db.write_on_get``.

The guard sits on every engine (SQLite and PostgreSQL); the route walk of ``test_access.py``
visits every GET page as anonymous, a learner and the owner, so a page that writes without the
helper fails there. Here: the rule itself, on a toy app with a real SQLite file.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, func, select

from lms import create_app
from lms.core import audit
from lms.core.models import AuditEvent
from lms.db import Base, db, write_on_get


def _toy_app(tmp_path):
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URL=f"sqlite:///{tmp_path / 'g.sqlite3'}", INSTANCE_PATH=str(tmp_path)
    )

    def sneaky() -> str:
        db.session.scalar(select(func.count(AuditEvent.id)))
        audit.record(db.session, "test_write", subject="sneaky", ip="")
        db.session.commit()
        return "written"

    def declared() -> str:
        seen = db.session.scalar(select(func.count(AuditEvent.id)))
        with write_on_get(db.session):
            audit.record(db.session, "test_write", subject="declared", ip="", seen=seen)
        return str(db.session.scalar(select(func.count(AuditEvent.id))))

    app.add_url_rule("/sneaky", "sneaky", sneaky)
    app.add_url_rule("/declared", "declared", declared)
    engine = app.extensions["lms.db"].engine
    Base.metadata.create_all(engine)
    return app, engine


def test_a_get_that_writes_without_the_helper_fails(tmp_path):
    app, engine = _toy_app(tmp_path)
    with pytest.raises(RuntimeError, match="begin_write"):
        app.test_client().get("/sneaky")
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 0
        db.session.remove()
    engine.dispose()


def test_a_get_writes_through_write_on_get_under_the_write_lock_then_reads_again(tmp_path):
    app, engine = _toy_app(tmp_path)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, st, *_a: statements.append(st))
    response = app.test_client().get("/declared")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "1"
    begins = [s for s in statements if s.startswith("BEGIN")]
    # the page's reads, the write under the lock, then reads again without it
    assert begins == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN"]
    engine.dispose()


def test_the_write_waits_for_another_writer_instead_of_failing(tmp_path):
    """Under WAL, a deferred read transaction that then writes fails at once if another writer
    committed in between ("database is locked"); write_on_get starts a fresh IMMEDIATE one."""
    app, engine = _toy_app(tmp_path)
    client = app.test_client()
    client.get("/declared")  # creates the WAL file
    holder = sqlite3.connect(tmp_path / "g.sqlite3", isolation_level=None)

    done: list[bool] = []

    @event.listens_for(engine, "after_cursor_execute")
    def another_writer_commits_after_our_first_read(_c, _cur, statement, *_a):
        if statement.startswith("SELECT count") and not done:
            done.append(True)
            holder.execute(
                "INSERT INTO audit_events (action, subject, ip, details, at)"
                " VALUES ('x', '', '', '{}', '2026-01-01')"
            )

    assert client.get("/declared").status_code == 200
    holder.close()
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 3
        db.session.remove()
    engine.dispose()
