"""Who may call what: every /v1 route × every role and anonymous, against a table.

The table (EXPECTED) is the intended access of each route, written down as data. The
routes come from the app itself, so a route added without a line here fails the first test.
Each caller sends a minimal request that passes validation where it can (path ids that exist
for the caller, the smallest body the route's schema accepts, an Idempotency-Key; each
request is rolled back after it, so every caller finds the same objects):
anonymous → 401, a role not allowed → 403 (both problem+json), an allowed role → neither,
and nobody a 5xx. Sign-in routes are public.

Then forged and stale access tokens over HTTP (the token service's own tests cover more).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.merchant import events as merchant_events
from currency.auth import keys
from currency.auth.keys import SigningKey
from currency.auth.tokens import SIGN_IN_AGAIN
from currency.settings import Settings
from tests.api.v1.world import (
    PROBLEM,
    ROLE_CALLER,
    World,
    app_of,
    counter_work,
    minimal,
    open_world,
    resolved,
    v1_routes,
)

PROBLEMS = "https://meguri.example/problems/"
PUBLIC = "public"  # anyone, signed in or not
RESIDENT = frozenset({"resident"})
SHOP = frozenset({"merchant_clerk", "merchant_owner"})
OWNER = frozenset({"merchant_owner"})
ACTING = frozenset({"staff", "admin"})
READING = frozenset({"staff", "admin", "auditor"})

EXPECTED: dict[str, frozenset[str] | str] = {
    "POST /v1/auth/login": PUBLIC,
    "POST /v1/auth/resident": PUBLIC,
    "POST /v1/auth/refresh": PUBLIC,
    "POST /v1/auth/logout": PUBLIC,
    "POST /v1/auth/activate": PUBLIC,
    "POST /v1/auth/passkeys/sign-in/options": PUBLIC,
    "POST /v1/auth/passkeys/sign-in": PUBLIC,
    "POST /v1/me/passkeys/options": RESIDENT,
    "POST /v1/me/passkeys": RESIDENT,
    "GET /v1/me/passkeys": RESIDENT,
    "DELETE /v1/me/passkeys/{passkey_id}": RESIDENT,
    "POST /v1/auth/totp/setup": READING | SHOP,  # any user protects their own sign-in
    "POST /v1/auth/totp/confirm": READING | SHOP,  # any user protects their own sign-in
    "POST /v1/auth/totp/disable": READING | SHOP,  # any user protects their own sign-in
    "POST /v1/staff/residents/{number}/activation-letter": ACTING,
    # the pages' browser session: its own cookie, never a bearer token (401 without it)
    "POST /v1/auth/web-session": PUBLIC,
    "GET /v1/auth/web-session": PUBLIC,
    "POST /v1/auth/web-session/extend": PUBLIC,
    "DELETE /v1/auth/web-session": PUBLIC,
    "GET /v1/public/chain-heads": PUBLIC,
    "GET /v1/me": RESIDENT,
    "GET /v1/me/wallet": RESIDENT,
    "GET /v1/me/history": RESIDENT,
    "POST /v1/me/payment-token": RESIDENT,
    "POST /v1/me/payments": RESIDENT,
    "POST /v1/me/transfers": RESIDENT,
    "POST /v1/merchant/payments": SHOP,
    "GET /v1/merchant/payments": SHOP,
    "GET /v1/merchant/payments/{payment_id}": SHOP,
    "POST /v1/merchant/payments/{payment_id}/refunds": SHOP,  # a clerk with the owner's PIN
    "POST /v1/merchant/payment-requests": SHOP,
    "GET /v1/merchant/poster": SHOP,
    "GET /v1/merchant/events": SHOP,
    # shops at the city office; the owner's own routes
    "GET /v1/staff/merchants": READING,
    "POST /v1/staff/merchants": ACTING,
    "GET /v1/staff/merchants/{code}": READING,
    "PATCH /v1/staff/merchants/{code}": ACTING,
    "PUT /v1/staff/merchants/{code}/bank-account": ACTING,
    "POST /v1/staff/merchants/{code}/users": ACTING,
    "GET /v1/staff/merchants/{code}/poster": READING,
    "PUT /v1/merchant/pin": OWNER,
    "GET /v1/merchant/users": OWNER,
    "POST /v1/merchant/users": OWNER,
    "GET /v1/merchant/settlements": OWNER,
    "GET /v1/merchant/settlements/{settlement_id}": OWNER,
    "POST /v1/staff/charges": ACTING,
    "POST /v1/staff/grants": ACTING,
    "POST /v1/staff/grants/bulk": ACTING,
    "POST /v1/staff/residents": ACTING,
    "GET /v1/staff/residents/{number}": READING,
    "POST /v1/staff/residents/{number}/verify": ACTING,
    "POST /v1/staff/residents/{number}/status": ACTING,
    "POST /v1/staff/residents/{number}/cards": ACTING,
    "POST /v1/staff/cards/{card_number}/block": ACTING,
    "POST /v1/staff/residents/{number}/pin": ACTING,
    "GET /v1/staff/rules": READING,
    "POST /v1/staff/rules": ACTING,
    "POST /v1/staff/rules/{rule_id}/approve": ACTING,
    "POST /v1/staff/rules/{rule_id}/reject": ACTING,
    "GET /v1/staff/reversals": READING,
    "POST /v1/staff/reversals": ACTING,
    "POST /v1/staff/reversals/{request_id}/approve": ACTING,
    "POST /v1/staff/reversals/{request_id}/reject": ACTING,
    "GET /v1/staff/audit": READING,
    "GET /v1/staff/settlements": READING,
    "GET /v1/staff/reports/dashboard": READING,
    "GET /v1/staff/reports/series": READING,
    "GET /v1/staff/reports/base-date": READING,
    # residents, cards, settlements, events (cards sheet/QR: a payment credential, no auditor)
    "GET /v1/staff/residents": READING,
    "POST /v1/staff/cards/{card_number}/reissue": ACTING,
    "POST /v1/staff/cards/{card_number}/unlock": ACTING,
    "GET /v1/staff/cards/{card_number}/sheet": ACTING,
    "GET /v1/staff/cards/{card_number}/qr.svg": ACTING,
    "GET /v1/staff/cards/{card_number}/qr.png": ACTING,
    "POST /v1/staff/settlements": ACTING,
    "GET /v1/staff/settlements/{settlement_id}": READING,
    "GET /v1/staff/settlements/files/{period}/zengin": READING,
    "GET /v1/staff/settlements/files/{period}/csv": READING,
    "POST /v1/staff/events": ACTING,
    "GET /v1/staff/events": READING,
    "GET /v1/staff/events/{event_id}/poster": READING,
    "GET /v1/me/card": RESIDENT,
    "POST /v1/me/card/block": RESIDENT,
    "POST /v1/me/event-claims": RESIDENT,
}
CALLERS = ("anonymous", *ROLE_CALLER)


@pytest.fixture
async def world(
    client: AsyncClient, session: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    # the live feed streams until its token expires: here it ends at once (an in-process
    # client reads a response only when it is complete); tests/api/v1/test_merchant_events.py
    monkeypatch.setattr(merchant_events, "MAX_STREAM", timedelta(0))
    async with open_world(client, session, settings) as built:
        yield built


def test_every_v1_route_is_in_the_matrix(client: AsyncClient) -> None:
    routes = {f"{method} {path}" for method, path in v1_routes(app_of(client))}
    missing = sorted(routes - EXPECTED.keys())
    assert not missing, f"add these routes to EXPECTED with the roles they allow: {missing}"
    gone = sorted(EXPECTED.keys() - routes)
    assert not gone, f"these routes are gone; remove them from EXPECTED: {gone}"


async def test_each_role_is_let_in_or_refused_as_the_matrix_says(world: World) -> None:
    ids = await counter_work(world)
    world.isolated = True  # each caller finds the objects as they were made
    spec = world.app.openapi()
    wrong: list[str] = []
    for route in sorted(EXPECTED):
        for caller in CALLERS:
            r = await _send(world, spec, route, caller, ids)
            problem = _verdict(EXPECTED[route], caller, r)
            if problem:
                wrong.append(f"{route} as {caller}: {problem} — {r.text[:160]}")
    assert not wrong, "\n".join(wrong)


async def _send(
    world: World, spec: dict[str, Any], route: str, caller: str, ids: dict[str, object]
) -> Response:
    method, template = route.split(" ", 1)
    operation = spec["paths"].get(template, {}).get(method.lower(), {})
    path, query = template, {}
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            assert param["name"] in ids, f"give path parameter {param['name']} a value"
            path = path.replace("{" + param["name"] + "}", str(ids[param["name"]]))
        elif param["in"] == "query" and param.get("required"):
            query[param["name"]] = minimal(param["schema"], spec)
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    kwargs: dict[str, Any] = {"params": query, "headers": headers}
    content = operation.get("requestBody", {}).get("content", {"application/json": {}})
    if "application/json" in content and method != "GET":
        kwargs["json"] = _body(spec, content["application/json"].get("schema", {}), caller, ids)
    elif method != "GET":
        headers["Content-Type"] = next(iter(content))
        kwargs["content"] = b""
    return await world.call(ROLE_CALLER.get(caller), method, path, **kwargs)


def _body(spec: dict[str, Any], schema: dict[str, Any], caller: str, ids: dict[str, object]
) -> Any:  # fmt: skip
    """The smallest body; a clerk's refund carries the owner's PIN, as the till sends it."""
    body = minimal(schema, spec)
    if caller == "merchant_clerk" and "owner_pin" in resolved(schema, spec).get("properties", {}):
        body["owner_pin"] = ids["owner_pin"]
    return body


def _verdict(allowed: frozenset[str] | str, caller: str, r: Response) -> str | None:
    """What is wrong with this answer, or None."""
    if r.status_code >= 500:
        return f"a server error ({r.status_code})"
    if allowed == PUBLIC:
        return "403 on a public route" if r.status_code == 403 else None
    is_problem = r.headers.get("content-type") == PROBLEM
    if caller == "anonymous":
        return None if r.status_code == 401 and is_problem else f"want 401, got {r.status_code}"
    if caller in allowed:
        return f"an allowed role got {r.status_code}" if r.status_code in (401, 403) else None
    return None if r.status_code == 403 and is_problem else f"want 403, got {r.status_code}"


# --- forged and stale access tokens --------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _compact(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A JWS put together by hand, so that it may break every rule PyJWT would enforce."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def _hs256(secret: bytes) -> Callable[[bytes], bytes]:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def _signed(key: SigningKey, claims: dict[str, Any], kid: str | None = None) -> str:
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": kid or key.kid})


def _public_bytes(key: SigningKey, raw: bool) -> bytes:
    kind = serialization.PublicFormat
    encoding, form = (
        (serialization.Encoding.Raw, kind.Raw) if raw
        else (serialization.Encoding.PEM, kind.SubjectPublicKeyInfo)
    )  # fmt: skip
    return key.public_key.public_bytes(encoding, form)


def _stranger() -> SigningKey:
    """A key of nobody we know, with its own kid."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    return keys.signing_key_from_pem(pem)


