"""User accounts and their roles."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, created_at, fk, intpk
from lms.org.models import OrgUnit


class Role(StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    HR = "hr"
    ADMIN = "admin"


class ITQualification(StrEnum):
    MASTER = "master"
    BACHELOR = "bachelor"
    COLLEGE = "college"
    INTERMEDIATE = "intermediate"
    NONE = "none"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    org_unit_id: Mapped[int | None] = fk("org_units.id", ondelete="SET NULL")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    it_qualification: Mapped[str] = mapped_column(String(20), default=ITQualification.NONE)
    # HR officers see and manage only this unit's subtree.
    scope_unit_id: Mapped[int | None] = fk("org_units.id", ondelete="SET NULL")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    created_at: Mapped[created_at]
    last_login_at: Mapped[dt.datetime | None]
    # Bumped on password change / deactivation so old sessions stop working.
    session_version: Mapped[int] = mapped_column(default=1)

    org_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[org_unit_id])
    scope_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[scope_unit_id])
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles: set[str]) -> None:
        current = {r.role: r for r in self.role_rows}
        for name, row in current.items():
            if name not in roles:
                self.role_rows.remove(row)
        for name in sorted(roles - set(current)):
            self.role_rows.append(UserRole(role=Role(name).value))

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    user: Mapped[User] = relationship(back_populates="role_rows")


class PasswordResetToken(Base):
    """A one-time link an admin hands to a user; only the token's hash is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = fk("users.id")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
