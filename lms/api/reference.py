"""The HR API reference page, drawn server-side from the OpenAPI document (decision 1717).

Pure functions over the spec dict: a list of operations (parameters, body, responses) and of
schemas (properties), with each JSON Schema shortened to a readable type such as
``string (date-time) | null`` or ``array of PersonOut``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str
    where: str = ""  # a parameter's place: query, path, header


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    scope: str
    parameters: list[Field]
    body: str
    responses: list[tuple[str, str, str]]  # (status, description, type)


@dataclass(frozen=True)
class Schema:
    name: str
    description: str
    properties: list[Field] = field(default_factory=list)


def type_of(schema: dict[str, Any]) -> str:
    """A short readable type for a JSON Schema (as pydantic writes them)."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(type_of(s) for s in schema[key])
    if "enum" in schema:
        return " | ".join(repr(v) if isinstance(v, str) else str(v) for v in schema["enum"])
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind == "array":
        return "array of " + type_of(schema.get("items", {}))
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def _content_type(content: dict[str, Any] | None) -> str:
    for media in (content or {}).values():
        if "schema" in media:
            return type_of(media["schema"])
    return ""


def operations(spec: dict[str, Any]) -> list[Operation]:
    base = (spec.get("servers") or [{"url": ""}])[0]["url"].rstrip("/")
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                Field(
                    p["name"],
                    type_of(p.get("schema", {})),
                    bool(p.get("required")),
                    p.get("description", ""),
                    p.get("in", ""),
                )
                for p in op.get("parameters", [])
            ]
            out.append(
                Operation(
                    anchor=op.get("operationId") or f"{method}-{path}",
                    method=method.upper(),
                    path=base + path,
                    summary=op.get("summary", ""),
                    description=" ".join(op.get("description", "").split()),
                    scope=op.get("x-scope", ""),
                    parameters=params,
                    body=_content_type((op.get("requestBody") or {}).get("content")),
                    responses=[
                        (status, r.get("description", ""), _content_type(r.get("content")))
                        for status, r in op.get("responses", {}).items()
                    ],
                )
            )
    return out


def schemas(spec: dict[str, Any]) -> list[Schema]:
    out = []
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        required = set(schema.get("required", []))
        props = [
            Field(p, type_of(s), p in required, " ".join(s.get("description", "").split()))
            for p, s in schema.get("properties", {}).items()
        ]
        out.append(Schema(name, " ".join(schema.get("description", "").split()), props))
    return out
