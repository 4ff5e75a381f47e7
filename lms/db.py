"""Database base class, shared column types, engine and the request-scoped session.

Services take a session and only ``flush()``; views commit once at the edge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, TypeVar, cast

from flask import Flask, abort, current_app, g, has_app_context, has_request_context, request
from flask.globals import _cv_app
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    create_engine,
    event,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Session,
    mapped_column,
    scoped_session,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A datetime stored in UTC and always returned timezone-aware.

    SQLite has no time zones, so naive values read back are UTC by contract.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use lms.db.utcnow() or an aware value")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
str40 = Annotated[str, mapped_column(String(40))]
str120 = Annotated[str, mapped_column(String(120))]
str255 = Annotated[str, mapped_column(String(255))]
utc_datetime = Annotated[dt.datetime, mapped_column(UTCDateTime())]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow)]


def fk(target: str, *, ondelete: str | None = "CASCADE", index: bool = True, **kw: Any) -> Any:
    """A foreign-key column (indexed by default)."""
    return mapped_column(ForeignKey(target, ondelete=ondelete), index=index, **kw)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}

    def __repr__(self) -> str:
        ident = getattr(self, "id", None)
        return f"<{type(self).__name__} id={ident}>"


_READ_ONLY: ContextVar[bool] = ContextVar("lms_read_only", default=False)


@contextmanager
def read_only() -> Iterator[None]:
    """Transactions begun inside are reads (plain BEGIN on SQLite), e.g. a long export in a job,
    so they do not hold the write lock while they read."""
    token = _READ_ONLY.set(True)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


@contextmanager
def writing() -> Iterator[None]:
    """Undo read_only() for a short write inside it (e.g. a job's progress)."""
    token = _READ_ONLY.set(False)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def reads_first(view: Any) -> Any:
    """Mark a POST view whose reads come before its writes, separated by ``begin_write``.

    On SQLite such a request reads in a deferred transaction (no write lock, like a page) and
    takes the write lock only at ``begin_write(session)``, so concurrent requests of different
    users do not queue behind each other's reads (decision 1903). Put it right under the route
    decorator. Whatever the view decided from its reads must be re-checked by its writes (e.g. a
    compare-and-set UPDATE): another writer may commit in between.
    """
    view.lms_reads_first = True
    return view


def _reads_first_request() -> bool:
    if not has_request_context() or g.get("_lms_writing"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "lms_reads_first", False))


def _is_write_request() -> bool:
    if _READ_ONLY.get():
        return False
    if not has_request_context():
        return True
    if g.get("_lms_writing"):
        return True
    return request.method not in _READ_METHODS and not _reads_first_request()


def begin_write(session: Session | scoped_session[Session]) -> None:
    """The request's reads are done; from here on it writes. The one way a GET may write.

    For a ``reads_first`` POST (decision 1903) and for the few GETs that must write (decision
    0002: closing an overdue quiz attempt, the audit row of a certificate lookup, …). On SQLite
    this ends the deferred read transaction (objects already loaded stay usable) so the next
    statement starts ``BEGIN IMMEDIATE``. Elsewhere (PostgreSQL, tests' outer transaction, a
    plain POST) it only records that the request now writes. Whatever the view decided from its
    reads must be re-checked by its writes: another writer may commit in between.
    """
    if has_request_context():
        g._lms_writing = True
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction() and session.connection().info.get("lms_deferred"):
        session.commit()