def _aged(claims: dict[str, Any], minutes: int) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    return {**claims, "iat": now - minutes * 60, "exp": now - minutes * 60 + 600}


Forge = Callable[[SigningKey, dict[str, Any], dict[str, Any]], str]
ATTACKS: dict[str, Forge] = {
    "alg none": lambda k, c, o: _compact({"alg": "none", "kid": k.kid}, c, lambda _: b""),
    "HS256 keyed with the public key's PEM": lambda k, c, o: _compact(
        {"alg": "HS256", "kid": k.kid}, c, _hs256(_public_bytes(k, raw=False))
    ),
    "HS256 keyed with the raw public key": lambda k, c, o: _compact(
        {"alg": "HS256", "kid": k.kid}, c, _hs256(_public_bytes(k, raw=True))
    ),
    "expired ten minutes ago": lambda k, c, o: _signed(k, _aged(c, 20)),
    "wrong audience": lambda k, c, o: _signed(k, {**c, "aud": "meguri-admin"}),
    "wrong issuer": lambda k, c, o: _signed(k, {**c, "iss": "someone-else"}),
    "no currency claim": lambda k, c, o: _signed(
        k, {n: v for n, v in c.items() if n != "currency"}
    ),
    "no expiry": lambda k, c, o: _signed(k, {n: v for n, v in c.items() if n != "exp"}),
    "unknown kid": lambda k, c, o: _signed(_stranger(), c),
    "our kid, another key": lambda k, c, o: _signed(_stranger(), c, kid=k.kid),
    "payload swapped for another resident's": lambda k, c, o: _swap_payload(_signed(k, c), o),
    "role changed to admin in the payload": lambda k, c, o: _swap_payload(
        _signed(k, c), {**c, "role": "admin"}
    ),
    "signed by us for a currency this service lacks": lambda k, c, o: _signed(
        k, {**c, "currency": "NOWHERE"}
    ),
}
KNOWN_BUGS: dict[str, str] = {}  # attacks that got through once; none now


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


