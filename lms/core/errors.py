"""Error pages (HTML, or JSON for API clients) in the user's language."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.http import HTTP_STATUS_CODES

from lms.db import db

ERROR_CODES = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500)


def init_errors(app: Flask) -> None:
    for code in ERROR_CODES:
        app.register_error_handler(code, error_page)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)


# Shown while the database is away: built without the database (no user, no locale lookup, no
# base template, all of which would query it), in Vietnamese then English.
UNAVAILABLE_VI = (
    "Hệ thống tạm thời gián đoạn. Những gì bạn đã lưu vẫn an toàn; vui lòng thử lại sau giây lát."
)
UNAVAILABLE_EN = "The site is briefly unavailable. Your saved work is safe; please try again in a moment."
UNAVAILABLE_HTML = (
    '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>503</title>'
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>'
    f'<main><h1>503</h1><p>{UNAVAILABLE_VI}</p><p lang="en">{UNAVAILABLE_EN}</p></main></body></html>'
)


def database_unavailable(error: Exception) -> Response:
    """The database is away (restart, failover, network): 503 with Retry-After, not a 500.

    Connection-level errors (psycopg OperationalError / InterfaceError; SQLite "database is
    locked") land here; the transaction is rolled back and the pool drops the dead connection,
    so the next request reconnects by itself (pool_pre_ping). Decision 1405.
    """
    current_app.logger.warning("database unavailable: %s", error)
    with contextlib.suppress(Exception):  # the connection is gone; the session is discarded at teardown
        db.session.rollback()
    if request.path.startswith("/api/"):
        body = {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": UNAVAILABLE_VI,
        }
        response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/problem+json")
    elif request.accept_mimetypes.best == "application/json" or request.is_json:
        response = jsonify(error=503, message=UNAVAILABLE_VI)
    else:
        response = Response(UNAVAILABLE_HTML, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def problem(code: int, detail: str, **extensions: Any) -> Response:
    """An RFC 9457 problem document (``application/problem+json``): what /api/ answers on errors.

    ``title`` is the HTTP reason phrase; ``detail`` is in the request's language (Accept-Language,
    Vietnamese by default); ``error``/``message`` repeat them for clients of the first API.
    """
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(code, "Error"),
        "status": code,
        "detail": detail,
        "error": code,
        "message": detail,
        **extensions,
    }
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=code)
    response.mimetype = "application/problem+json"
    response.headers["Content-Language"] = str(get_locale() or "vi")
    return response


def error_page(error: Any) -> tuple[str | Response, int]:
    code = getattr(error, "code", 500) or 500
    if code == 500:
        db.session.rollback()
    if is_api_request():
        response = getattr(error, "response", None)
        if isinstance(response, Response) and response.mimetype == "application/problem+json":
            return response, code
        answer = problem(code, error_message(code, error))
        if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            answer.headers["Allow"] = ", ".join(error.valid_methods)
        if code == 429:
            answer.headers["Retry-After"] = str(getattr(error, "retry_after", None) or 60)
        return answer, code
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=code, message=error_message(code, error)), code
    return render_template("error.html", code=code, message=error_message(code, error)), code


def error_message(code: int, error: Any) -> str:
    messages = {
        400: _("The request could not be understood. Please reload the page and try again."),
        401: _("A valid API token is required (Authorization: Bearer ...)."),
        403: _("You do not have permission to see this page."),
        404: _("The page you asked for does not exist."),
        405: _("This action is not allowed here."),
        409: _("The data changed in the meantime. Please reload the page."),
        413: _("The file is too large."),
        415: _("Send the request body as JSON (Content-Type: application/json)."),
        422: _("Some values are not valid."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        500: _("Something went wrong on our side. Please try again later."),
    }
    description = getattr(error, "description", None)
    if code == 400 and description and "CSRF" in str(description):
        return _(
            "Your form has expired or is missing its security token. Please reload the page and try again."
        )
    if (
        code in (401, 403, 404, 409, 422)
        and isinstance(description, str)
        and getattr(error, "lms_message", False)
    ):
        return description
    return messages.get(code, _("Error"))
