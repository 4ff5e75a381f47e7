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
attributes, and the one fact kept above (enrolment) comes through a registry
(decisions 1211, 1212).

The rules, each stated once:

- ``can``: the role → permission table;
- HR scope: ``unit_in_scope`` / ``check_unit_scope`` / ``filter_units_in_scope`` /
  ``filter_in_scope`` and the officer's starting unit ``officer_root``;
- certificates: ``can_manage_certificate`` (HR within scope, admin);
- courses: ``manages_course`` / ``managed_courses`` (admins and the course's trainer
  authors) and ``can_view_course`` (who may see a course's learner pages).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, NoReturn, Protocol, TypeVar

from flask import Flask, abort, current_app, request
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session, object_session

from lms.auth.models import Role, User
from lms.core.registry import Registry
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
    ADMIN_LTI = "admin:lti:manage"
    ADMIN_API = "admin:api:manage"


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
    # A page about the course in its URL: visitors too when that course is public
    # (``can_view_course``); for any other course a visitor is sent to log in, as for SIGNED_IN.
    COURSE_READER = "course-reader"
    SIGNED_IN = "signed-in"  # any signed-in account; shows only the viewer's own data or shared content
    OWNER = "owner"  # signed in; the object in the URL belongs to one learner (staff may also see it)
    STAFF = "staff"  # trainer, HR or admin permission; a plain learner is refused
    # Another system with a bearer API token (lms.api) holding ``scope``; the session cookie is
    # never read, so a signed-in browser gets 401 like anyone without a token (decision 1712).
    TOKEN = "token"  # noqa: S105 (an access level's name, not a secret)


@dataclass(frozen=True)
class Declared:
    level: Access
    permission: Permission | None = None
    reason: str = ""
    scope: str = ""  # TOKEN: the API scope the token must hold (e.g. "people:write")


# TOKEN views: the bearer check of lms.api (it knows the token table), called before the view;
# it aborts 401/403 with a problem document or returns None. A registry, as auth sits below api.
BearerCheck = Callable[[str], None]
BEARER_CHECKS: Registry[BearerCheck] = Registry(
    "auth.access.bearer", "(scope) -> None or abort 401/403: the API token check of Access.TOKEN views (api)."
)


F = TypeVar("F", bound=Callable[..., Any])

# Methods that never need a session (as in flask_login.login_required).
_EXEMPT_METHODS = frozenset({"OPTIONS"})


def access(
    level: Access, permission: Permission | None = None, *, reason: str = "", scope: str = ""
) -> Callable[[F], F]:
    """Declare and enforce who may reach a view: put it right under ``@bp.route``.

    PUBLIC needs a ``reason``. COURSE_READER lets visitors through to a view that loads the
    course in its URL and calls ``refuse_course()`` unless ``can_view_course`` (so only a public
    course opens without a session). Anonymous visitors of the other levels go to the login
    page (Flask-Login's unauthorized flow); signed-in users lacking ``permission`` get
    403. TOKEN views ask the registered bearer check for a token holding ``scope`` and
    never look at the session. A STAFF view without a permission is one whose staff are defined by the object
    in its URL (a course's authors): it loads the object (404) and then checks (403).
    """
    if level is Access.PUBLIC and (permission is not None or not reason.strip()):
        raise ValueError("a public endpoint needs a reason and no permission")
    if level is Access.COURSE_READER and permission is not None:
        raise ValueError("a course-reader page asks for no permission: can_view_course decides")
    if (level is Access.TOKEN) != bool(scope.strip()) or (level is Access.TOKEN and permission is not None):
        raise ValueError("a token endpoint names its API scope (and only token endpoints do)")
    declared = Declared(level, permission, reason, scope)

    def decorator(view: F) -> F:
        if level in (Access.PUBLIC, Access.COURSE_READER):
            view.lms_access = declared  # type: ignore[attr-defined]
            return view
        if level is Access.TOKEN:

            @wraps(view)
            def bearer(*args: Any, **kwargs: Any) -> Any:
                checks = BEARER_CHECKS.values()
                if not checks:  # no API feature installed: nobody gets in
                    abort(401)
                for check in checks:
                    check(scope)
                return view(*args, **kwargs)

            bearer.lms_access = declared  # type: ignore[attr-defined]
            return bearer  # type: ignore[return-value]

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

        user = current_user._get_current_object()  # once per render, not a proxy lookup per call
        return {
            "can": lambda perm: can(user, perm),
            "Permission": Permission,
            "nav_items": lambda: nav_items(lambda perm: can(user, perm)),
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


def filter_in_scope(stmt: S, user: User, unit_id_column: Any) -> S:
    """Restrict a SELECT of rows that carry a unit id (``unit_id_column``) to the user's subtree."""
    if user.has_role(Role.ADMIN):
        return stmt
    return filter_units_in_scope(stmt.join(OrgUnit, OrgUnit.id == unit_id_column), user)


def officer_root(session: Session, user: User) -> OrgUnit | None:
    """The unit an officer's pages start from: their scope unit, or the province root for admin."""
    if user.has_role(Role.ADMIN):
        return session.scalars(
            select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)
        ).first()
    return user.scope_unit


def officer_root_or_403(session: Session, user: User) -> OrgUnit:
    """``officer_root`` for a view: 403 when the officer has no unit to start from."""
    root = officer_root(session, user)
    if root is None:
        abort(403)
    return root


# --- certificates -----------------------------------------------------------------------------


class HasUnit(Protocol):
    @property
    def org_unit(self) -> OrgUnit | None: ...


def can_manage_certificate(user: Any, cert: HasUnit) -> bool:
    """HR with the certificates permission for certificates of their subtree; admin for all."""
    return can(user, Permission.MANAGE_CERTIFICATES) and unit_in_scope(user, cert.org_unit)


# --- courses ----------------------------------------------------------------------------------

PUBLISHED, ARCHIVED = "published", "archived"  # lms.catalog.models.CourseStatus values


class CourseLike(Protocol):
    """What the course rules read: lms.catalog.models.Course (``authors`` is its CourseAuthor rows)."""

    id: Any
    status: Any
    authors: Any
    is_public: Any


def manages_course(user: Any, course: CourseLike) -> bool:
    """Admins, and trainers listed as the course's authors: they edit it, see its drafts and statistics."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(Role.ADMIN):
        return True
    if not user.has_role(Role.TRAINER):
        return False
    cls = type(course)
    session = object_session(course)
    stmt = select(cls.id).where(cls.id == course.id, cls.authors.any(user_id=user.id))
    return session is not None and session.scalar(stmt) is not None


def managed_courses(user: Any, course_cls: Any) -> ColumnElement[bool]:
    """SQL filter on a course class: the courses ``user`` manages (see ``manages_course``)."""
    if user.has_role(Role.ADMIN):
        return true()
    if not user.has_role(Role.TRAINER):
        return false()
    return course_cls.authors.any(user_id=user.id)


EnrolmentCheck = Callable[[Session, Any, Any], bool]
ENROLMENT_CHECKS: Registry[EnrolmentCheck] = Registry(
    "auth.access.enrolled",
    "(session, user, course) -> is the user enrolled in the course? (learning) — keeps an archived "
    "course open to its learners.",
)


def register_enrolment_check(check: EnrolmentCheck) -> None:
    ENROLMENT_CHECKS.add(check)


def refuse_course(user: Any) -> NoReturn:
    """A COURSE_READER view's "no": a visitor is sent to log in, a signed-in user gets 404."""
    if not getattr(user, "is_authenticated", False):
        abort(current_app.login_manager.unauthorized())  # type: ignore[attr-defined]
    abort(404)


def can_view_course(user: Any, course: CourseLike, *, enrolled: bool | None = None) -> bool:
    """May user see the course's learner pages (outline, lessons, images, quizzes)?

    - published: every signed-in user; a published *public* course also every visitor
      (reading only: nothing is stored for someone who is not signed in);
    - draft: those who manage it (admins, its authors);
    - archived: those who manage it, and the learners enrolled in it (they keep what
      they studied and may finish it; nobody new may enrol).

    ``enrolled`` is the caller's answer when it already knows (saves a statement);
    otherwise the registered enrolment checks are asked, only for an archived course.
    """
    if not getattr(user, "is_authenticated", False):
        return course.status == PUBLISHED and bool(course.is_public)
    if course.status == PUBLISHED:
        return True
    if manages_course(user, course):
        return True
    if course.status != ARCHIVED:
        return False
    if enrolled is None:
        session = object_session(course)
        enrolled = session is not None and any(check(session, user, course) for check in ENROLMENT_CHECKS)
    return bool(enrolled)