@contextmanager
def write_on_get(session: Session | scoped_session[Session]) -> Iterator[None]:
    """The one way a GET writes (decision 0002): take the write lock, write, commit.

    ``with write_on_get(db.session): close_if_overdue(...)``. On SQLite the block runs in a
    ``BEGIN IMMEDIATE`` transaction (``begin_write``) and commits at its end; the rest of the
    request reads again without the lock. Outside the block a GET that writes raises.
    """
    begin_write(session)
    try:
        yield
        session.commit()
    finally:
        if has_request_context():
            g._lms_writing = False


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and writers that wait (BEGIN IMMEDIATE + busy timeout).

    pysqlite's own transaction handling is switched off (SQLAlchemy's documented
    recipe) so SAVEPOINTs work and we choose the BEGIN statement ourselves.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Write requests (and CLI/background work) take the write lock up front:
        # a deferred transaction that later writes fails with "database is
        # locked" instead of waiting. Reads stay deferred so pages never queue;
        # so do the reads of a `reads_first` POST until it calls begin_write().
        conn.info["lms_deferred_write"] = False
        conn.info["lms_deferred"] = False
        if _is_write_request() or conn.info.get("immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # A dispatched request's read transaction (GET, or a reads_first POST before
            # begin_write) must not write: it could fail with "database is locked".
            conn.info["lms_deferred"] = has_request_context()
            conn.info["lms_deferred_write"] = has_request_context() and (
                request.method not in _READ_METHODS or bool(g.get("_lms_read_request"))
            )
            conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn: Any) -> None:
        conn.info["lms_deferred_write"] = False
        conn.info["lms_deferred"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _no_write_before_begin_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get("lms_deferred_write") and statement.lstrip()[:7].upper().startswith(_DML):
            raise RuntimeError(
                "a request wrote in its read transaction, before lms.db.begin_write(session): "
                "it could fail with 'database is locked'"
            )


def _guard_get_requests(engine: Engine) -> None:
    """GET never writes (decision 0002), on every database: a write needs ``begin_write`` first."""

    @event.listens_for(engine, "before_cursor_execute")
    def _no_write_in_a_get(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if (
            has_request_context()
            and g.get("_lms_read_request")
            and not g.get("_lms_writing")
            and statement.lstrip()[:7].upper().startswith(_DML)
        ):
            raise RuntimeError(
                f"GET {request.path} wrote outside `with lms.db.write_on_get(db.session)` "
                f"(begin_write; decision 0002): {statement[:60]}"
            )


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with the project's settings for SQLite or PostgreSQL."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        if url in {"sqlite://", "sqlite:///:memory:"}:
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
        engine = create_engine(url, **kwargs)
    _guard_get_requests(engine)
    return engine


def read_memo(session: Session) -> dict[Any, Any]:
    """Reads cached for the life of this session (one request), dropped whenever it writes.

    For lookups several features repeat within one page (a course's quizzes, an outline's lesson
    counts). Emptied on every flush, commit or rollback and before any statement that is not a
    SELECT, so a value read here is never older than the session's own last write.
    """
    memo: dict[Any, Any] = session.info.setdefault("lms_read_memo", {})
    return memo


def _drop_memo(session: Session, *_args: Any) -> None:
    session.info.pop("lms_read_memo", None)


event.listen(Session, "after_flush", _drop_memo)
event.listen(Session, "after_commit", _drop_memo)
event.listen(Session, "after_rollback", _drop_memo)


@event.listens_for(Session, "do_orm_execute")
def _drop_memo_before_writes(state: Any) -> None:
    if not state.is_select:
        _drop_memo(state.session)


class _AppSession(Session):
    """A session whose engine is the current app's, unless bound explicitly."""

    def get_bind(self, mapper: Any = None, clause: Any = None, **kw: Any) -> Any:
        if self.bind is not None:
            return self.bind
        return current_app.extensions["lms.db"].engine


def _scope() -> int:
    ctx = _cv_app.get(None)
    return id(ctx)


_M = TypeVar("_M")


class Database:
    """Holds the engine per app and a session scoped to the app context."""

    def __init__(self) -> None:
        self.session_factory = sessionmaker(class_=_AppSession, expire_on_commit=False)
        # The registry proxies every Session method to the current app context's session.
        # It is typed as the Session it stands for, so services annotate ``session: Session``
        # and views pass ``db.session``; scope handling (remove) uses ``registry``.
        # The factory is a plain callable (tests bind one database, see bind_to); scoped_session only calls it.
        self.registry: scoped_session[Session] = scoped_session(
            cast("sessionmaker[Session]", self._new_session), scopefunc=_scope
        )
        self.session: Session = cast(Session, self.registry)
        self.engine_override: Engine | None = None
        # Tests: the connection whose transaction new sessions on its database join (bind_to).
        self._bound: Connection | None = None

    def _new_session(self) -> Session:
        bound = self._bound
        if bound is not None and (not has_app_context() or self.engine.url == bound.engine.url):
            return self.session_factory(bind=bound, join_transaction_mode="create_savepoint")
        return self.session_factory()

    @contextmanager
    def bind_to(self, connection: Connection) -> Iterator[None]:
        """Tests: every new session on ``connection``'s database joins its transaction in SAVEPOINTs.

        So the test's outer transaction rolls everything back, including what a second app on the
        same database did (URL-prefix and CSRF tests build their own app). Only that database: an
        app on another one (the browser tests' live server and its job consumer, which run in
        threads for the rest of the run) keeps its own engine and never touches the test's
        connection.
        """
        self.registry.remove()
        self._bound = connection
        try:
            yield
        finally:
            self.registry.remove()
            self._bound = None

    def init_app(self, app: Flask) -> None:
        engine = make_engine(
            app.config["SQLALCHEMY_DATABASE_URL"], echo=app.config.get("SQLALCHEMY_ECHO", False)
        )
        app.extensions["lms.db"] = _EngineHolder(engine)

        @app.before_request
        def _mark_read_request() -> None:
            # Only dispatched requests: a test_request_context() around service calls is not a GET.
            g._lms_read_request = request.method in _READ_METHODS

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.registry.remove()

    @property
    def engine(self) -> Engine:
        holder: _EngineHolder = current_app.extensions["lms.db"]
        return holder.engine

    def get_or_404(self, model: type[_M], ident: Any) -> _M:
        """The row with this primary key, or a 404 page: the "load" of load-or-404-then-check-or-403."""
        obj = self.session.get(model, ident)
        if obj is None:
            abort(404)
        return obj


class _EngineHolder:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine


db = Database()
