"""The published OpenAPI of /v1, completed in one place from the routes themselves.

For each /v1 operation the refusals it can give are read off its dependencies and
parameters, each as RFC 9457 ``application/problem+json`` with one shared ``Problem``
schema and an example whose ``type`` and ``title`` come from ``api/errors.py``:

- signed in (``principal``, a browser session) → 401; a role check (``role_in``) → 403;
- ``Idempotency-Key`` required → 400 (missing), 409 (the first still running), 422 (the
  key reused for another request), and the header documented (format, scope, retention);
- a path parameter → 404 (also a foreign object's: never 403);
- a body or query → 422 (validation, pointing at the field);
- sign-in, PIN and activation (rate-limited by caller address or counted although they
  refuse) → 429 with ``Retry-After``; a PIN in the body → 423 when it is locked.

A route's own ``responses=`` descriptions are kept; only their content is filled in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from api.openapi_problems import (
    DESCRIPTIONS,
    EXAMPLES,
    IDEMPOTENCY_KEY,
    KINDS,
    PROBLEM_SCHEMA,
    problem_example,
)
from api.v1 import deps, idempotency

PROBLEM_JSON = "application/problem+json"
REF = {"$ref": "#/components/schemas/Problem"}


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that completes the generated document once."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(app, generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(app: FastAPI, spec: dict[str, Any]) -> dict[str, Any]:
    spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    _restore_nulls(spec["components"]["schemas"])
    for method, path, dependant in _operations(app):
        operation = spec["paths"][path][method.lower()]
        for status, slugs in refusals(dependant, operation, spec).items():
            _declare(operation, status, slugs)
        _refusals_already_declared(operation)
        _document_key(operation)
        _fill_success(operation)
    return spec


def _operations(app: FastAPI) -> Iterator[tuple[str, str, Dependant]]:
    for found in iter_route_contexts(app.routes):
        path = found.path_format or ""
        if isinstance(found.original_route, APIRoute) and path.startswith("/v1/"):
            if found.include_in_schema:
                for method in sorted(found.methods or ()):
                    yield method, path, found.dependant


def calls(dependant: Dependant) -> set[Callable[..., Any] | str]:
    """Every dependency of the route, however deep, by function (and by qualified name,
    for dependencies made by factories such as ``role_in``)."""
    found: set[Callable[..., Any] | str] = set()
    for sub in dependant.dependencies:
        if sub.call is not None:
            found |= {sub.call, getattr(sub.call, "__qualname__", "")}
        found |= calls(sub)
    return found


def _has_pin(schema: Any, spec: dict[str, Any], depth: int = 0) -> bool:
    """Whether a request body carries a PIN (a card's, a resident's), at any depth."""
    if depth > 8:
        return False
    if isinstance(schema, list):
        return any(_has_pin(item, spec, depth + 1) for item in schema)
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        return _has_pin(resolve(schema, spec), spec, depth + 1)
    if "pin" in schema.get("properties", {}):
        return True
    return any(_has_pin(value, spec, depth + 1) for value in schema.values())


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """A local ``$ref`` followed (``#/components/schemas/Name``)."""
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def refusals(
    dependant: Dependant, operation: dict[str, Any], spec: dict[str, Any]
) -> dict[int, list[str]]:
    """Status → problem types the operation can answer, from what it depends on."""
    used, answers = calls(dependant), dict[int, list[str]]()
    params = operation.get("parameters", [])
    names = {str(c) for c in used if isinstance(c, str)}
    if deps.principal in used or any("browser_session" in n for n in names):
        answers[401] = ["unauthenticated"]
    if any(n.startswith("role_in.") for n in names):
        answers[403] = ["not-permitted"]
    if idempotency.required_key in used:
        answers[400] = ["idempotency-key-missing"]
        answers[409] = ["request-in-progress"]
        answers[422] = ["idempotency-key-reused"]
    if any(p.get("in") == "path" for p in params):
        answers[404] = ["not-found"]
    if "requestBody" in operation or any(p.get("in") in ("query", "header") for p in params):
        answers.setdefault(422, []).insert(0, "validation")
    if deps.get_session_kept_on_error in used:  # sign-in: a wrong password, PIN or code
        answers.setdefault(401, ["unauthenticated"])
    pin = _has_pin(operation.get("requestBody", {}), spec)
    if deps.client_ip in used or pin:
        answers[429] = ["rate-limited"]
    if pin:  # a wrong PIN: show the PIN pad again; too many: the city office unlocks
        answers.setdefault(422, []).append("wrong-pin")
        answers[423] = ["pin-locked"]
    return answers


_NAMED = re.compile(r"`([a-z-]+)`")


def _declare(operation: dict[str, Any], status: int, slugs: list[str]) -> None:
    """The status as problem+json, keeping a description the route wrote itself (and an
    example of each problem type it names there)."""
    responses = operation.setdefault("responses", {})
    answer = responses.setdefault(str(status), {})
    if not answer.get("description") or answer["description"] == "Validation Error":
        answer["description"] = DESCRIPTIONS.get(status, "Refused; see `type`.")
    named = _NAMED.findall(answer["description"])
    slugs = [*slugs, *(n for n in named if n in EXAMPLES and KINDS[n][0] == status)]
    slugs = list(dict.fromkeys(slugs))
    examples = {slug: {"summary": KINDS[slug][1], "value": problem_example(slug)} for slug in slugs}
    answer["content"] = {PROBLEM_JSON: {"schema": REF, "examples": examples}}
    if status == 429:
        answer["headers"] = {"Retry-After": RETRY_AFTER}
    if status == 401:
        answer["headers"] = {"WWW-Authenticate": AUTHENTICATE}


RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}
AUTHENTICATE = {"description": "`Bearer`: send an access token.", "schema": {"type": "string"}}


