"""Web wiring: extensions, i18n, URL prefix and proxies, security headers, /healthz."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, has_request_context, jsonify, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.db import db
from lms.extensions import babel, csrf, limiter, login_manager

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


@contextmanager
def public_request_context() -> Iterator[None]:
    """A request context at LMS_PUBLIC_URL, for building links and pages outside a request (jobs, CLI):
    ``url_for`` gives the paths the public site serves (with URL_PREFIX), ``public_url`` whole URLs."""
    prefix = current_app.config.get("URL_PREFIX", "")
    with current_app.test_request_context("/", base_url=f"http://localhost{prefix}/"):
        yield


def public_url_for(endpoint: str, **values: Any) -> str:
    """LMS_PUBLIC_URL + the path of endpoint: ``url_for`` without a request context.

    For links built many times per job (a certificate's PDF and Open Badge name five to ten
    URLs): a URL adapter bound once per app, instead of pushing a request context per link.
    The app registers no url_defaults, so this builds exactly what ``url_for`` would.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    adapter = app.extensions.get("lms.public_urls")
    if adapter is None:
        prefix = app.config.get("URL_PREFIX", "")
        adapter = app.url_map.bind("localhost", script_name=prefix or "/", url_scheme="http")
        app.extensions["lms.public_urls"] = adapter
    return public_url(adapter.build(endpoint, values))


def public_url(path: str) -> str:
    """LMS_PUBLIC_URL + a path from ``url_for`` (which already starts with URL_PREFIX)."""
    prefix = current_app.config.get("URL_PREFIX", "")
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    if prefix and public.endswith(prefix):
        public = public[: -len(prefix)]
    return public + path


def select_locale() -> str:
    if not has_request_context():  # CLI and background work (e.g. closing overdue quiz attempts)
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):  # other systems: Accept-Language, never a session (decision 1714)
        best = request.accept_languages.best_match(current_app.config["LANGUAGES"])
        return str(best or current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user and getattr(current_user, "is_authenticated", False):
        return str(current_user.locale or "vi")
    lang = session.get("lang")
    if isinstance(lang, str) and lang in current_app.config["LANGUAGES"]:
        return lang
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _translations(context: Context) -> Any:
    """The catalogue this render was started with (see ``_install_fast_gettext``)."""
    found = context.get("lms_translations")
    return found if found is not None else get_translations()


def _install_fast_gettext(app: Flask) -> None:
    """Templates translate with the catalogue looked up once per ``render_template``.

    Flask-Babel's template callables look up the request's domain, locale and catalogue on every
    ``_()`` (about 40 per page: an eighth of a learner page's CPU, decision 1906). A context
    processor puts the catalogue into each render's context — computed inside the render, so
    ``force_locale`` around a render still applies — and the callables read it from there; a
    template rendered without Flask's context processors (a macro imported without context) asks
    Flask-Babel as before.
    """
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # jinja2.ext.i18n
        gettext=pass_context(lambda c, s: _translations(c).ugettext(s)),
        ngettext=pass_context(lambda c, s, p, n: _translations(c).ungettext(s, p, n)),
        newstyle=True,
        pgettext=pass_context(lambda c, x, s: _translations(c).upgettext(x, s)),
        npgettext=pass_context(lambda c, x, s, p, n: _translations(c).unpgettext(x, s, p, n)),
    )

    @app.context_processor
    def _render_translations() -> dict[str, Any]:
        return {"lms_translations": get_translations()}


def _install_static_url_cache(app: Flask) -> None:
    """``url_for('static', filename=…)`` in templates is built once per file and URL prefix.

    Every page asks for the same five or six static URLs (style sheets, icons, scripts); they depend
    on nothing but the file and the prefix the request came in under.
    """
    build = app.url_for  # what Flask puts in the templates' globals
    built: dict[tuple[str, str], str] = {}

    def url_for(endpoint: str, **values: Any) -> str:
        if endpoint == "static" and len(values) == 1 and isinstance(values.get("filename"), str):
            key = (request.script_root, values["filename"])
            found = built.get(key)
            if found is None:
                found = built[key] = build(endpoint, **values)
            return found
        return build(endpoint, **values)

    app.jinja_env.globals["url_for"] = url_for


def init_web(app: Flask) -> None:
    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories="translations",
    )
    _install_fast_gettext(app)
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
    app.jinja_env.globals["get_locale"] = get_locale
    _install_static_url_cache(app)
    if not app.testing:
        # Compiled templates survive worker restarts (gunicorn re-forks; each worker would compile
        # every template again on its first requests). Stale entries are keyed by source checksum.
        from jinja2 import FileSystemBytecodeCache

        cache_dir = Path(app.instance_path) / "jinja-cache"
        cache_dir.mkdir(parents=True, exist_ok=True)
        app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(cache_dir))

    @app.after_request
    def _security_headers(response: Response) -> Response:
        csp = response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if "frame-ancestors 'self';" in csp + ";":  # a page framed by others (LTI) sets its own list
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if (
            request.endpoint != "static"
            and "Cache-Control" not in response.headers
            and getattr(current_user, "is_authenticated", False)
        ):
            response.headers["Cache-Control"] = "private, no-store"
        return response

    app.add_url_rule("/healthz", "healthz", healthz)
    limiter.exempt(healthz)


def healthz() -> tuple[Response, int]:
    """Health check with a real database round trip."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", db="unavailable"), 503
    return jsonify(status="ok", db="ok"), 200
