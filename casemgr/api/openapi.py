"""Operations of the API, declared once: the decorator `operation` registers a view's
route, validates its query and body with the pydantic models it names, and records it for
the OpenAPI 3.1 document that `document()` builds from the same models.

Errors are RFC 9457 problem documents (`problem`); a pydantic validation error becomes a
422 with one `{field, message}` per problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from casemgr.api import schemas
from casemgr.auth.policy import can, deny
from casemgr.errors import MESSAGES

API_PREFIX = "/api/v1"
REF_TEMPLATE = "#/components/schemas/{model}"
# Every operation may answer these (authentication, rate limit, malformed requests).
COMMON_ERRORS = (400, 401, 403, 404, 405, 415, 422, 429)
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    tag: str
    description: str
    query: type[schemas.Query] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    public: bool = False
    path_types: dict[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


class ApiProblem(Exception):
    """An expected failure of an API request, answered as a problem document."""

    def __init__(self, status: int, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


def problem(status: int, detail: str | None = None, **extra: Any) -> Response:
    """An `application/problem+json` response (RFC 9457)."""
    title, default_detail = MESSAGES.get(status, MESSAGES[500])
    body = {"type": "about:blank", "title": str(title), "status": status,
            "detail": detail or str(default_detail), **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="casemgr"'
    return response


def field_errors(error: ValidationError, *, prefix: str = "") -> list[dict[str, str]]:
    """pydantic's errors as `{field, message}`, the field named by its JSON key."""
    errors = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        errors.append({"field": f"{prefix}{location}" if location else prefix.rstrip("."),
                       "message": message})
    return errors


def _path_types(rule: str) -> dict[str, str]:
    return {name: converter or "string" for converter, name in _CONVERTER.findall(rule)}


def operation(bp: Blueprint, method: str, rule: str, *, summary: str, tag: str,
              query: type[schemas.Query] | None = None, body: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200,
              errors: tuple[int, ...] = (), public: bool = False
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `view` for `method rule` on the blueprint and in the OpenAPI document.

    The view receives the validated `query=` and `body=` models; path ids beyond the
    database's integers are 404 without reaching it.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        op = Operation(method=method, rule=rule, endpoint=f"{bp.name}.{view.__name__}",
                       summary=summary, tag=tag, description=(view.__doc__ or "").strip(),
                       query=query, body=body, response=response, status=status,
                       errors=errors, public=public, path_types=_path_types(rule))

        action = getattr(view, "casemgr_action", None)

        @wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            # The role's right first, as the pages do: a 403 never depends on the body.
            if action is not None and not can(current_user, action):
                deny(action)
            for name, kind in op.path_types.items():
                if kind == "int" and not 1 <= kwargs[name] <= schemas.MAX_ID:
                    raise ApiProblem(404)
            if query is not None:
                try:
                    kwargs["query"] = query.model_validate(request.args.to_dict())
                except ValidationError as error:
                    raise ApiProblem(422, "The query parameters are not valid.",
                                     errors=field_errors(error)) from None
            if body is not None:
                kwargs["body"] = parse_body(body)
            return view(**kwargs)

        # The pages' login gate (a session) does not apply: the API authenticates every
        # request by its bearer token (casemgr.api.views.authenticate).
        wrapped.casemgr_public = True  # type: ignore[attr-defined]
        bp.add_url_rule(rule, view.__name__, wrapped, methods=[method])
        OPERATIONS.append(op)
        return wrapped

    return decorator


def parse_body(model: type[BaseModel]) -> Any:
    """The request's JSON body as `model`, or a 415/400/422 problem saying what is wrong."""
    if not request.is_json:
        raise ApiProblem(415)
    data = request.get_json(silent=True)
    if data is None:
        raise ApiProblem(400, "The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise ApiProblem(422, "The request body must be a JSON object.",
                         errors=[{"field": "", "message": "Expected a JSON object."}])
    try:
        # From the JSON text, so strict mode takes dates and enums from their JSON strings.
        return model.model_validate_json(request.get_data())
    except ValidationError as error:
        raise ApiProblem(422, "The request body is not valid.",
                         errors=field_errors(error)) from None


# --- the document --------------------------------------------------------------------------

def _openapi_path(rule: str) -> str:
    return _CONVERTER.sub(lambda match: "{" + match.group(2) + "}", rule)


def _problem_response(status: int) -> dict[str, Any]:
    title = MESSAGES.get(status, MESSAGES[500])[0]
    return {"description": str(title), "content": {"application/problem+json": {
        "schema": {"$ref": REF_TEMPLATE.format(model=schemas.Problem.__name__)}}}}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is either given or absent: its null alternative is dropped."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if len(branches) == 1 and len(schema["anyOf"]) == 2:
        rest = {key: value for key, value in schema.items()
                if key != "anyOf" and not (key == "default" and value is None)}
        return {**branches[0], **rest}
    return schema


def _parameters(op: Operation, definitions: dict[str, Any]) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for name, kind in op.path_types.items():
        schema: dict[str, Any] = ({"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID}
                                  if kind == "int" else {"type": "string"})
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    if op.query is not None:
        query_schema = definitions[op.query.__name__]
        for name, schema in query_schema.get("properties", {}).items():
            description = schema.pop("description", None)
            schema.pop("title", None)
            schema = _not_null(schema)
            parameter = {"name": name, "in": "query", "required": False, "schema": schema}
            if description:
                parameter["description"] = description
            parameters.append(parameter)
    return parameters


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every registered operation."""
    models: list[tuple[type[BaseModel], Any]] = [(schemas.Problem, "serialization")]
    for op in OPERATIONS:
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    refs, definitions = models_json_schema(models, ref_template=REF_TEMPLATE)
    components = definitions.get("$defs", {})
    # Query models are flattened into parameters, not published as components.
    query_definitions: dict[str, Any] = {}
    for op in OPERATIONS:
        if op.query is not None and op.query.__name__ not in query_definitions:
            query_schema = op.query.model_json_schema(ref_template=REF_TEMPLATE,
                                                      mode="validation")
            for name, definition in query_schema.pop("$defs", {}).items():
                components.setdefault(name, definition)
            query_definitions[op.query.__name__] = query_schema
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {}
        success: dict[str, Any] = {"description": "OK" if op.status == 200 else "Created"}
        if op.response is not None:
            success["content"] = {"application/json": {
                "schema": refs[(op.response, "serialization")]}}
        responses[str(op.status)] = success
        for status in sorted(set(() if op.public else COMMON_ERRORS) | set(op.errors)
                             | {405, 429}):
            responses[str(status)] = _problem_response(status)
        entry: dict[str, Any] = {
            "operationId": op.endpoint.replace(".", "_"), "summary": op.summary,
            "tags": [op.tag], "responses": responses,
            "parameters": _parameters(op, query_definitions)}
        if op.description:
            entry["description"] = op.description
        if op.public:
            entry["security"] = []
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": refs[(op.body, "validation")]}}}
        paths.setdefault(_openapi_path(API_PREFIX + op.rule), {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "casemgr JSON API", "version": "1",
                 "description": "Asylum case management. Bearer tokens carry their user's "
                                "role and scope; errors are RFC 9457 problem documents.",
                 "license": {"name": "AGPL-3.0-or-later",
                             "identifier": "AGPL-3.0-or-later"}},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "an API token (see /account/tokens)"}},
        },
        "x-rate-limit": current_app.config["API_RATE_LIMIT"],
    }
