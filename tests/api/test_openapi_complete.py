"""The published OpenAPI of /v1 is complete: every operation says what it answers on
success (a schema, and an example), which refusals it can give (problem+json, one shared
Problem schema), and the document is valid OpenAPI 3.1."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI
from schemathesis.specs.openapi import definitions

from api.main import create_app
from api.openapi_docs import PROBLEM_JSON, calls, resolve
from api.v1 import deps, idempotency
from currency.settings import Settings
from tests.api.v1.world import v1_routes

# Route modules whose models other helpers are still writing: examples pending. The lead
# empties this list once they have landed (then every /v1 model needs its example).
EXAMPLES_PENDING: set[str] = set()


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings())


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(app: FastAPI, spec: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    from fastapi.routing import APIRoute, iter_route_contexts

    found = []
    for context in iter_route_contexts(app.routes):
        path = context.path_format or ""
        if isinstance(context.original_route, APIRoute) and path.startswith("/v1/"):
            for method in sorted(context.methods or ()):
                operation = spec["paths"][path][method.lower()]
                found.append((f"{method} {path}", operation, context))
    return found


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    errors = [str(e)[:300] for e in definitions.OPENAPI_31_VALIDATOR.iter_errors(spec)]
    assert spec["openapi"].startswith("3.1") and not errors, errors


def test_every_operation_answers_success_with_a_schema(app: FastAPI, spec: dict[str, Any]) -> None:
    missing = []
    for label, operation, _ in operations(app, spec):
        (status, answer), *_ = [(s, a) for s, a in operation["responses"].items() if s[0] == "2"]
        if status == "204":
            continue
        content = answer.get("content", {})
        if not content or not all(media.get("schema") for media in content.values()):
            missing.append(label)
    assert not missing, missing


def test_every_refusal_an_operation_can_give_is_declared_as_problem_json(
    app: FastAPI, spec: dict[str, Any]
) -> None:
    wrong = []
    for label, operation, context in operations(app, spec):
        used, responses = calls(context.dependant), operation["responses"]
        names = {c for c in used if isinstance(c, str)}
        expected = {"401"} if deps.principal in used else set()
        expected |= {"403"} if any(n.startswith("role_in.") for n in names) else set()
        expected |= {"400", "409", "422"} if idempotency.required_key in used else set()
        expected |= {"404"} if "{" in label else set()
        expected |= {"422"} if "requestBody" in operation else set()
        wrong += [f"{label}: {s} undeclared" for s in expected - responses.keys()]
        for status, answer in responses.items():
            media = answer.get("content", {})
            if status >= "400" and set(media) != {PROBLEM_JSON}:
                wrong.append(f"{label}: {status} is not problem+json only")
            elif status >= "400" and media[PROBLEM_JSON]["schema"] != {"$ref": _PROBLEM}:
                wrong.append(f"{label}: {status} does not use the Problem schema")
    assert not wrong, "\n".join(wrong)


_PROBLEM = "#/components/schemas/Problem"


def test_rate_limited_sign_in_declares_retry_after_and_pins_declare_the_lock(
    spec: dict[str, Any],
) -> None:
    for path in ("/v1/auth/login", "/v1/auth/resident"):
        answer = spec["paths"][path]["post"]["responses"]["429"]
        assert "Retry-After" in answer["headers"]
    assert "423" in spec["paths"]["/v1/merchant/payments"]["post"]["responses"]


def test_the_idempotency_key_is_documented_where_value_moves(spec: dict[str, Any]) -> None:
    header = next(
        p for p in spec["paths"]["/v1/me/transfers"]["post"]["parameters"]
        if p["name"] == "Idempotency-Key"
    )  # fmt: skip
    assert header["required"] and "24 hours" in header["description"]
    assert "principal" in header["description"]


def test_every_example_of_a_refusal_is_a_valid_problem(app: FastAPI, spec: dict[str, Any]) -> None:
    problem = _validator(spec, {"$ref": _PROBLEM})
    for label, operation, _ in operations(app, spec):
        for status, answer in operation["responses"].items():
            for example in (
                answer.get("content", {}).get(PROBLEM_JSON, {}).get("examples", {}).values()
            ):
                assert problem.is_valid(example["value"]), (label, status)
                assert example["value"]["status"] == int(status), (label, status)


def test_every_request_and_answer_has_a_valid_example(app: FastAPI, spec: dict[str, Any]) -> None:
    missing, invalid = [], []
    for label, operation, context in operations(app, spec):
        if context.original_route.endpoint.__module__ in EXAMPLES_PENDING:
            continue
        success = next(a for s, a in operation["responses"].items() if s[0] == "2")
        bodies = [operation.get("requestBody", {}), success]
        for media in (b.get("content", {}).get("application/json") for b in bodies):
            if media is None:
                continue
            examples = _examples(media["schema"], spec)
            missing += [label] if not examples else []
            check = _validator(spec, media["schema"])
            invalid += [label for e in examples if not check.is_valid(e)]
    assert not missing, f"no example: {missing}"
    assert not invalid, f"an example not matching its schema: {invalid}"


def _examples(schema: dict[str, Any], spec: dict[str, Any]) -> list[Any]:
    """The examples of a schema, of its items (a list), or of each of its choices."""
    schema = resolve(schema, spec)
    if schema.get("examples"):
        return list(schema["examples"])
    if schema.get("type") == "array":
        return [[e] for e in _examples(schema["items"], spec)]
    choices = [_examples(c, spec) for c in schema.get("anyOf", [])]
    return [e for c in choices for e in c] if choices and all(choices) else []


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for({**schema, "components": spec["components"]})


def test_every_v1_route_is_covered(app: FastAPI, spec: dict[str, Any]) -> None:
    assert {label for label, _, _ in operations(app, spec)} == {
        f"{m} {p}" for m, p in v1_routes(app)
    }
