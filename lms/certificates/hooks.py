"""Signal receivers and template helpers other features use.

* ``enrollments_completed`` (lms.learning.completion) → issue the certificates once, set-based,
  and queue the jobs that render and sign their PDFs (lms.certificates.jobs).
* ``register_holder_filter(name, label, users_for)``: another feature adds a filter to the HR
  list and ZIP export, e.g. training registers ``"class"`` with
  ``users_for(session, value) -> Select`` of the user ids attending that class;
  ``/certificates/export.zip?class=12`` then streams that class's PDFs.
* ``earned_certificate(course_id)`` (Jinja global) → the current user's
  certificate for a course, for the course page's
  ``{% from "certificates/_macros.html" import certificate_badge %}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lms.certificates.models import Certificate, CertificateStatus
from lms.core.registry import Registry
from lms.db import db
from lms.learning.completion import enrollments_completed
from lms.learning.models import Enrollment


def on_enrollments_completed(
    sender: Any, *, session: Session, enrollments: list[Enrollment], **_: Any
) -> None:
    """Issue the certificates at once (set-based) and queue their render jobs (not rendered in this request)."""
    from lms.certificates.jobs import enqueue_renders
    from lms.certificates.services import issue_certificates

    enqueue_renders(session, issue_certificates(session, enrollments))


def connect() -> None:
    enrollments_completed.connect(on_enrollments_completed)


def earned_certificate(course_id: int) -> Certificate | None:
    """The signed-in user's current (not superseded) certificate for a course."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Certificate)
        .where(
            Certificate.user_id == current_user.id,
            Certificate.course_id == course_id,
            Certificate.status != CertificateStatus.SUPERSEDED,
        )
        .order_by(Certificate.issued_at.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class HolderFilter:
    name: str  # query-string key, e.g. "class"
    label: Any  # lazy_gettext string shown on the HR list
    users_for: Callable[[Session, str], Select[Any]]  # value -> SELECT of user ids


HOLDER_FILTERS: Registry[HolderFilter] = Registry(
    "certificates.holder_filters",
    "Extra filters of the HR certificate list and ZIP export (training: class).",
)


def register_holder_filter(name: str, label: Any, users_for: Callable[[Session, str], Select[Any]]) -> None:
    """Let another feature filter certificates by a group of holders (idempotent by name)."""
    HOLDER_FILTERS.add(HolderFilter(name, label, users_for), name)


def holder_filters() -> list[HolderFilter]:
    return HOLDER_FILTERS.values()
