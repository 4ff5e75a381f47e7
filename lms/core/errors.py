"""Error pages (HTML, or JSON for API clients) in the user's language."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _

from lms.db import db

ERROR_CODES = (400, 403, 404, 405, 409, 413, 429, 500)


def init_errors(app: Flask) -> None:
    for code in ERROR_CODES:
        app.register_error_handler(code, error_page)


def error_page(error: Any) -> tuple[str | Response, int]:
    code = getattr(error, "code", 500) or 500
    if code == 500:
        db.session.rollback()
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify(error=code, message=error_message(code, error)), code
    return render_template("error.html", code=code, message=error_message(code, error)), code


def error_message(code: int, error: Any) -> str:
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
