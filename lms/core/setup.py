"""Wire extensions, i18n, security headers, error pages, health check and CLI group."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from flask import (
    Flask,
    Response,
    current_app,
    has_request_context,
    jsonify,
    render_template,
    request,
    session,
)
from flask.cli import AppGroup
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.db import db
from lms.extensions import babel, csrf, limiter, login_manager

UPGRADE_HINT = "flask --app wsgi lms db upgrade"


class _LmsGroup(AppGroup):
    """The `lms` command group: a command run on an unmigrated database says how to migrate it.

    Instead of an SQL traceback ("no such table", "relation ... does not exist"),
    any `lms ...` command that fails with a database error while the schema is
    missing or behind the code's migrations prints one line naming the command to
    run, and exits with status 1 (issue 14, item 8).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            from flask.cli import ScriptInfo

            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                hint = _schema_hint()
            if hint is None:
                raise
            raise click.ClickException(hint) from exc


def _schema_hint() -> str | None:
    """A message if the database was never migrated or is behind the migrations, else None."""
    from lms.core.migrate import schema_state

    try:
        current, head = schema_state()
    except SQLAlchemyError:  # the database itself does not answer: let that error through
        return None
    if current is None:
        return f"The database has no tables yet (it was never migrated). Run `{UPGRADE_HINT}` first."
    if current != head:
        return (
            f"The database is at migration {current} but this code needs {head}. Run `{UPGRADE_HINT}` first."
        )
    return None


lms_cli = _LmsGroup("lms", help="Learning site commands.")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'"
)


class PrefixMiddleware:
    """Serve the app under a URL prefix (e.g. /hoc-truc-tuyen) behind a portal.

    Requests whose path starts with the prefix get it moved to SCRIPT_NAME, so
    url_for() builds every link, redirect and static URL with the prefix.
    """

    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
            environ["PATH_INFO"] = path[len(self.prefix) :] or "/"
            return self.app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Not found"]


def select_locale() -> str:
    if not has_request_context():  # CLI and background work (e.g. closing overdue quiz attempts)
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale or "vi"
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_core(app: Flask) -> None:
    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories="translations",
    )
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    if app.config.get("PROXY_COUNT"):
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)  # type: ignore[method-assign]
    prefix = app.config.get("URL_PREFIX", "")
    if prefix:
        app.wsgi_app = PrefixMiddleware(app.wsgi_app, prefix)  # type: ignore[method-assign]
        app.config["SESSION_COOKIE_PATH"] = prefix + "/"

    from lms.core.forms import install_form_translations

    install_form_translations()
    app.jinja_env.filters["local_dt"] = _local_datetime
    app.jinja_env.filters["local_date"] = _local_date
    app.jinja_env.filters["number"] = _number
    app.jinja_env.globals["get_locale"] = get_locale

    @app.context_processor
    def _inject() -> dict[str, Any]:
        from lms.core.nav import nav_items_for
        from lms.core.permissions import Permission, can

        return {
            "can": lambda perm: can(current_user, perm),
            "Permission": Permission,
            "nav_items": lambda: nav_items_for(current_app),
        }

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if (
            request.endpoint != "static"
            and "Cache-Control" not in response.headers
            and getattr(current_user, "is_authenticated", False)
        ):
            response.headers["Cache-Control"] = "private, no-store"
        return response

    for code in (400, 403, 404, 405, 409, 413, 429, 500):
        app.register_error_handler(code, _error_page)

    app.add_url_rule("/healthz", "healthz", healthz)
    limiter.exempt(healthz)
    import lms.core.migrate  # noqa: F401  (adds `lms db ...`)

    app.cli.add_command(lms_cli)


def healthz() -> tuple[Response, int]:
    """Health check with a real database round trip."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", db="unavailable"), 503
    return jsonify(status="ok", db="ok"), 200


def _error_page(error: Any) -> tuple[str | Response, int]:
    code = getattr(error, "code", 500) or 500
    if code == 500:
        db.session.rollback()
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify(error=code, message=_error_message(code, error)), code
    return render_template("error.html", code=code, message=_error_message(code, error)), code


def _error_message(code: int, error: Any) -> str:
    messages = {
        400: _("The request could not be understood. Please reload the page and try again."),
        403: _("You do not have permission to see this page."),
        404: _("The page you asked for does not exist."),
        405: _("This action is not allowed here."),
        409: _("The data changed in the meantime. Please reload the page."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        500: _("Something went wrong on our side. Please try again later."),
    }
    description = getattr(error, "description", None)
    if code == 400 and description and "CSRF" in str(description):
        return _(
            "Your form has expired or is missing its security token. Please reload the page and try again."
        )
    if code in (403, 404, 409) and isinstance(description, str) and getattr(error, "lms_message", False):
        return description
    return messages.get(code, _("Error"))


def to_local(value: dt.datetime) -> dt.datetime:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz)


# Vietnamese civil-service style: 27/11/2026 and 14:30 27/11/2026 (CLDR's vi "short"
# has a two-digit year). Other locales use CLDR's medium formats.
DATE_FORMATS = {"vi": "dd/MM/yyyy"}
DATETIME_FORMATS = {"vi": "HH:mm dd/MM/yyyy"}


def _local_datetime(value: dt.datetime | None, fmt: str | None = None) -> str:
    """A UTC datetime shown in Asia/Ho_Chi_Minh in the UI language's format."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return format_datetime(value, fmt or DATETIME_FORMATS.get(str(get_locale()), "medium"))


def _local_date(value: dt.date | dt.datetime | None, fmt: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return format_date(value, fmt or DATE_FORMATS.get(str(get_locale()), "medium"))


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return format_decimal(value)


@lms_cli.command("check-db")
def check_db() -> None:
    """Print whether the database answers."""
    db.session.execute(text("SELECT 1"))
    click.echo("ok")
