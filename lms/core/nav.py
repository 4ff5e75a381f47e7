"""Role-based navigation: features register their menu entries in init_app()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for

from lms.core.registry import Registry


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy_gettext string
    endpoint: str
    permission: Any  # what the viewer needs (a Permission); judged by the caller


NAV: Registry[NavItem] = Registry("core.nav", "Menu entries: label, endpoint, permission needed to see it.")


def register_nav(label: Any, endpoint: str, permission: Any) -> None:
    NAV.add(NavItem(label, endpoint, permission), endpoint)


def nav_items(allowed: Callable[[Any], bool]) -> list[dict[str, str]]:
    """The menu entries whose permission ``allowed`` grants, in registration (``FEATURES``) order."""
    return [
        {"label": str(item.label), "url": url_for(item.endpoint)} for item in NAV if allowed(item.permission)
    ]
