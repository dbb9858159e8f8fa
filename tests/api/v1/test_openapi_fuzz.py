"""Generated requests against the published OpenAPI of /v1: no answer may be a server error,
and every answer must match the schema the OpenAPI documents for its status.

Schemathesis (inside pytest) generates requests to every /v1 operation, as a signed-in
resident, as a shop owner and as a staff member, and checks the answers. Hypothesis is
derandomized: the same requests every run. The requests go through the test's own ASGI
client because the app must use the test's database session, which lives on this event loop
(schemathesis's ASGI transport would run the app on a thread of its own). Each request is
rolled back after it.

Text with a NUL byte is left out of the generated data and probed on its own instead, at
every text a route reads (query, path, body): PostgreSQL cannot hold U+0000, and the places
where it reaches the database are listed as a known bug below.

Every answer's status and content type must be one the OpenAPI declares for the operation
(``status_code_conformance``, ``content_type_conformance``). A check left out, and why:
``positive_data_acceptance`` — routes refuse (422) many schema-valid requests for reasons a
schema cannot say, on purpose: a resident number's format, a cursor the service did not make,
``1.0`` for a strict integer amount (JSON Schema's "integer" allows it), either/or bodies.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from httpx import AsyncClient, Response
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.test_auth_matrix import EXPECTED, PUBLIC
from tests.api.v1.world import (
    ROLE_CALLER,
    World,
    counter_work,
    minimal,
    open_world,
    resolved,
    v1_routes,
)

EXAMPLES = 20  # per operation the caller's role may use
REFUSED_EXAMPLES = 3  # per operation refused to the role (403 whatever the data)
CHECKS = [
    not_a_server_error, response_schema_conformance, response_headers_conformance,
    status_code_conformance, content_type_conformance,
]  # fmt: skip
NUL = "a\x00b"
PARAM = re.compile(r"\{(\w+)\}")
# Where a NUL byte would reach PostgreSQL (asyncpg CharacterNotInRepertoireError, once a
# 500): route → the part of the request that carries it. api/nul_guard.py refuses them.
NUL_IS_A_500 = {
    ("POST /v1/auth/login", "body username"),
    ("POST /v1/auth/resident", "body resident_number"),
    ("POST /v1/me/transfers", "body to_resident_number"),
    ("POST /v1/staff/charges", "body resident_number"),
    ("POST /v1/staff/charges", "body reference"),
    ("POST /v1/staff/grants", "body resident_number"),
    ("POST /v1/staff/residents", "body name"),
    ("POST /v1/staff/residents", "body name_kana"),
    ("POST /v1/staff/residents", "body district"),
    ("GET /v1/staff/residents/{number}", "path number"),
    ("POST /v1/staff/residents/{number}/verify", "body method"),
    ("POST /v1/staff/residents/{number}/status", "body reason"),
    ("POST /v1/staff/residents/{number}/cards", "path number"),
    ("POST /v1/staff/residents/{number}/pin", "path number"),
    ("POST /v1/staff/cards/{card_number}/block", "body reason"),
    ("GET /v1/staff/rules", "query code"),
    ("POST /v1/staff/rules/{rule_id}/reject", "body reason"),
    ("POST /v1/staff/reversals", "body reason"),
    ("POST /v1/staff/reversals/{request_id}/reject", "body reason"),
    ("GET /v1/staff/audit", "query target"),
}


@pytest.fixture
async def world(
    client: AsyncClient, session: AsyncSession, settings: Settings
) -> AsyncIterator[World]:
    async with open_world(client, session, settings) as built:
        built.isolated = True
        yield built


def _operations(world: World) -> list[Any]:
    schema = schemathesis.openapi.from_dict(world.app.openapi()).include(path_regex="^/v1/")
    schema.config.generation.update(allow_x00=False)  # probed on its own, below
    return [found.ok() for found in schema.get_all_operations()]  # type: ignore[union-attr]


def _cases(operation: Any, headers: dict[str, str], examples: int) -> list[Any]:
    """Generated requests to ``operation`` (collected here, sent by the caller)."""
    cases: list[Any] = []

    @hypothesis.given(operation.as_strategy(headers=headers))
    @hypothesis.settings(
        max_examples=examples, deadline=None, database=None, derandomize=True,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    return cases


async def _send(world: World, case: Any) -> Response:
    sent = case.as_transport_kwargs(base_url=str(world.client.base_url))
    body = json.dumps(sent["json"]).encode() if "json" in sent else sent.get("data")
    return await world.call(
        None, sent["method"], sent["url"], headers=sent["headers"], params=sent["params"],
        content=body,
    )  # fmt: skip


@pytest.mark.parametrize("caller", ["A", "X", "staff"])
async def test_generated_requests_get_documented_answers_and_no_server_error(
    world: World, caller: str
) -> None:
    failures: list[str] = []
    role = next(role for role, who in ROLE_CALLER.items() if who == caller)
    for operation in _operations(world):
        allowed = EXPECTED.get(operation.label, PUBLIC)
        examples = EXAMPLES if allowed == PUBLIC or role in allowed else REFUSED_EXAMPLES
        for case in _cases(operation, world.headers[caller], examples):
            try:
                case.validate_response(await _send(world, case), checks=CHECKS)
            except FailureGroup as found:
                failures.append(f"{operation.label}: {found.message[:700]}")
    assert not failures, "\n\n".join(failures)


# --- NUL bytes ----------------------------------------------------------------------------


def _is_text(schema: dict[str, Any]) -> bool:
    """Free text (or free text or null): not a date, number or choice."""
    choices = schema.get("anyOf", [schema])
    return any(c.get("type") == "string" and not {"format", "enum"} & c.keys() for c in choices)


def _valid(world: World, route: str, ids: dict[str, object]) -> dict[str, Any]:
    """Values that get a request past validation and lookups, so that text reaches the
    database wherever the route would store or look it up."""
    a, b = world.residents["A"].number, world.residents["B"].number
    fresh = route == "POST /v1/staff/residents"  # enrols: a number nobody has yet
    return {
        **ids, "number": a, "resident_number": "NEW20261126" if fresh else a,
        "to_resident_number": b, "payment_id": world.ops["pay A→X 1"],
        "operation_id": world.ops["charge A"], "amount": 1, "yen": 100, "channel": "counter",
        "status": "suspended", "merchant_code": "M0",
    }  # fmt: skip


def _probes(
    world: World, route: str, ids: dict[str, object]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(what holds the NUL, path, request): one text at a time, everything else valid."""
    spec, valid = world.app.openapi(), _valid(world, route, ids)
    method, template = route.split(" ", 1)
    operation = spec["paths"][template][method.lower()]
    params = operation.get("parameters", [])
    path = PARAM.sub(lambda m: str(valid.get(m[1], 1)), template)
    query = {p["name"]: valid.get(p["name"], minimal(p["schema"], spec)) for p in params
             if p["in"] == "query" and p.get("required")}  # fmt: skip
    body, texts = _body(spec, operation, valid)
    for p in params:
        if p["in"] == "path":
            yield f"path {p['name']}", PARAM.sub("a%00b", template), {"params": query, **body}
        elif p["in"] == "query" and _is_text(p["schema"]):
            yield f"query {p['name']}", path, {"params": {**query, p["name"]: NUL}, **body}
    for name in texts:
        yield f"body {name}", path, {"params": query, "json": {**body["json"], name: NUL}}
    if "content" in body:
        csv = f"住民番号,活動,ポイント\n{NUL},{NUL},1\n".encode()
        yield "body (CSV)", path, {"params": query, **body, "content": csv}


