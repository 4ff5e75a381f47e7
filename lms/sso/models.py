"""Province identities linked to accounts, and the administrators' sign-on rules."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.db import Base, created_at, fk, intpk
from lms.org.models import OrgUnit


class OidcIdentity(Base):
    """One account at the province's identity provider: the stable (issuer, subject) pair.

    The subject never changes for a person at one issuer, unlike their e-mail or username, so
    it is what every later sign-in matches on (decision 1702).
    """

    __tablename__ = "oidc_identities"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_oidc_identities_issuer_subject"),
        # one province account per site account
        UniqueConstraint("issuer", "user_id", name="uq_oidc_identities_issuer_user_id"),
    )

    id: Mapped[intpk]
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE", index=True)
    # How the link was made: "email", "username", "created" (just in time) — for the audit trail.
    linked_by: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[created_at]
    last_login_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<OidcIdentity {self.issuer} {self.subject} -> user {self.user_id}>"


class SsoSettings(Base):
    """The administrators' rules for first sign-ins and local passwords (one row, id 1).

    No row means the defaults below (GET pages never write one).
    """

    __tablename__ = "sso_settings"

    id: Mapped[intpk]
    # First sign-in of an unknown subject: link to the account with the same e-mail, only when the
    # provider says the address is verified.
    link_by_verified_email: Mapped[bool] = mapped_column(Boolean, default=True)
    # ... or to the account whose username equals the provider's username claim.
    link_by_username: Mapped[bool] = mapped_column(Boolean, default=False)
    # ... or create an account in the holding unit, for HR to place.
    create_accounts: Mapped[bool] = mapped_column(Boolean, default=False)
    holding_unit_id: Mapped[int | None] = fk("org_units.id", ondelete="SET NULL")
    # Staff sign in only through the provider; administrators keep their password (decision 1703).
    local_passwords_off: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")

    holding_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[holding_unit_id])

    def __repr__(self) -> str:
        return f"<SsoSettings email={self.link_by_verified_email} username={self.link_by_username}>"
