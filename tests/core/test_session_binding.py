"""A test's rolled-back transaction belongs to the test's app only.

Other apps in the same process (the browser tests' live server and its job consumer, which run
in threads for the rest of a test run) must keep their own engine: if their sessions joined the
test's connection, their once-a-minute sweep ran statements inside another test's transaction.
"""

from __future__ import annotations

import threading

from lms import create_app
from lms.db import db


def test_another_app_keeps_its_own_engine_while_a_test_is_bound(app, session, tmp_path):
    test_connection = session.connection()
    other = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}",
        INSTANCE_PATH=str(tmp_path / "instance"),
    )
    seen: dict[str, object] = {}

    def other_thread() -> None:  # as the live server's consumer runs its periodic sweep
        with other.app_context():
            seen["other"] = db.session.get_bind()
            db.registry.remove()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join(10)
    try:
        assert seen["other"] is other.extensions["lms.db"].engine
        with app.app_context():
            assert db.session.connection() is test_connection  # the test's own app stays bound
            db.registry.remove()
    finally:
        other.extensions["lms.db"].engine.dispose()