def _body(
    spec: dict[str, Any], operation: dict[str, Any], valid: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The request's valid body, and the names of its text fields."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        csv = {"content": b"", "headers": {"Content-Type": "text/csv"}}
        return (csv if content else {}), []
    schema = resolved(content["application/json"]["schema"], spec)
    body = minimal(schema, spec)
    body.update({k: v for k, v in valid.items() if k in body})
    props = schema.get("properties", {})
    return {"json": body}, [name for name, prop in props.items() if _is_text(prop)]


async def _nul_answers(world: World, known: bool) -> list[str]:
    found, ids = [], await counter_work(world)
    for method, template in v1_routes(world.app):
        route = f"{method} {template}"
        allowed = EXPECTED.get(route, PUBLIC)
        caller = None if allowed == PUBLIC else ROLE_CALLER[sorted(allowed)[0]]
        for where, path, request in _probes(world, route, ids):
            if ((route, where) in NUL_IS_A_500) == known:
                headers = {"Idempotency-Key": str(uuid.uuid4()), **request.pop("headers", {})}
                r = await world.call(caller, method, path, headers=headers, **request)
                found += [f"{route} ({where}): {r.status_code}"] if r.status_code >= 500 else []
    return found


async def test_a_nul_byte_in_text_is_refused_not_a_server_error(world: World) -> None:
    failures = await _nul_answers(world, known=False)
    assert not failures, "\n".join(failures)


async def test_a_nul_byte_where_it_reaches_the_database_is_refused(world: World) -> None:
    failures = await _nul_answers(world, known=True)
    assert not failures, "\n".join(failures)
