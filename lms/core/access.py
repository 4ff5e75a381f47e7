"""Who may reach each endpoint, declared once per feature and checked from the outside.

Every endpoint of the app is classified here by the feature that registers it,
in its ``init_app``::

    from lms.core.access import Access, declare_access

    declare_access(Access.SIGNED_IN, "learning.dashboard", "learning.course")
    declare_access(Access.OWNER, "quizzes.take", "quizzes.result")
    declare_access(Access.STAFF, "quizzes.stats")
    declare_access(Access.PUBLIC, "certificates.verify", reason="anyone checks a certificate's code")

``tests/core/test_access.py`` walks ``app.url_map`` with real objects and fails
for any endpoint that is not declared, so a new feature's routes are checked as
soon as they land:

- every non-PUBLIC endpoint sends an anonymous visitor to the login page;
- a plain learner gets 403/404 on STAFF endpoints and on another learner's
  OWNER objects (attempts, results, certificate PDFs).

The declaration documents intent; the views still enforce it (``@require``,
``login_required``, load-or-404 then check-or-403).
"""

from __future__ import annotations

from enum import StrEnum


class Access(StrEnum):
    PUBLIC = "public"  # anyone, without signing in (needs a reason)
    SIGNED_IN = "signed-in"  # any signed-in account; shows only the viewer's own data or shared content
    OWNER = "owner"  # signed in; the object in the URL belongs to one learner (staff may also see it)
    STAFF = "staff"  # trainer, HR or admin permission; a plain learner is refused


# endpoint -> (level, reason)
ACCESS: dict[str, tuple[Access, str]] = {}


def declare_access(level: Access, *endpoints: str, reason: str = "") -> None:
    """Classify endpoints; PUBLIC ones need a reason. Re-declaring must not change the level."""
    if level is Access.PUBLIC and not reason.strip():
        raise ValueError("a public endpoint needs a reason")
    for endpoint in endpoints:
        known = ACCESS.get(endpoint)
        if known is not None and known[0] is not level:
            raise ValueError(f"{endpoint} is already declared {known[0]}")
        ACCESS[endpoint] = (level, reason)


def access_of(endpoint: str) -> Access | None:
    known = ACCESS.get(endpoint)
    return known[0] if known else None


# The core's own endpoints.
declare_access(Access.PUBLIC, "static", reason="CSS, JS and fonts of every page, the login page included")
declare_access(Access.PUBLIC, "healthz", reason="load balancer health check; says only ok/unavailable")
