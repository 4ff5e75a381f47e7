"""Role-based navigation: features register their menu entries in init_app()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from flask_babel import get_locale

from lms.core.registry import Registry


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy_gettext string
    endpoint: str
    permission: Any  # what the viewer needs (a Permission); judged by the caller


NAV: Registry[NavItem] = Registry("core.nav", "Menu entries: label, endpoint, permission needed to see it.")


def register_nav(label: Any, endpoint: str, permission: Any) -> None:
    NAV.add(NavItem(label, endpoint, permission), endpoint)


# (entries shown, locale, URL prefix) -> the menu: the same few menus for everyone, built once per
# process instead of per page (each entry's label is a lazy translation, its URL a url_for).
_BUILT: dict[tuple[tuple[str, ...], str, str], list[dict[str, str]]] = {}


def nav_items(allowed: Callable[[Any], bool]) -> list[dict[str, str]]:
    """The menu entries whose permission ``allowed`` grants, in registration (``FEATURES``) order."""
    shown = tuple(item.endpoint for item in NAV if allowed(item.permission))
    key = (shown, str(get_locale()), request.script_root)
    menu = _BUILT.get(key)
    if menu is None:
        by_endpoint = {item.endpoint: item for item in NAV}
        menu = [{"label": str(by_endpoint[e].label), "url": url_for(e)} for e in shown]
        _BUILT[key] = menu
    return [dict(entry) for entry in menu]  # copies: a template may not change the shared menu
