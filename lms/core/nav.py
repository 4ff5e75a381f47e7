"""Role-based navigation: features register their menu entries in init_app()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, url_for


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy_gettext string
    endpoint: str
    permission: Any  # what the viewer needs; judged by the caller's `allowed`


def register_nav(app: Flask, label: Any, endpoint: str, permission: Any) -> None:
    app.extensions.setdefault("lms.nav", []).append(NavItem(label, endpoint, permission))


def nav_items_for(app: Flask, allowed: Callable[[Any], bool]) -> list[dict[str, str]]:
    return [
        {"label": str(item.label), "url": url_for(item.endpoint)}
        for item in app.extensions.get("lms.nav", [])
        if allowed(item.permission)
    ]