def _refusals_already_declared(operation: dict[str, Any]) -> None:
    """Statuses a route declared itself (409 …): problem+json too, with a plain example."""
    for status, answer in operation.get("responses", {}).items():
        if (
            status.isdigit()
            and int(status) >= 400
            and PROBLEM_JSON not in answer.get("content", {})
        ):
            slug = next(
                (s for s, (code, _) in KINDS.items() if code == int(status) and s in EXAMPLES),
                None,
            )
            examples = (
                {slug: {"summary": KINDS[slug][1], "value": problem_example(slug)}} if slug else {}
            )
            answer["content"] = {
                PROBLEM_JSON: {"schema": REF, **({"examples": examples} if examples else {})}
            }


def _document_key(operation: dict[str, Any]) -> None:
    for param in operation.get("parameters", []):
        if param.get("in") == "header" and param.get("name", "").lower() == "idempotency-key":
            param.update(
                name="Idempotency-Key",
                required=True,
                description=IDEMPOTENCY_KEY,
                schema={"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-~]+$"},
                example="5f0c6a52-3b1e-4a57-9d0b-2f6f8f1c9e41",
            )


def _fill_success(operation: dict[str, Any]) -> None:
    """A file or stream answer (SVG, PNG, CSV, HTML) gets a schema saying what it is."""
    for status, answer in operation.get("responses", {}).items():
        if status.startswith("2"):
            for media, content in answer.get("content", {}).items():
                if "itemSchema" in content:  # OpenAPI 3.2 (FastAPI's SSE): an extension in 3.1
                    content["x-itemSchema"] = content.pop("itemSchema")
                if "json" not in media and not content.get("schema"):
                    content["schema"] = {"type": "string", "contentMediaType": media}


def _models(base: type[BaseModel] = BaseModel) -> Iterator[type[BaseModel]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _models(sub)


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    return [_without_none(v) for v in value] if isinstance(value, list) else value


def _restore_nulls(schemas: dict[str, Any]) -> None:
    """FastAPI drops every null from the document, also from the models' examples (a
    ``"decided_at": null`` then fails its own schema): put the models' own examples back."""
    by_name: dict[str, list[Any]] = {}
    for model in _models():
        extra = model.model_config.get("json_schema_extra")
        if isinstance(extra, dict) and isinstance(extra.get("examples"), list):
            by_name.setdefault(model.__name__, []).append(extra["examples"])
    for schema in schemas.values():
        for examples in by_name.get(str(schema.get("title")), []):
            if schema.get("examples") == _without_none(examples):
                schema["examples"] = examples
