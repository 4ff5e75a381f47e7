"""Platform registrations: create, update, find by issuer/client id; admin linking of identities."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.core import audit
from lms.lti.models import Deployment, Identity, Link, Platform

if TYPE_CHECKING:
    from lms.lti.ags import Member as RosterMember


@dataclass
class PlatformData:
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    access_token_url: str
    jwks_url: str
    deployment_ids: list[str] = field(default_factory=list)
    is_active: bool = True


_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def origin_of(url: str) -> str:
    """http(s)://host[:port] of a URL, "" unless it is one (the result goes into a CSP header)."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return ""
    if parts.scheme not in ("https", "http") or not _HOST.fullmatch(parts.netloc):
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def find_platform(session: Session, issuer: str, client_id: str | None) -> Platform | None:
    """The active registration for this issuer (and client id, when the platform sent one).

    Without a client id an issuer must have exactly one registration, else it is ambiguous.
    """
    stmt = select(Platform).where(Platform.issuer == issuer, Platform.is_active.is_(True))
    if client_id:
        return session.scalars(stmt.where(Platform.client_id == client_id)).first()
    found = session.scalars(stmt.limit(2)).all()
    return found[0] if len(found) == 1 else None


def platform_exists(session: Session, issuer: str, client_id: str, *, other_than: int | None = None) -> bool:
    stmt = select(Platform.id).where(Platform.issuer == issuer, Platform.client_id == client_id)
    if other_than is not None:
        stmt = stmt.where(Platform.id != other_than)
    return session.scalar(stmt) is not None


def _set_deployments(platform: Platform, deployment_ids: Sequence[str]) -> None:
    wanted = list(dict.fromkeys(d.strip() for d in deployment_ids if d.strip()))
    keep = [d for d in platform.deployments if d.deployment_id in wanted]
    known = {d.deployment_id for d in keep}
    platform.deployments = keep + [Deployment(deployment_id=d) for d in wanted if d not in known]


def save_platform(
    session: Session, data: PlatformData, *, by: User, platform: Platform | None = None
) -> Platform:
    """Create (platform None) or update a registration; the caller checked (issuer, client id) is free."""
    created = platform is None
    if platform is None:
        platform = Platform()
        session.add(platform)
    platform.name = data.name.strip()
    platform.issuer = data.issuer.strip()
    platform.client_id = data.client_id.strip()
    platform.auth_login_url = data.auth_login_url.strip()
    platform.access_token_url = data.access_token_url.strip()
    platform.jwks_url = data.jwks_url.strip()
    platform.is_active = data.is_active
    _set_deployments(platform, data.deployment_ids)
    session.flush()
    audit.record(
        session,
        "lti.platform_created" if created else "lti.platform_updated",
        actor_id=by.id,
        subject=f"lti_platform:{platform.id}",
        issuer=platform.issuer,
        client_id=platform.client_id,
    )
    return platform


def add_deployment(session: Session, platform: Platform, deployment_id: str) -> None:
    if deployment_id and deployment_id not in platform.deployment_ids:
        platform.deployments.append(Deployment(deployment_id=deployment_id))
        session.flush()


def platform_origins(session: Session) -> list[str]:
    """Origins of every active platform (issuer and login URL): who may frame LTI pages."""
    rows = session.execute(
        select(Platform.issuer, Platform.auth_login_url).where(Platform.is_active.is_(True))
    ).all()
    return sorted({o for row in rows for o in map(origin_of, row) if o})


def link_identity(session: Session, identity: Identity, user: User, *, by: User) -> None:
    """Point a platform identity at an existing local account (admin decision; audited)."""
    before = identity.user_id
    identity.user_id = user.id
    session.flush()
    audit.record(
        session,
        "lti.identity_linked",
        actor_id=by.id,
        subject=f"lti_identity:{identity.id}",
        issuer=identity.issuer,
        sub=identity.sub,
        from_user=before,
        to_user=user.id,
    )


def enrol_roster(session: Session, link: Link, members: Sequence[RosterMember], *, by: User) -> int:
    """Give every active learner of the platform's roster an identity here and enrol them in the link's course."""
    from lms.learning.services import enroll_user
    from lms.lti.launch import ensure_identity

    if link.course is None:
        return 0
    count = 0
    for m in members:
        if m.status != "Active" or not m.user_id or not any("Learner" in r for r in m.roles):
            continue
        identity = ensure_identity(
            session, link.platform, m.user_id, name=m.name[:200] or m.user_id, email=m.email
        )
        enroll_user(session, identity.user, link.course)
        count += 1
    audit.record(session, "lti.roster_enrolled", actor_id=by.id, subject=f"lti_link:{link.id}", count=count)
    return count
