"""LTI 1.3 tables: our signing keys, platform registrations, launch state, identities and links."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.catalog.models import Course
from lms.db import Base, UTCDateTime, created_at, fk, intpk


class ToolKey(Base):
    """One RSA key of the tool; the newest is signing, retired ones stay published for a grace period."""

    __tablename__ = "lti_tool_keys"

    id: Mapped[intpk]
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<ToolKey {self.kid}>"


class Platform(Base):
    """A registered LTI platform (Moodle, Canvas, Open edX): issuer + client id and its endpoints."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(500))
    access_token_url: Mapped[str] = mapped_column(String(500))
    jwks_url: Mapped[str] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[created_at]

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", lazy="selectin", order_by="Deployment.id"
    )

    def __repr__(self) -> str:
        return f"<Platform {self.issuer} {self.client_id}>"

    @property
    def deployment_ids(self) -> list[str]:
        return [d.deployment_id for d in self.deployments]


class Deployment(Base):
    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[intpk]
    platform_id: Mapped[int] = fk("lti_platforms.id")
    deployment_id: Mapped[str] = mapped_column(String(255))
    platform: Mapped[Platform] = relationship(back_populates="deployments")


class LoginState(Base):
    """OIDC login initiation: the state we sent and the nonce the id_token must carry (used once)."""

    __tablename__ = "lti_login_states"

    id: Mapped[intpk]
    state: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    platform_id: Mapped[int] = fk("lti_platforms.id")
    target_link_uri: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Identity(Base):
    """A platform user (issuer, sub) and the local account it signs in as."""

    __tablename__ = "lti_identities"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: Mapped[intpk]
    issuer: Mapped[str] = mapped_column(String(255))
    sub: Mapped[str] = mapped_column(String(255))
    platform_id: Mapped[int] = fk("lti_platforms.id")
    user_id: Mapped[int] = fk("users.id")
    email: Mapped[str] = mapped_column(String(255), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[created_at]
    last_launch_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    platform: Mapped[Platform] = relationship()


class Link(Base):
    """A resource link placed in a platform course, with the service endpoints its launches carry."""

    __tablename__ = "lti_links"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", "resource_link_id"),)

    id: Mapped[intpk]
    platform_id: Mapped[int] = fk("lti_platforms.id")
    deployment_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255), default="")
    context_title: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(255), default="")
    target: Mapped[str] = mapped_column(String(300), default="")
    course_id: Mapped[int | None] = fk("courses.id", ondelete="SET NULL")
    lineitems_url: Mapped[str] = mapped_column(String(1000), default="")
    lineitem_url: Mapped[str] = mapped_column(String(1000), default="")
    ags_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    nrps_url: Mapped[str] = mapped_column(String(1000), default="")
    updated_at: Mapped[created_at]

    platform: Mapped[Platform] = relationship()
    course: Mapped[Course | None] = relationship()


class LinkMember(Base):
    """Who launched a link: their grades go to that link's line items."""

    __tablename__ = "lti_link_members"
    __table_args__ = (UniqueConstraint("link_id", "identity_id"),)

    id: Mapped[intpk]
    link_id: Mapped[int] = fk("lti_links.id")
    identity_id: Mapped[int] = fk("lti_identities.id")
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)


class Launch(Base):
    """A validated launch, addressed by a random token (hash stored) for the steps after the POST.

    Resource links: the "open in a new window" hand-off when the iframe has no cookies.
    Deep linking: the picker and the signed response (the request's settings kept in ``data``).
    """

    __tablename__ = "lti_launches"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # "resource" | "deep_linking"
    platform_id: Mapped[int] = fk("lti_platforms.id")
    deployment_id: Mapped[str] = mapped_column(String(255))
    identity_id: Mapped[int] = fk("lti_identities.id")
    link_id: Mapped[int | None] = fk("lti_links.id", ondelete="SET NULL")
    target_url: Mapped[str] = mapped_column(String(1000), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    platform: Mapped[Platform] = relationship()
    identity: Mapped[Identity] = relationship()
    link: Mapped[Link | None] = relationship()


class RegistrationToken(Base):
    """A one-time dynamic-registration URL an admin hands to a platform's admin (hash stored)."""

    __tablename__ = "lti_registration_tokens"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    platform_id: Mapped[int | None] = fk("lti_platforms.id", ondelete="SET NULL")


class GradeSync(Base):
    """The last score sent for (link, identity, resource): keeps passback idempotent."""

    __tablename__ = "lti_grade_syncs"
    __table_args__ = (UniqueConstraint("link_id", "identity_id", "resource_id"),)

    id: Mapped[intpk]
    link_id: Mapped[int] = mapped_column(ForeignKey("lti_links.id", ondelete="CASCADE"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("lti_identities.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[str] = mapped_column(String(100))
    lineitem_url: Mapped[str] = mapped_column(String(1000), default="")
    score: Mapped[float | None]
    score_max: Mapped[float | None]
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
