"""Device cookies: brute-force protection that an attacker cannot turn into a lock-out.

OWASP's "Slow Down Online Guessing Attacks with Device Cookies"
(https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies),
decision 1402:

* After a successful login the browser gets a signed device cookie naming the
  account and a random nonce (no database row; ``SECRET_KEY`` signs it).
* A login attempt that carries a valid device cookie for the account it names is
  a *trusted* attempt: its failures count against that device cookie only
  (``LMS_LOGIN_FAILURE_LIMIT`` per cookie), not against the account or the
  address. An attacker elsewhere can therefore not lock the owner out of their
  own browser, and a stolen cookie gives no more guesses than before.
* Every other attempt is *untrusted*: failures count per account and per
  address as before; after the limit the account refuses untrusted attempts
  (HTTP 429) while its owners' devices still log in.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "lms_device"
MAX_AGE = 180 * 24 * 3600  # a device stays trusted for six months after its last login
_SALT = "lms.auth.device-cookie"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)  # type: ignore[arg-type]


def new_token(user_id: int) -> str:
    return _serializer().dumps({"u": user_id, "n": secrets.token_urlsafe(16)})


def remember_device(response: Any, user_id: int) -> None:
    """Give the browser (a new) device cookie for user_id after a successful login."""
    response.set_cookie(
        COOKIE_NAME,
        new_token(user_id),
        max_age=MAX_AGE,
        httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        samesite="Lax",
        path=current_app.config.get("SESSION_COOKIE_PATH") or "/",
    )


def device_nonce(user_id: int | None) -> str | None:
    """The nonce of this request's device cookie if it is valid for user_id, else None."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw or user_id is None:
        return None
    try:
        payload = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user_id:
        return None
    nonce = payload.get("n")
    return nonce if isinstance(nonce, str) else None


def trusted_nonce(find_user_id: Any) -> str | None:
    """Cached per request: find_user_id() names the account the attempt is for."""
    if "lms_device_nonce" not in g:
        g.lms_device_nonce = device_nonce(find_user_id())
    return g.lms_device_nonce
