"""Role-based navigation: features register their menu entries in init_app()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, url_for
from flask_login import current_user

from lms.core.permissions import Permission, can


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy_gettext string
    endpoint: str
    permission: Permission


def register_nav(app: Flask, label: Any, endpoint: str, permission: Permission) -> None:
    app.extensions.setdefault("lms.nav", []).append(NavItem(label, endpoint, permission))


def nav_items_for(app: Flask) -> list[dict[str, str]]:
    return [
        {"label": str(item.label), "url": url_for(item.endpoint)}
        for item in app.extensions.get("lms.nav", [])
        if can(current_user, item.permission)
    ]
