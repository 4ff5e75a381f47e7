"""Passwords, authentication and one-time reset links."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lms.auth.models import PasswordResetToken, User
from lms.core import audit
from lms.db import utcnow

_hasher = PasswordHasher()
# Verified against when the user is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 10
RESET_TOKEN_TTL = dt.timedelta(hours=48)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check a password in constant work whether or not the user exists."""
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and user is not None and bool(user.password_hash)


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 0) + 1


def find_user_by_login(session: Session, login: str) -> User | None:
    """Find a user by username or e-mail (case-insensitive)."""
    login = login.strip().lower()
    if not login:
        return None
    stmt = select(User).where(or_(func.lower(User.username) == login, func.lower(User.email) == login))
    return session.scalars(stmt).first()


def authenticate(session: Session, login: str, password: str) -> User | None:
    """Return the active user whose credentials match, and audit the attempt."""
    user = find_user_by_login(session, login)
    ok = verify_password(user, password)
    if user is not None and ok and user.is_active:
        user.last_login_at = utcnow()
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        audit.record(session, "login", actor_id=user.id, subject=f"user:{user.id}")
        return user
    audit.record(
        session,
        "login_failed",
        actor_id=None,
        subject=f"user:{user.id}" if user else "",
        login=login[:120],
    )
    return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_reset_token(session: Session, user: User, *, by: User) -> str:
    """Make a one-time password reset token; returns the clear token (shown once)."""
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=utcnow() + RESET_TOKEN_TTL,
            created_by_id=by.id,
        )
    )
    audit.record(session, "password_reset_link", actor_id=by.id, subject=f"user:{user.id}")
    session.flush()
    return token


def find_reset_token(session: Session, token: str) -> PasswordResetToken | None:
    row = session.scalars(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    ).first()
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    return row


def use_reset_token(session: Session, row: PasswordResetToken, password: str) -> User:
    row.used_at = utcnow()
    set_password(row.user, password)
    audit.record(session, "password_reset", actor_id=row.user_id, subject=f"user:{row.user_id}")
    session.flush()
    return row.user
