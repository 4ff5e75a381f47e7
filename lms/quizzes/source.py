"""Reading quiz files: a YAML loader that remembers lines, and the checker that reports problems.

Problems go to the importer's ``ImportErrors`` with the file, the line of the
offending key and a dotted path (``questions[2].options[0].text``), so one
pass reports every mistake of a file.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from lms.catalog.parts import ImportErrors
from lms.core.html import render_markdown
from lms.core.text import nfc

ID_RE = re.compile(r"^[a-z0-9-]+$")


class LineDict(dict):
    """A mapping that remembers the line of each key (1-based)."""

    line: int = 0
    lines: dict[str, int]


class Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[str(key)] = key_node.start_mark.line + 1
    return result


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Checker:
    """Typed reads of one file's nodes; each problem is recorded and a safe default returned."""

    def __init__(self, errors: ImportErrors, file: str) -> None:
        self.errors = errors
        self.file = file
        self.ok = True

    def error(self, node: Any, key: str | None, path: str, message: str) -> None:
        line = None
        if isinstance(node, LineDict):
            line = node.lines.get(key, node.line) if key else node.line
        self.errors.add(self.file, line, path, message)
        self.ok = False

    def keys(self, node: Any, path: str, allowed: set[str], required: set[str]) -> bool:
        if not isinstance(node, dict):
            self.error(node, None, path, "must be a mapping")
            return False
        for key in node:
            if key not in allowed:
                self.error(node, str(key), f"{path}.{key}" if path else str(key), "unknown key")
        for key in sorted(required - set(node)):
            self.error(node, None, f"{path}.{key}" if path else key, "missing key")
        return True

    def text(self, node: dict, key: str, path: str, *, required: bool = True) -> str:
        value = node.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(node, key, path, "must be non-empty text")
            return ""
        return nfc(value.strip())

    def boolean(self, node: dict, key: str, path: str, default: bool) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            self.error(node, key, path, "must be true or false")
            return default
        return value

    def integer(self, node: dict, key: str, path: str, default: int, lo: int, hi: int | None = None) -> int:
        value = node.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < lo
            or (hi is not None and value > hi)
        ):
            bound = f"{lo}–{hi}" if hi is not None else f">= {lo}"
            self.error(node, key, path, f"must be an integer {bound}")
            return default
        return value

    def text_list(self, node: dict, key: str, path: str, minimum: int, message: str) -> list[str]:
        """A list of at least ``minimum`` non-empty texts (NFC, trimmed), or [] with ``message``."""
        value = node.get(key)
        if (
            not isinstance(value, list)
            or len(value) < minimum
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            self.error(node, key, f"{path}.{key}", message)
            return []
        return [nfc(v.strip()) for v in value]

    def rows(self, node: dict, key: str, path: str, minimum: int, message: str) -> list[Any]:
        """A list of at least ``minimum`` entries (each checked by the caller), or [] with ``message``."""
        value = node.get(key)
        if not isinstance(value, list) or len(value) < minimum:
            self.error(node, key, f"{path}.{key}", message)
            return []
        return value


def _absolute_only(url: str) -> str | None:
    """Quiz text may link to the web; relative links and images are not served for quizzes."""
    return url if url.startswith(("https://", "http://", "mailto:")) else None


def render_text(text: str, *, inline: bool = False) -> str:
    """Markdown → sanitised HTML for quiz text (lms.core.html does the sanitising)."""
    return render_markdown(text, inline=inline, rewrite_url=_absolute_only) if text else ""
