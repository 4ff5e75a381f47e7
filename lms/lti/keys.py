"""The tool's RSA keys: rotation, the published JWKS and signing (joserfc; decision 1801)."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.db import utcnow
from lms.lti.models import ToolKey

ALG = "RS256"
KEY_BITS = 2048


def _public_jwk(key: ToolKey) -> dict[str, Any]:
    rsa = RSAKey.import_key(key.private_pem)
    return {**rsa.as_dict(private=False), "kid": key.kid, "alg": ALG, "use": "sig"}


def rotate_keys(session: Session, *, now: dt.datetime | None = None) -> ToolKey:
    """Make a new signing key; the previous ones are retired now but stay published for the grace period."""
    now = now or utcnow()
    for old in session.scalars(select(ToolKey).where(ToolKey.retired_at.is_(None))):
        old.retired_at = now
    rsa = RSAKey.generate_key(KEY_BITS, private=True)
    key = ToolKey(
        kid=f"{now:%Y%m%d}-{secrets.token_hex(6)}",
        private_pem=rsa.as_pem(private=True).decode(),
        created_at=now,
    )
    session.add(key)
    session.flush()
    return key


def drop_expired_keys(session: Session, grace: dt.timedelta, *, now: dt.datetime | None = None) -> int:
    """Delete retired keys older than the grace period (no platform can still hold a token they signed)."""
    limit = (now or utcnow()) - grace
    expired = session.scalars(
        select(ToolKey).where(ToolKey.retired_at.is_not(None), ToolKey.retired_at < limit)
    )
    count = 0
    for key in expired:
        session.delete(key)
        count += 1
    session.flush()
    return count


def signing_key(session: Session) -> ToolKey:
    """The current signing key, made on first use (a fresh install needs no CLI step)."""
    key = session.scalars(
        select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id.desc())
    ).first()
    return key if key is not None else rotate_keys(session)


def published_jwks(
    session: Session, grace: dt.timedelta, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The JWKS platforms fetch: the signing key and the keys retired less than ``grace`` ago."""
    limit = (now or utcnow()) - grace
    keys = session.scalars(select(ToolKey).order_by(ToolKey.id.desc())).all()
    return {"keys": [_public_jwk(k) for k in keys if k.retired_at is None or k.retired_at >= limit]}


def sign(session: Session, claims: dict[str, Any], *, lifetime: int = 300) -> str:
    """A JWT signed with the current key (kid in the header); iat/exp/jti added unless present."""
    key = signing_key(session)
    now = int(time.time())
    body = {"iat": now, "exp": now + lifetime, "jti": secrets.token_urlsafe(16), **claims}
    return jwt.encode({"alg": ALG, "kid": key.kid, "typ": "JWT"}, body, RSAKey.import_key(key.private_pem))
