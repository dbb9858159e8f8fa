"""Peer B asks for peer A's objects by their ids: every GET of the resident and merchant API
with a path parameter, filled with A's payment ids, shop code and resident number, plus a
refund of A's payment. Each answer must be a refusal and must not name A."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from proof.fuzz.people import Peer, bearer, key

SCOPES = ("/v1/me", "/v1/merchant")
NOT_PROBED = ("/v1/merchant/events",)  # an endless event stream
OWN = {
    "resident": "/v1/me/wallet",
    "owner": "/v1/merchant/payments",
    "clerk": "/v1/merchant/payments",
}


@dataclass
class Probes:
    sent: int = 0
    leaks: list[str] = field(default_factory=list)


def _values(a: Peer) -> list[str]:
    return [*(str(i) for i in a.payment_ids), a.shop.code, a.resident.number]


def _paths(schema: dict[str, Any]) -> list[str]:
    return [
        path
        for path, ops in schema["paths"].items()
        if path.startswith(SCOPES) and "{" in path and "get" in ops and path not in NOT_PROBED
    ]


def probe(client: httpx.Client, schema: dict[str, Any], a: Peer, tokens: dict[str, str]) -> Probes:
    """``tokens``: B's access tokens by role (resident, owner, clerk)."""
    found = Probes()
    for role, token in tokens.items():
        own = client.get(OWN[role], headers=bearer(token))  # else every refusal means nothing
        if own.status_code != 200:
            found.leaks.append(f"{role} B: probe not run, its own {OWN[role]} -> {own.status_code}")
        for path in _paths(schema):
            for value in _values(a):
                url = re.sub(r"\{[^}]+\}", value, path)
                _check(found, a, role, "GET", url, client.get(url, headers=bearer(token)))
        for payment in a.payment_ids:
            url = f"/v1/merchant/payments/{payment}/refunds"
            answer = client.post(
                url, json={"amount": 1, "reason": "probe"}, headers=bearer(token) | key()
            )
            _check(found, a, role, "POST", url, answer)
    return found


def _check(
    found: Probes, a: Peer, role: str, method: str, url: str, answer: httpx.Response
) -> None:
    found.sent += 1
    named = [m for m in a.markers() if m in answer.text]
    if answer.status_code < 300 or named:
        found.leaks.append(f"{role} B: {method} {url} -> {answer.status_code} {named}")
