"""Extension points of the sign-in pages, filled by higher features (single sign-on, ``lms.sso``)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.core.registry import Registry

# (session, user whose password was right) -> a message refusing the password sign-in, or None.
PASSWORD_LOGIN_CHECKS: Registry[Callable[[Session, User], str | None]] = Registry(
    "auth.password_login_checks", "may refuse a password sign-in (local passwords switched off)"
)

# () -> a URL to send the browser to after logging out (e.g. the identity provider's logout), or
# None. Called while the session still holds what the sign-in stored.
LOGOUT_REDIRECTS: Registry[Callable[[], str | None]] = Registry(
    "auth.logout_redirects", "where logout sends the browser next (RP-initiated logout)"
)


def password_login_refusal(session: Session, user: User) -> str | None:
    for check in PASSWORD_LOGIN_CHECKS.values():
        message = check(session, user)
        if message:
            return message
    return None


def logout_redirect() -> str | None:
    for hook in LOGOUT_REDIRECTS.values():
        target = hook()
        if target:
            return target
    return None
