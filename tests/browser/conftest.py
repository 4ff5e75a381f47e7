"""Browser tests: Debian Chromium driven by Playwright against a live server on 127.0.0.1.

The live server runs the real app in a thread on its own committed database
(SQLite file, or LMS_TEST_BROWSER_DATABASE_URL), migrated and loaded with the
demo province, accounts and the example course when the courses feature exists.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from werkzeug.serving import make_server

from lms import create_app
from lms.core.migrate import alembic_config
from lms.db import db
from tests.conftest import ROOT, reset_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="package")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    url = os.environ.get("LMS_TEST_BROWSER_DATABASE_URL")
    if url:
        reset_database(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    instance = tmp_path_factory.mktemp("live-instance")
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URL=url,
        INSTANCE_PATH=str(instance),
        WTF_CSRF_ENABLED=True,
        PUBLIC_URL="http://127.0.0.1",
    )
    with app.app_context():
        from lms.demo.province import build_province

        build_province(db.session, learners_per_unit=1)
        db.session.commit()
        # Every course in courses/ plus the example course (folders named with _ are skipped otherwise).
        from lms.catalog.cli import run_import

        messages: list[str] = []
        failed = run_import(
            [ROOT / "courses", ROOT / "courses" / "_example"], dry_run=False, echo=messages.append
        )
        assert not failed, "\n".join(messages)
        # The HR demo district has a 30-person class with a first attendance.
        from lms.demo.training import build_training_demo

        build_training_demo(db.session)
        db.session.commit()
    yield app
    app.extensions["lms.db"].engine.dispose()


@pytest.fixture(scope="package")
def live_server(live_app: Any) -> Iterator[str]:
    """Base URL of the running app, e.g. http://127.0.0.1:54321."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # One background-job consumer next to the server, as `make run` starts (certificate PDFs, exports).
    consumer = live_app.extensions["lms.jobs"].consumer(in_thread=True)
    consumer.start()
    yield f"http://127.0.0.1:{server.server_port}"
    consumer.stop(graceful=True)
    server.shutdown()
    thread.join(5)


def browser_login(page: Any, base_url: str, username: str) -> None:
    """Log in through the real form as a demo account (password = username@2026)."""
    from lms.demo.province import demo_password
    from lms.demo.walk import login_page

    login_page(page, base_url, username, demo_password(username))
