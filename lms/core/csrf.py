"""CSRF policy: every POST needs a token, except views declared here with a reason.

Forms carry the token as a hidden field; JavaScript (e.g. quiz autosave) sends
it in the ``X-CSRFToken`` header, read from ``<meta name="csrf-token">`` in
base.html — so JSON endpoints used by our own pages do NOT need an exemption.
Exempt only endpoints that never rely on the session cookie (token-authenticated
API for other systems)::

    from lms.core.csrf import csrf_exempt

    @bp.route("/api/v1/verify", methods=["POST"])
    @csrf_exempt("token-authenticated API; no cookie session")
    def verify(): ...

The test ``tests/core/test_csrf.py`` POSTs to every POST route without a token
and expects 400 unless the view is in ``EXEMPT``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from lms.core.registry import Registry
from lms.extensions import csrf

F = TypeVar("F", bound=Callable[..., Any])

# "module.function" of each exempt view -> why it is exempt.
EXEMPT: Registry[str] = Registry("core.csrf_exempt", "Views exempt from CSRF checks, with the reason.")


def view_key(view: Callable[..., Any]) -> str:
    return f"{view.__module__}.{view.__name__}"


def csrf_exempt(reason: str) -> Callable[[F], F]:
    """Exempt a view from CSRF checking; the reason is required and listed in EXEMPT."""
    if not reason.strip():
        raise ValueError("a CSRF exemption needs a reason")

    def decorator(view: F) -> F:
        EXEMPT.add(reason, view_key(view))
        csrf.exempt(view)
        return view

    return decorator


def is_exempt(view: Callable[..., Any]) -> bool:
    return view_key(view) in EXEMPT
