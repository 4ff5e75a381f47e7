"""Who may do what, stated once: permissions, endpoint access levels, HR scope.

Every endpoint states its access level with one decorator, which both declares
it (``tests/core/test_access.py`` walks every route against the declarations)
and enforces it::

    @bp.route("/reports/")
    @access(Access.STAFF, Permission.VIEW_REPORTS)
    def dashboard(): ...

    @bp.route("/courses/<slug>")
    @access(Access.SIGNED_IN)
    def course(slug): ...

    @bp.route("/verify")
    @access(Access.PUBLIC, reason="anyone a certificate is shown to checks it")
    def verify(): ...

Anything but PUBLIC sends an anonymous visitor to the login page; a permission,
when given, answers 403 to a signed-in user who lacks it. What depends on the
object in the URL (its owner, its unit, its course's authors) is checked by the
view after loading it: load-or-404, then check-or-403 with the rules below.

This module lives in ``lms.auth`` because its vocabulary is roles and users;
it also knows the unit tree (``lms.org``), which sits below ``auth``. It
imports no feature above ``auth``: rules about their objects read the objects'
attributes (decision 1211).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_login import current_user
from sqlalchemy import Select, false

from lms.auth.models import Role, User
from lms.org.models import OrgUnit, path_within

# --- permissions ------------------------------------------------------------------------------


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


# --- endpoint access levels -------------------------------------------------------------------


class Access(StrEnum):
    PUBLIC = "public"  # anyone, without signing in (needs a reason)
    SIGNED_IN = "signed-in"  # any signed-in account; shows only the viewer's own data or shared content
    OWNER = "owner"  # signed in; the object in the URL belongs to one learner (staff may also see it)
    STAFF = "staff"  # trainer, HR or admin permission; a plain learner is refused


@dataclass(frozen=True)
class Declared:
    level: Access
    permission: Permission | None = None
    reason: str = ""


F = TypeVar("F", bound=Callable[..., Any])

# Methods that never need a session (as in flask_login.login_required).
_EXEMPT_METHODS = frozenset({"OPTIONS"})


def access(level: Access, permission: Permission | None = None, *, reason: str = "") -> Callable[[F], F]:
    """Declare and enforce who may reach a view: put it right under ``@bp.route``.

    PUBLIC needs a ``reason``. Anonymous visitors of the other levels go to the login
    page (Flask-Login's unauthorized flow); signed-in users lacking ``permission`` get
    403. A STAFF view without a permission is one whose staff are defined by the object
    in its URL (a course's authors): it loads the object (404) and then checks (403).
    """
    if level is Access.PUBLIC and (permission is not None or not reason.strip()):
        raise ValueError("a public endpoint needs a reason and no permission")
    declared = Declared(level, permission, reason)

    def decorator(view: F) -> F:
        if level is Access.PUBLIC:
            view.lms_access = declared  # type: ignore[attr-defined]
            return view

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if request.method not in _EXEMPT_METHODS:
                if not current_user.is_authenticated:
                    return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
                if permission is not None and not can(current_user, permission):
                    abort(403)
            return view(*args, **kwargs)

        wrapped.lms_access = declared  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def declare(app: Flask, level: Access, endpoint: str, *, reason: str = "") -> None:
    """Classify an endpoint whose view cannot carry ``@access`` (Flask's ``static``, core's)."""
    if level is Access.PUBLIC and not reason.strip():
        raise ValueError("a public endpoint needs a reason")
    registry = app.extensions.setdefault("lms.access", {})
    known = registry.get(endpoint)
    if known is not None and known.level is not level:
        raise ValueError(f"{endpoint} is already declared {known.level}")
    registry[endpoint] = Declared(level, None, reason)


def access_map(app: Flask | None = None) -> dict[str, Declared]:
    """endpoint -> Declared, for every endpoint of the app that states its access."""
    app = app or current_app
    found = dict(app.extensions.get("lms.access", {}))
    for endpoint, view in app.view_functions.items():
        declared = getattr(view, "lms_access", None)
        if declared is not None:
            found[endpoint] = declared
    return found


def access_of(endpoint: str, app: Flask | None = None) -> Access | None:
    declared = access_map(app).get(endpoint)
    return declared.level if declared else None


def init_app(app: Flask) -> None:
    """Classify core's endpoints and give templates ``can``, ``Permission`` and the menu."""
    declare(app, Access.PUBLIC, "static", reason="CSS, JS and fonts of every page, the login page included")
    declare(app, Access.PUBLIC, "healthz", reason="load balancer health check; says only ok/unavailable")

    @app.context_processor
    def _inject() -> dict[str, Any]:
        from lms.core.nav import nav_items

        return {
            "can": lambda perm: can(current_user, perm),
            "Permission": Permission,
            "nav_items": lambda: nav_items(lambda perm: can(current_user, perm)),
        }


# --- HR scope: a unit and its subtree ---------------------------------------------------------


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
    return root is not None and unit is not None and unit.within(root)


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
        return stmt.where(false())
    column = path_column if path_column is not None else OrgUnit.path
    return stmt.where(path_within(column, root))
