"""Role-based navigation: features register their menu entries in init_app()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_login import current_user

from lms.core.permissions import Permission, can
from lms.core.registry import Registry


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy_gettext string
    endpoint: str
    permission: Permission


NAV: Registry[NavItem] = Registry("core.nav", "Menu entries: label, endpoint, permission needed to see it.")


def register_nav(label: Any, endpoint: str, permission: Permission) -> None:
    NAV.add(NavItem(label, endpoint, permission), endpoint)


def nav_items() -> list[dict[str, str]]:
    """The menu entries the current user may see, in registration (``FEATURES``) order."""
    return [
        {"label": str(item.label), "url": url_for(item.endpoint)}
        for item in NAV
        if can(current_user, item.permission)
    ]
