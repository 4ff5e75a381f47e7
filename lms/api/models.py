"""ApiToken: a service account's bearer token for /api/v1, stored as a SHA-256 hash."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.db import Base, UTCDateTime, created_at, fk, intpk, utcnow
from lms.org.models import OrgUnit


class ApiScope(StrEnum):
    """What a token may do; each /api/v1 route names the one it needs (decision 1711)."""

    COURSES_READ = "courses:read"
    REPORTS_READ = "reports:read"  # assignments, enrolments with progress, completions
    CERTIFICATES_READ = "certificates:read"
    PEOPLE_WRITE = "people:write"
    UNITS_WRITE = "units:write"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120))
    # The visible part ("lms_<prefix>_<secret>"): finds the row; only the hash of the whole token is kept.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(255))  # space-separated ApiScope values
    unit_id: Mapped[int] = fk("org_units.id", ondelete="RESTRICT")
    # The service account the token acts as: an HR account scoped to ``unit`` that cannot log in.
    account_id: Mapped[int] = fk("users.id", ondelete="RESTRICT")
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[OrgUnit] = relationship()
    account: Mapped[User] = relationship(foreign_keys=[account_id])

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} {self.name!r}>"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or utcnow())
