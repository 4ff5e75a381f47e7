"""API operations declared once in code: request validation, response models, OpenAPI 3.1.

A view states its query, body and response models with ``@operation``; the decorator
validates the request (pydantic) before the view runs (422 problem document on bad input)
and serialises the model the view returns. ``openapi()`` builds the OpenAPI 3.1 document
from the URL map and those declarations; pydantic's JSON Schema (draft 2020-12) is what
OpenAPI 3.1 uses, so the schemas are copied as they are (decision 1713).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import Flask, abort, request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from lms.core.errors import problem

F = TypeVar("F", bound=Callable[..., Any])
REF = "#/components/schemas/{model}"
API_ROOT = "/api/v1"


class Problem(BaseModel):
    """RFC 9457 problem details, as every /api error is answered."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    error: int | None = None
    message: str | None = None
    errors: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Operation:
    summary: str
    response: type[BaseModel]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = field(default=(401, 403, 429))


def _problem_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]), "code": err["type"], "message": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def invalid(errors: list[dict[str, Any]], detail: str | None = None) -> NoReturn:
    """Stop with 422: the values named in ``errors`` are not valid."""
    abort(problem(422, detail or _("Some values are not valid."), errors=errors))


def operation(
    summary: str,
    *,
    response: type[BaseModel],
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    status: int = 200,
) -> Callable[[F], F]:
    """Declare an API operation (put it under ``@access``): the view gets ``query=``/``body=``."""
    errors = (401, 403, 422, 429) if query or body else (401, 403, 429)
    op = Operation(summary, response, query, body, status, errors)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if query is not None:
                try:
                    kwargs["query"] = query.model_validate(request.args.to_dict())
                except ValidationError as exc:
                    invalid(_problem_errors(exc))
            if body is not None:
                if not request.is_json:
                    abort(415)
                data = request.get_json(silent=True)
                if data is None:
                    abort(problem(400, _("The request body is not valid JSON.")))
                try:
                    kwargs["body"] = body.model_validate(data)
                except ValidationError as exc:
                    invalid(_problem_errors(exc))
            result = view(*args, **kwargs)
            answer = response.model_validate(result) if not isinstance(result, response) else result
            out = Flask.response_class(answer.model_dump_json(), status=status, mimetype="application/json")
            return out

        wrapped.lms_api = op  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def _schema(model: type[BaseModel], components: dict[str, Any], mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _parameters(model: type[BaseModel], components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF, mode="validation")
    components.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        description = prop.pop("description", "")
        prop.pop("title", None)
        params.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "description": description,
                "schema": prop,
            }
        )
    return params


def openapi(app: Flask, *, title: str, version: str, description: str, server: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every ``@operation`` view in the URL map."""
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    problem_ref = _schema(Problem, components, "serialization")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op: Operation | None = getattr(view, "lms_api", None)
        if op is None:
            continue
        declared = getattr(view, "lms_access", None)
        scope = getattr(declared, "scope", "")
        path = rule.rule.removeprefix(API_ROOT).replace("<", "{").replace(">", "}")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            entry: dict[str, Any] = {
                "operationId": rule.endpoint.replace(".", "_") + "_" + method.lower(),
                "summary": op.summary,
                "description": (view.__doc__ or "").strip() if view else "",
                "security": [{"bearer": [scope]}] if scope else [],
                "responses": {
                    str(op.status): {
                        "description": "OK",
                        "content": {
                            "application/json": {"schema": _schema(op.response, components, "serialization")}
                        },
                    },
                    **{
                        str(code): {
                            "description": HTTP_REASONS.get(code, "Error"),
                            "content": {"application/problem+json": {"schema": problem_ref}},
                        }
                        for code in (*op.errors, *((400, 415) if op.body else ()))
                    },
                    "default": {
                        "description": "Any other error (404, 405, 500, 503)",
                        "content": {"application/problem+json": {"schema": problem_ref}},
                    },
                },
            }
            if scope:
                entry["x-scope"] = scope
            if op.query is not None:
                entry["parameters"] = _parameters(op.query, components)
            if op.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": _schema(op.body, components, "validation")}},
                }
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token made by an administrator: lms_<prefix>_<secret>.",
                }
            },
        },
    }


HTTP_REASONS = {
    400: "Bad request",
    401: "No valid token",
    403: "The token lacks the scope, or the unit is outside its subtree",
    404: "Not found",
    415: "Not JSON",
    422: "Invalid values",
    429: "Too many requests for this token",
}
