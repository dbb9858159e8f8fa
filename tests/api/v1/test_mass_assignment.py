"""Mass assignment: a field the caller may not set, sent in a body, is refused and changes
nothing, on every /v1 route that takes a body.

The routes come from the app itself (as in test_auth_matrix.py), so a route added later is
checked too. Each is called by a role it lets in, with the smallest body its schema accepts
plus fields that name what a caller must never set by hand (a balance, a role, a status, an
owner…); the fields a route does take (a status change has ``status``) are left out for it.
The answer must be 422 (problem+json ``validation``) naming each extra field, and no table of
the database may differ afterwards (every row compared, in the test's rolled-back session).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.merchant import events as merchant_events
from currency.settings import Settings
from tests.api.v1.test_auth_matrix import EXPECTED, PUBLIC
from tests.api.v1.world import (
    PROBLEM,
    ROLE_CALLER,
    World,
    alone,
    app_of,
    counter_work,
    minimal,
    open_world,
    resolved,
    v1_routes,
)

EXTRA: dict[str, Any] = {
    "balance": 1_000_000, "role": "admin", "status": "active", "verification_level": 3,
    "wallet_account_id": 1, "merchant_id": 1, "currency_id": 1, "token_version": 0,
    "amount_remaining": 1_000_000, "is_public_body": True, "fee": 0,
}  # fmt: skip
CHANGES = frozenset({"POST", "PUT", "PATCH"})
# Bodies that are not JSON objects, so they have no fields to add: the grants file is CSV,
# whose columns are checked by the bulk-grant parser (tests/currency/issuance/test_grant_csv.py).
NOT_JSON = frozenset({"POST /v1/staff/grants/bulk"})
# Routes that read no body at all: a field sent to them is never read, so cannot assign.
NO_BODY = frozenset({
    "POST /v1/auth/passkeys/sign-in/options", "POST /v1/auth/totp/setup",
    "POST /v1/auth/web-session/extend", "POST /v1/me/passkeys/options",
    "POST /v1/me/payment-token", "POST /v1/staff/residents/{number}/activation-letter",
    "POST /v1/staff/residents/{number}/cards", "POST /v1/staff/reversals/{request_id}/approve",
    "POST /v1/staff/rules/{rule_id}/approve",
})  # fmt: skip
# The smallest body a schema accepts is not always valid for the route: made valid here.
VALID: dict[str, Callable[[dict[str, Any]], None]] = {
    # a premium's campaign ends after it starts (the schema cannot say so)
    "POST /v1/staff/rules": lambda body: body["rule"].update(ends_at="2026-12-26T10:00:00+09:00"),
}
# The caller tried first among the roles a route lets in (anyone: no token at all).
PREFERRED = ("resident", "merchant_owner", "merchant_clerk", "staff", "admin", "auditor")


@pytest.fixture
async def world(
    client: AsyncClient, session: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    monkeypatch.setattr(merchant_events, "MAX_STREAM", timedelta(0))  # see test_auth_matrix
    async with open_world(client, session, settings) as built:
        yield built


def changing_routes(world: World) -> list[tuple[str, dict[str, Any]]]:
    """``"METHOD /path"`` and its OpenAPI operation, for every route that may take a body."""
    spec = world.app.openapi()
    return [
        (f"{method} {path}", spec["paths"][path][method.lower()])
        for method, path in sorted(v1_routes(world.app))
        if method in CHANGES
    ]


def json_schema(operation: dict[str, Any]) -> dict[str, Any]:
    """The JSON body's schema (routes in NO_BODY and NOT_JSON are never asked)."""
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def other_branches(schema: dict[str, Any], spec: dict[str, Any]) -> set[str]:
    """For a union body, the names of its kinds but the first (the one ``minimal`` sends)."""
    kinds = resolved(schema, spec).get("anyOf", [])
    return {str(kind.get("$ref", "")).rsplit("/", 1)[-1] for kind in kinds[1:]}


def fields_of(schema: dict[str, Any], spec: dict[str, Any]) -> set[str]:
    """The fields a body may have (of any of its kinds, for a union)."""
    schema = resolved(schema, spec)
    kinds = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return {name for kind in kinds for name in resolved(kind, spec).get("properties", {})}