@pytest.fixture
async def two_tokens(world: World) -> tuple[SigningKey, dict[str, Any], dict[str, Any]]:
    """The app's signing key, and the claims of A's and B's real access tokens."""
    claims = [
        jwt.decode(world.headers[who]["Authorization"][7:], options={"verify_signature": False})
        for who in ("A", "B")
    ]
    return world.app.state.signing_key, claims[0], claims[1]


async def test_the_same_claims_signed_by_us_open_the_wallet(
    world: World, two_tokens: tuple[SigningKey, dict[str, Any], dict[str, Any]]
) -> None:
    key, mine, _ = two_tokens
    r = await world.call(None, "GET", "/v1/me/wallet", headers=_auth(_signed(key, mine)))
    assert r.status_code == 200, r.text  # so each refusal below is the attack's doing


@pytest.mark.parametrize(
    "attack",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=KNOWN_BUGS[name]),
        )
        if name in KNOWN_BUGS
        else name
        for name in ATTACKS
    ],
)
async def test_a_forged_or_stale_token_is_refused_like_any_other(
    world: World, two_tokens: tuple[SigningKey, dict[str, Any], dict[str, Any]], attack: str
) -> None:
    key, mine, theirs = two_tokens
    token = ATTACKS[attack](key, {**mine, "jti": uuid.uuid4().hex}, theirs)
    r = await world.call(None, "GET", "/v1/me/wallet", headers=_auth(token))
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()  # the same words whatever was wrong: no hint for the forger
    assert (body["type"], body["detail"]) == (PROBLEMS + "unauthenticated", SIGN_IN_AGAIN)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
