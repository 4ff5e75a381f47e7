"""Match a province identity to an account: by subject, else by the administrators' linking rules.

Nothing here talks to the identity provider or reads the request: the view hands over claims
that Authlib has already verified (signature, issuer, audience, expiry, nonce).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.auth import services as auth_services
from lms.auth.models import Role, User
from lms.core import audit
from lms.db import utcnow
from lms.org.models import OrgUnit
from lms.sso.models import OidcIdentity, SsoSettings


class SsoError(Exception):
    """A sign-in that must not go on. ``code`` picks the page (``lms.sso.views.ERRORS``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Claims:
    """What the site uses of a verified ID token + UserInfo answer."""

    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    username: str | None = None
    full_name: str | None = None


def get_settings(session: Session) -> SsoSettings:
    """The stored rules, or the defaults (a transient row, not added to the session)."""
    row = session.get(SsoSettings, 1)
    if row is not None:
        return row
    return SsoSettings(
        id=1,
        link_by_verified_email=True,
        link_by_username=False,
        create_accounts=False,
        holding_unit_id=None,
        local_passwords_off=False,
    )


def save_settings(
    session: Session,
    *,
    link_by_verified_email: bool,
    link_by_username: bool,
    create_accounts: bool,
    holding_unit: OrgUnit | None,
    local_passwords_off: bool,
    by: User,
) -> SsoSettings:
    row = session.get(SsoSettings, 1)
    if row is None:
        row = SsoSettings(id=1)
        session.add(row)
    row.link_by_verified_email = link_by_verified_email
    row.link_by_username = link_by_username
    row.create_accounts = create_accounts
    row.holding_unit_id = holding_unit.id if holding_unit else None
    row.local_passwords_off = local_passwords_off
    row.updated_by_id = by.id
    session.flush()
    audit.record(
        session,
        "sso_settings_changed",
        actor_id=by.id,
        subject="sso",
        link_by_verified_email=link_by_verified_email,
        link_by_username=link_by_username,
        create_accounts=create_accounts,
        holding_unit=row.holding_unit_id,
        local_passwords_off=local_passwords_off,
    )
    return row


def find_identity(session: Session, issuer: str, subject: str) -> OidcIdentity | None:
    return session.scalar(
        select(OidcIdentity).where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject)
    )


def identity_of(session: Session, user: User, issuer: str) -> OidcIdentity | None:
    return session.scalar(
        select(OidcIdentity).where(OidcIdentity.issuer == issuer, OidcIdentity.user_id == user.id)
    )


def sign_in(session: Session, claims: Claims, settings: SsoSettings) -> User:
    """The active account for these verified claims, linking or creating it on a first sign-in.

    Raises ``SsoError`` ("account_disabled", "already_linked", "unknown_user") before writing
    anything, so a refused sign-in leaves no account and no identity behind. Roles are never
    taken from the provider: a linked account keeps its own, a created one is a learner.
    """
    identity = find_identity(session, claims.issuer, claims.subject)
    if identity is not None:
        user = identity.user
        if not user.is_active:
            raise SsoError("account_disabled")
        identity.last_login_at = user.last_login_at = utcnow()
        audit.record(session, "sso_login", actor_id=user.id, subject=f"user:{user.id}", sub=claims.subject)
        return user

    found, how = _match_existing(session, claims, settings)
    if found is not None:
        if not found.is_active:
            raise SsoError("account_disabled")
        if identity_of(session, found, claims.issuer) is not None:
            raise SsoError("already_linked")
        user = found
    elif settings.create_accounts and settings.holding_unit is not None:
        user, how = _create_account(session, claims, settings.holding_unit), "created"
    else:
        raise SsoError("unknown_user")

    now = utcnow()
    session.add(
        OidcIdentity(
            issuer=claims.issuer, subject=claims.subject, user_id=user.id, linked_by=how, last_login_at=now
        )
    )
    user.last_login_at = now
    session.flush()
    audit.record(
        session, "sso_linked", actor_id=user.id, subject=f"user:{user.id}", sub=claims.subject, by=how
    )
    audit.record(session, "sso_login", actor_id=user.id, subject=f"user:{user.id}", sub=claims.subject)
    return user


def _match_existing(session: Session, claims: Claims, settings: SsoSettings) -> tuple[User | None, str]:
    if settings.link_by_verified_email and claims.email and claims.email_verified:
        user = session.scalar(select(User).where(func.lower(User.email) == claims.email.strip().lower()))
        if user is not None:
            return user, "email"
    if settings.link_by_username and claims.username:
        user = session.scalar(
            select(User).where(func.lower(User.username) == claims.username.strip().lower())
        )
        if user is not None:
            return user, "username"
    return None, ""


_USERNAME_BAD = re.compile(r"[^a-z0-9._-]+")


def _free_username(session: Session, claims: Claims) -> str:
    """The provider's username (or the e-mail's local part), made unique with -2, -3, …"""
    source = claims.username or (claims.email or "").split("@", 1)[0] or f"sso-{claims.subject}"
    base = _USERNAME_BAD.sub("", source.strip().lower())[:70] or "sso"
    if len(base) < 3:
        base = f"sso-{base}"
    name, n = base, 1
    while auth_services.username_taken(session, name):
        n += 1
        name = f"{base}-{n}"
    return name


def _create_account(session: Session, claims: Claims, unit: OrgUnit) -> User:
    email = claims.email if claims.email and claims.email_verified else None
    if email and auth_services.email_taken(session, email):
        email = None  # the address belongs to another account; linking by e-mail was not allowed
    return auth_services.create_user(
        session,
        username=_free_username(session, claims),
        full_name=(claims.full_name or claims.username or claims.subject)[:200],
        email=email,
        org_unit=unit,
        roles={Role.LEARNER.value},
        by=None,
    )


def password_login_refused(session: Session, user: User, *, sso_enabled: bool) -> bool:
    """Local passwords are off for staff: only administrators keep them (break-glass, decision 1703)."""
    if not sso_enabled or user.has_role(Role.ADMIN):
        return False
    return get_settings(session).local_passwords_off


def accounts_waiting(session: Session, settings: SsoSettings, limit: int = 50) -> list[User]:
    """Active accounts still in the holding unit (created at a first sign-in, not yet placed by HR)."""
    if settings.holding_unit_id is None:
        return []
    stmt = (
        select(User)
        .where(User.org_unit_id == settings.holding_unit_id, User.is_active.is_(True))
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def unlink(session: Session, user: User, *, by: User) -> int:
    """Forget the province identities of an account; its next sign-in is a first one again."""
    rows = list(session.scalars(select(OidcIdentity).where(OidcIdentity.user_id == user.id)))
    for row in rows:
        audit.record(
            session,
            "sso_unlinked",
            actor_id=by.id,
            subject=f"user:{user.id}",
            issuer=row.issuer,
            sub=row.subject,
        )
        session.delete(row)
    session.flush()
    return len(rows)


def linked_count(session: Session) -> int:
    return session.scalar(select(func.count(OidcIdentity.id))) or 0
