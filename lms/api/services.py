"""API tokens: create (shown once), authenticate, revoke (decision 1711)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.api.models import ApiScope, ApiToken
from lms.auth.models import Role, User, UserRole
from lms.core import audit
from lms.db import utcnow
from lms.org.models import OrgUnit

TOKEN_START = "lms_"  # noqa: S105 (the visible start of every token, not a secret)


def hash_token(token: str) -> str:
    """SHA-256 of the whole token: the secret has 256 bits of entropy, so no slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_prefix(token: str) -> str | None:
    """The lookup part of ``lms_<prefix>_<secret>``, or None when the shape is wrong."""
    if not token.startswith(TOKEN_START):
        return None
    prefix, sep, secret = token[len(TOKEN_START) :].partition("_")
    if not sep or not secret or not (4 <= len(prefix) <= 16) or not prefix.isalnum():
        return None
    return prefix


def create_token(
    session: Session,
    *,
    name: str,
    scopes: list[str],
    unit: OrgUnit,
    expires_at: dt.datetime,
    by: User,
) -> tuple[ApiToken, str]:
    """Make a token and its service account; returns (row, the token text to show once)."""
    clean = sorted({ApiScope(s).value for s in scopes})
    if not clean:
        raise ValueError("a token needs at least one scope")
    prefix = secrets.token_hex(5)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    account = User(
        username=f"api-{prefix}",
        full_name=f"API: {name}"[:200],
        password_hash="",  # an empty hash matches no password: the account cannot log in
        scope_unit_id=unit.id,
        is_active=True,
    )
    session.add(account)
    session.flush()
    session.add(UserRole(user_id=account.id, role=Role.HR.value))
    row = ApiToken(
        name=name,
        prefix=prefix,
        secret_hash=hash_token(token),
        scopes=" ".join(clean),
        unit_id=unit.id,
        account_id=account.id,
        created_by_id=by.id,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "api.token_created",
        actor_id=by.id,
        subject=f"api_token:{row.id}",
        name=name,
        api_scope=row.scopes,
        unit=unit.code,
        expires=expires_at.date().isoformat(),
    )
    return row, token


def find_token(session: Session, token: str) -> ApiToken | None:
    """The row a presented token names, if its hash matches (constant-time compare)."""
    prefix = parse_prefix(token)
    if prefix is None:
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).one_or_none()
    if row is None or not hmac.compare_digest(row.secret_hash, hash_token(token)):
        return None
    return row


def revoke_token(session: Session, token: ApiToken, *, by: User) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    token.account.is_active = False
    token.account.session_version += 1
    audit.record(
        session, "api.token_revoked", actor_id=by.id, subject=f"api_token:{token.id}", name=token.name
    )
    session.flush()