def caller_for(route: str) -> str | None:
    allowed = EXPECTED[route]
    if allowed == PUBLIC:
        return None
    return ROLE_CALLER[next(role for role in PREFERRED if role in allowed)]


async def snapshot(session: AsyncSession) -> dict[str, str]:
    """Every table's rows, as a digest per table."""
    tables = await session.scalars(
        sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    )
    digests = {}
    for table in tables.all():
        digests[table] = str(
            await session.scalar(
                sa.text(
                    f"SELECT md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) "
                    f'FROM "{table}" t'
                )
            )
        )
    return digests


def path_of(template: str, operation: dict[str, Any], ids: dict[str, object]) -> str:
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            template = template.replace("{" + param["name"] + "}", str(ids[param["name"]]))
    return template


async def send_with_extras(
    world: World, route: str, operation: dict[str, Any], ids: dict[str, object]
) -> str | None:
    """What is wrong with the route's answer to a body with extra fields, or None."""
    spec = world.app.openapi()
    method, template = route.split(" ", 1)
    schema = json_schema(operation)
    extra = {k: v for k, v in EXTRA.items() if k not in fields_of(schema, spec)}
    body = {**minimal(schema, spec), **extra}
    if route in VALID:
        VALID[route](body)
    if "owner_pin" in fields_of(schema, spec):
        body["owner_pin"] = ids["owner_pin"]
    query = {
        p["name"]: minimal(p["schema"], spec)
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    async with alone(world.session):
        before = await snapshot(world.session)
        r = await world.call(
            caller_for(route), method, path_of(template, operation, ids), json=body,
            params=query, headers={"Idempotency-Key": str(uuid.uuid4())},
        )  # fmt: skip
        after = await snapshot(world.session)
    changed = sorted(t for t in before if before[t] != after.get(t))
    return what_is_wrong(r, set(extra), changed, other_branches(schema, spec))


def what_is_wrong(
    r: Response, extra: set[str], changed: list[str], branches: set[str]
) -> str | None:
    """What is wrong with the answer; ``branches``: the kinds of a union body not sent, whose
    complaints (a field of the kind sent is extra to them) are expected."""
    said = f"changed the tables {changed}; " if changed else ""
    if r.status_code != 422 or r.headers.get("content-type") != PROBLEM:
        return f"{said}want a 422 problem, got {r.status_code}: {r.text[:200]}"
    errors = r.json().get("errors", [])
    named = {str(e["loc"][-1]) for e in errors}
    if r.json()["type"].rsplit("/", 1)[-1] != "validation" or not extra <= named:
        return f"{said}not naming {sorted(extra - named)}: {r.text[:200]}"
    others = [e for e in errors if str(e["loc"][-1]) not in extra and e["loc"][1] not in branches]
    if others:  # then the body was refused for something else: fix it in VALID
        return f"{said}the smallest body is not valid: {others}"
    return said or None


async def test_every_extra_field_is_refused_and_changes_nothing(world: World) -> None:
    ids = await counter_work(world)
    wrong = []
    for route, operation in changing_routes(world):
        if route in NOT_JSON or route in NO_BODY:
            continue
        problem = await send_with_extras(world, route, operation, ids)
        if problem:
            wrong.append(f"{route}: {problem}")
    assert not wrong, "\n".join(wrong)


def test_only_the_named_routes_are_left_out_of_the_sweep(client: AsyncClient) -> None:
    """A new route with no body, or a form or file body, must be looked at and named."""
    app = app_of(client)
    spec = app.openapi()
    kinds: dict[str, set[str]] = {"none": set(), "not json": set()}
    for method, path in v1_routes(app):
        content = spec["paths"][path][method.lower()].get("requestBody", {}).get("content")
        if method in CHANGES and content is None:
            kinds["none"].add(f"{method} {path}")
        elif method in CHANGES and "application/json" not in content:
            kinds["not json"].add(f"{method} {path}")
    assert kinds == {"none": NO_BODY, "not json": NOT_JSON}
