"""YAML that remembers line numbers, and a small strict schema check.

Course files are written by people; an error must name the file, the line and
the field. PyYAML's composer gives nodes with positions; we convert them to
plain Python and keep ``{("modules", 0, "title"): line}`` beside the data.
Duplicate keys are errors (PyYAML would silently keep the last one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from lms.catalog.parts import ImportErrors

Path_ = tuple[str | int, ...]


def N_(message: str) -> str:  # noqa: N802  (gettext marker: extracted, translated when shown)
    return message


@dataclass
class YamlDoc:
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, *path: str | int) -> int | None:
        """Line (1-based) of the value at path, else of its nearest parent."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def field_name(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_yaml(text: str, file: str, errors: ImportErrors, *, line_offset: int = 0) -> YamlDoc | None:
    """Parse text; on a syntax error add a problem (with its line) and return None."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        errors.add(file, line, "", N_("YAML syntax error: %(detail)s"), detail=str(exc.problem or exc))
        return None
    except yaml.YAMLError as exc:
        errors.add(file, None, "", N_("YAML syntax error: %(detail)s"), detail=str(exc))
        return None
    doc = YamlDoc(None)
    if node is None:
        doc.data = None
        return doc
    loader = yaml.SafeLoader("")

    def convert(n: yaml.Node, path: Path_) -> Any:
        doc.lines[path] = n.start_mark.line + 1 + line_offset
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                key = loader.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    errors.add(
                        file,
                        key_node.start_mark.line + 1 + line_offset,
                        field_name((*path, key)),
                        N_("duplicate key"),
                    )
                out[key] = convert(value_node, (*path, key))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [convert(item, (*path, i)) for i, item in enumerate(n.value)]
        return loader.construct_object(n, deep=True)

    try:
        doc.data = convert(node, ())
    except yaml.YAMLError as exc:
        errors.add(file, None, "", N_("YAML syntax error: %(detail)s"), detail=str(exc))
        return None
    return doc


SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Field:
    """One key of a mapping: its type(s), whether required, default, extra check."""

    types: tuple[type, ...]
    required: bool = False
    default: Any = None
    # Returns None, an English msgid, or (msgid, params).
    check: Callable[[Any], str | tuple[str, dict[str, Any]] | None] | None = None


def check_mapping(
    doc: YamlDoc,
    value: Any,
    path: Path_,
    spec: dict[str, Field],
    file: str,
    errors: ImportErrors,
) -> dict[str, Any] | None:
    """Validate value against spec; return the values with defaults filled in."""
    if not isinstance(value, dict):
        errors.add(file, doc.line(*path), field_name(path), N_("must be a mapping (key: value)"))
        return None
    out: dict[str, Any] = {}
    ok = True
    for key in value:
        if key not in spec:
            errors.add(
                file,
                doc.line(*path, key),
                field_name((*path, key)),
                N_("unknown key (allowed: %(allowed)s)"),
                allowed=", ".join(spec),
            )
            ok = False
    for key, f in spec.items():
        where = (*path, key)
        if key not in value or value[key] is None:
            if f.required:
                errors.add(file, doc.line(*path), field_name(where), N_("missing required key"))
                ok = False
            out[key] = f.default
            continue
        v = value[key]
        # bool is an int in Python; keep them apart.
        wrong = not isinstance(v, f.types) or (isinstance(v, bool) and bool not in f.types)
        if wrong:
            errors.add(file, doc.line(*where), field_name(where), _type_message(f.types))
            ok = False
            continue
        if f.check is not None:
            problem = f.check(v)
            if problem:
                msg, params = problem if isinstance(problem, tuple) else (problem, {})
                errors.add(file, doc.line(*where), field_name(where), msg, **params)
                ok = False
                continue
        out[key] = v
    return out if ok else None


def _type_message(types: tuple[type, ...]) -> str:
    if float in types:
        return N_("must be a number")
    if int in types:
        return N_("must be an integer")
    if bool in types:
        return N_("must be true or false")
    if list in types:
        return N_("must be a list")
    if dict in types:
        return N_("must be a mapping (key: value)")
    return N_("must be text")


def one_of(*choices: str) -> Callable[[Any], tuple[str, dict[str, Any]] | None]:
    def check(v: Any) -> tuple[str, dict[str, Any]] | None:
        if v in choices:
            return None
        return N_("must be one of: %(choices)s"), {"choices": ", ".join(choices)}

    return check


def non_empty(v: Any) -> str | None:
    return None if str(v).strip() else N_("must not be empty")


def positive(v: Any) -> str | None:
    return None if v > 0 else N_("must be greater than 0")


def not_negative(v: Any) -> str | None:
    return None if v >= 0 else N_("must be 0 or more")


def slug(v: Any) -> str | None:
    if SLUG_RE.match(v) and len(v) <= 100:
        return None
    return N_("must be lower-case letters, digits and dashes")
