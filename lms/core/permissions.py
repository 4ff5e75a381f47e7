"""Who may do what: one table of permissions, one decorator, one scope check.

Views first load the object (404 if missing), then check (403 if not allowed).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select

from lms.auth.models import Role, User
from lms.org.models import OrgUnit


class Permission(StrEnum):
    LEARN = "learner:courses:take"
    AUTHOR_COURSES = "trainer:courses:edit"
    VIEW_QUESTION_STATS = "trainer:questions:stats"
    VIEW_REPORTS = "hr:reports:view"
    MANAGE_TRAINING = "hr:training:manage"
    MANAGE_PEOPLE = "hr:people:manage"
    MANAGE_CERTIFICATES = "hr:certificates:manage"
    ISSUE_CERTIFICATES = "trainer:certificates:issue"
    ADMIN_USERS = "admin:users:manage"
    ADMIN_UNITS = "admin:units:manage"
    ADMIN_AUDIT = "admin:audit:view"
    ADMIN_JOBS = "admin:jobs:manage"


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.LEARNER: frozenset({Permission.LEARN}),
    Role.TRAINER: frozenset(
        {
            Permission.LEARN,
            Permission.AUTHOR_COURSES,
            Permission.VIEW_QUESTION_STATS,
            Permission.ISSUE_CERTIFICATES,
        }
    ),
    Role.HR: frozenset(
        {
            Permission.LEARN,
            Permission.VIEW_REPORTS,
            Permission.MANAGE_TRAINING,
            Permission.MANAGE_PEOPLE,
            Permission.MANAGE_CERTIFICATES,
            Permission.ISSUE_CERTIFICATES,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


def can(user: Any, permission: Permission) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return any(permission in ROLE_PERMISSIONS.get(role, ()) for role in user.roles)


F = TypeVar("F", bound=Callable[..., Any])


def require(permission: Permission) -> Callable[[F], F]:
    """View decorator: 401 (login) when anonymous, 403 when lacking the permission."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from lms.extensions import login_manager

                return login_manager.unauthorized()
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def scope_unit(user: User) -> OrgUnit | None:
    """The subtree root an officer may see; None means the whole province (admin)."""
    if user.has_role(Role.ADMIN):
        return None
    return user.scope_unit


def has_scope(user: User) -> bool:
    """An HR officer without a scope unit sees nothing; admin sees everything."""
    return user.has_role(Role.ADMIN) or user.scope_unit_id is not None


def unit_in_scope(user: User, unit: OrgUnit | None) -> bool:
    if user.has_role(Role.ADMIN):
        return True
    root = user.scope_unit
    return root is not None and unit is not None and unit.path.startswith(root.path)


def check_unit_scope(user: User, unit: OrgUnit | None) -> None:
    """Abort 403 unless unit lies in the user's scope subtree."""
    if not unit_in_scope(user, unit):
        abort(403)


S = TypeVar("S", bound=Select[Any])


def filter_units_in_scope(stmt: S, user: User, path_column: Any = None) -> S:
    """Restrict a SELECT to units within the user's subtree (path LIKE 'root%')."""
    root = scope_unit(user)
    if root is None:
        if user.has_role(Role.ADMIN):
            return stmt
        return stmt.where(False)  # type: ignore[return-value]
    column = path_column if path_column is not None else OrgUnit.path
    return stmt.where(column.startswith(root.path, autoescape=True))  # type: ignore[return-value]
