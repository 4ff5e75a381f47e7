"""Record audit events. Services call record(); the view supplies the IP."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy.orm import Session

from lms.core.models import AuditEvent


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    subject: str = "",
    ip: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (flushed with the caller's transaction)."""
    if ip is None and has_request_context():
        ip = request.remote_addr or ""
    event = AuditEvent(action=action, actor_id=actor_id, subject=subject, ip=ip or "", details=details)
    session.add(event)
    return event
