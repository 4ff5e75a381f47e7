"""Test fixtures: one migrated database per run, each test in a rolled-back transaction.

Set LMS_TEST_DATABASE_URL=postgresql://... to run the suite on PostgreSQL
(the database is emptied and migrated at the start of the run).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, text

from lms import create_app
from lms.auth.models import Role, User
from lms.auth.services import hash_password
from lms.core.migrate import alembic_config
from lms.db import db, make_engine
from lms.extensions import limiter
from lms.org.models import OrgUnit
from lms.org.services import create_unit
from tests import factories
from tests.smtp_server import smtp, smtp_server  # noqa: F401 (a real SMTP server on 127.0.0.1)
from tests.sso.op_server import oidc_op  # noqa: F401 (session fixture: the test OpenID Provider)

PASSWORD = "correct horse battery"
_PW_HASH = hash_password(PASSWORD)


def test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def reset_database(url: str) -> None:
    """Empty a PostgreSQL test database (SQLite test files start empty)."""
    if not url.startswith("postgresql"):
        return
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = test_database_url(tmp_path_factory)
    reset_database(url)
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    app = create_app("testing", SQLALCHEMY_DATABASE_URL=database_url, INSTANCE_PATH=str(instance))
    yield app
    app.extensions["lms.db"].engine.dispose()


@pytest.fixture(scope="session")
def engine(app: Flask) -> Engine:
    return app.extensions["lms.db"].engine


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run each test inside a transaction that is rolled back at the end."""
    if "app" not in request.fixturenames or "committed_db" in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    engine = app.extensions["lms.db"].engine
    connection = engine.connect()
    outer = connection.begin()
    limiter.reset()
    try:
        with db.bind_to(connection):
            yield
    finally:
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def session(app: Flask) -> Any:
    """The scoped session test code uses (bound to the test's transaction)."""
    return db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_seq = itertools.count(1)


@pytest.fixture
def make_unit(session: Any) -> Any:
    def make(
        parent: OrgUnit | None = None, *, kind: str = "other", remote: bool = False, name: str | None = None
    ) -> OrgUnit:
        n = next(_seq)
        return create_unit(
            session, code=f"T{n:05d}", name=name or f"Đơn vị {n}", kind=kind, parent=parent, is_remote=remote
        )

    return make


@pytest.fixture
def make_course(session: Any) -> Any:
    """make_course(title=, slug=, lessons=N, **Course fields) -> Course (see tests/factories.py)."""
    return functools.partial(factories.make_course, session)


@pytest.fixture
def make_user(session: Any) -> Any:
    def make(*roles: str, unit: OrgUnit | None = None, scope: OrgUnit | None = None, **kw: Any) -> User:
        n = next(_seq)
        user = User(
            username=kw.pop("username", f"user{n}"),
            email=kw.pop("email", f"user{n}@example.test"),
            full_name=kw.pop("full_name", f"Người dùng {n}"),
            password_hash=_PW_HASH,
            org_unit_id=unit.id if unit else None,
            scope_unit_id=scope.id if scope else None,
            **kw,
        )
        user.set_roles(set(roles or {Role.LEARNER.value}))
        session.add(user)
        session.flush()
        return user

    return make


def login(client: FlaskClient, user: User) -> None:
    """Log the test client in as user (through the session cookie)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["lang"] = user.locale


@pytest.fixture
def login_as(client: FlaskClient) -> Any:
    def do(user: User) -> FlaskClient:
        login(client, user)
        return client

    return do


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if (
            not statement.lstrip()
            .upper()
            .startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO", "BEGIN", "PRAGMA"))
        ):
            self.statements.append(statement)


@pytest.fixture
def count_queries(engine: Engine) -> Any:
    """with count_queries() as q: ...; q.count is the number of SQL statements run."""

    @contextlib.contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


ROOT = Path(__file__).resolve().parents[1]
