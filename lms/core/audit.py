"""Record audit events. Services call record(); the view supplies the IP."""

from __future__ import annotations

from typing import Any, Protocol

from flask import has_request_context, request
from sqlalchemy.orm import Session

from lms.core.models import AuditEvent
from lms.core.registry import Registry


class Actor(Protocol):
    """Whoever a service acts for (``by=``): a lower layer needs only the id (e.g. ``lms.auth.models.User``)."""

    @property
    def id(self) -> int: ...


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


def record_many(
    session: Session, action: str, subjects: list[str], *, actor_id: int | None = None, **details: Any
) -> None:
    """One audit event per subject with the same details, written in one (executemany) INSERT."""
    from sqlalchemy import insert

    if not subjects:
        return
    ip = (request.remote_addr or "") if has_request_context() else ""
    rows = [
        {"action": action, "actor_id": actor_id, "subject": s, "ip": ip, "details": details} for s in subjects
    ]
    session.execute(insert(AuditEvent), rows)


# Human labels for actions in the audit log viewer. Features add theirs with
# register_action() in init_app(); unknown actions are shown by their code.
ACTION_LABELS: Registry[Any] = Registry(
    "core.audit_actions", "Labels of audit actions in the audit log viewer."
)


def register_action(action: str, label: Any) -> None:
    ACTION_LABELS.add(label, action)


def _register_foundation_actions() -> None:
    from flask_babel import lazy_gettext as _l

    for action, label in {
        "login": _l("Logged in"),
        "login_failed": _l("Failed login"),
        "logout": _l("Logged out"),
        "password_changed": _l("Changed own password"),
        "password_reset_link": _l("Created a password reset link"),
        "password_reset": _l("Set a password with a reset link"),
        "admin_created": _l("Administrator created (command line)"),
        "user_created": _l("Account created"),
        "user_updated": _l("Account edited"),
        "roles_changed": _l("Roles changed"),
        "scope_changed": _l("HR scope changed"),
        "user_deactivated": _l("Account deactivated"),
        "user_reactivated": _l("Account reactivated"),
        "unit_created": _l("Unit created"),
        "unit_updated": _l("Unit renamed or edited"),
        "unit_moved": _l("Unit moved"),
        "unit_merged": _l("Unit merged"),
    }.items():
        register_action(action, label)


_register_foundation_actions()


def _detail_labels() -> dict[str, Any]:
    from flask_babel import lazy_gettext as _l

    return {
        "absent": _l("absent"),
        "api_scope": _l("API scope"),
        "added": _l("added"),
        "attempts": _l("attempts"),
        "code": _l("code"),
        "codes": _l("codes"),
        "changed": _l("changed"),
        "count": _l("count"),
        "course": _l("course"),
        "course_id": _l("course"),
        "date": _l("date"),
        "days": _l("days"),
        "enrolled": _l("enrolled"),
        "expires": _l("expires"),
        "fields": _l("fields"),
        "filename": _l("file"),
        "found": _l("found"),
        "into": _l("into"),
        "kind": _l("kind"),
        "lang": _l("language"),
        "login": _l("login"),
        "name": _l("name"),
        "new": _l("new"),
        "new_parent": _l("new parent unit"),
        "old": _l("old"),
        "old_parent": _l("old parent unit"),
        "old_unit_id": _l("old unit"),
        "org_unit_id": _l("unit"),
        "outcome": _l("outcome"),
        "path": _l("file"),
        "people_moved": _l("people moved"),
        "present": _l("present"),
        "question": _l("question"),
        "reason": _l("reason"),
        "request": _l("request"),
        "roles": _l("roles"),
        "rows": _l("rows"),
        "scope": _l("HR scope"),
        "scores_changed": _l("scores changed"),
        "slug": _l("short name"),
        "source": _l("source"),
        "unit": _l("unit"),
        "user": _l("user"),
        "username": _l("username"),
        "version": _l("version"),
        "via": _l("via"),
        "year": _l("year"),
    }


def _value_labels() -> dict[str, Any]:
    from flask_babel import lazy_gettext as _l

    return {
        "auto": _l("automatic"),
        "manual": _l("by hand"),
        "upload": _l("uploaded file"),
        "import": _l("import"),
        "people": _l("people"),
        "units": _l("units"),
        "found": _l("found"),
        "not_found": _l("not found"),
        "valid": _l("valid"),
        "revoked": _l("revoked"),
        "True": _l("yes"),
        "False": _l("no"),
    }


def describe_details(details: dict[str, Any] | None) -> list[str]:
    """The ``audit_details`` filter: an event's details as "label: value" lines in the reader's language."""
    keys, values = _detail_labels(), _value_labels()
    lines = []
    for key, value in (details or {}).items():
        if isinstance(value, list | tuple):
            shown = ", ".join(str(values.get(str(v), v)) for v in value)
        else:
            shown = str(values.get(str(value), value))
        lines.append(f"{keys.get(key, key)}: {shown}")
    return lines
