"""The bearer check of Access.TOKEN views: find the token, check it, audit the call (decision 1712)."""

from __future__ import annotations

from flask import abort, g, request
from flask_babel import gettext as _

from lms.api import services
from lms.api.models import ApiToken
from lms.auth.models import User
from lms.core import audit
from lms.core.errors import problem
from lms.db import db, utcnow, write_on_get


def presented_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def rate_limit_key() -> str:
    """Flask-Limiter's key: the token's visible prefix (one budget per token), else the address."""
    token = presented_token()
    prefix = services.parse_prefix(token) if token else None
    return f"api-token:{prefix}" if prefix else f"api-anon:{request.remote_addr}"


def check_bearer(scope: str) -> None:
    """Let the request through with ``g.api_token``/``g.api_account`` or abort 401/403."""
    token = presented_token()
    row = services.find_token(db.session, token) if token else None
    if row is None or not row.is_usable() or not row.account.is_active:
        abort(
            problem(
                401,
                _("A valid API token is required (Authorization: Bearer ...)."),
            )
        )
    refused = scope not in row.scope_list
    with write_on_get(db.session):
        row.last_used_at = utcnow()
        audit.record(
            db.session,
            "api.refused" if refused else "api.call",
            actor_id=row.account_id,
            subject=f"api_token:{row.id}",
            request=f"{request.method} {request.full_path.rstrip('?')}"[:500],
            api_scope=scope,
        )
    if refused:
        abort(problem(403, _("This API token does not have the scope %(scope)s.", scope=scope)))
    g.api_token = row
    g.api_account = row.account


def current_token() -> ApiToken:
    token: ApiToken = g.api_token
    return token


def current_account() -> User:
    account: User = g.api_account
    return account
