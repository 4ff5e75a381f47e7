"""A test's rolled-back transaction covers its own database only.

Other apps in the same process on another database (the browser tests' live server and its job
consumer, which run in threads for the rest of a test run) must keep their own engine: when their
sessions joined the test's connection, their once-a-minute sweep ran statements inside whatever
test was running. A second app on the test's own database (URL-prefix, CSRF tests) still joins it.
"""

from __future__ import annotations

import threading
from typing import Any

from lms import create_app
from lms.db import db


def bind_in_thread(app: Any) -> Any:
    """The bind a session of app gets in a thread of its own (as the live server's consumer runs)."""
    seen: dict[str, Any] = {}

    def work() -> None:
        with app.app_context():
            seen["bind"] = db.session.get_bind()
            db.registry.remove()

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(10)
    return seen["bind"]


def test_an_app_on_another_database_keeps_its_own_engine(app, session, tmp_path):
    session.connection()
    other = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}",
        INSTANCE_PATH=str(tmp_path / "instance"),
    )
    try:
        assert bind_in_thread(other) is other.extensions["lms.db"].engine
    finally:
        other.extensions["lms.db"].engine.dispose()


def test_an_app_on_the_test_database_joins_the_test_transaction(app, database_url, session, tmp_path):
    test_connection = session.connection()
    second = create_app("testing", SQLALCHEMY_DATABASE_URL=database_url, INSTANCE_PATH=str(tmp_path))
    try:
        assert bind_in_thread(second) is test_connection
        assert bind_in_thread(app) is test_connection
    finally:
        second.extensions["lms.db"].engine.dispose()
