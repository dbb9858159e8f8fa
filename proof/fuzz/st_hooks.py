"""Schemathesis hooks (``SCHEMATHESIS_HOOKS=proof.fuzz.st_hooks``): a check that no response
to one peer carries the other peer's objects.

``PROOF_FUZZ_FORBIDDEN`` names a JSON file ``{identity: [strings that identity must never
see]}``; an identity missing from it (staff, anonymous) is not checked.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

import schemathesis


@cache
def forbidden() -> dict[str, list[str]]:
    path = os.environ.get("PROOF_FUZZ_FORBIDDEN")
    if not path:
        return {}
    data: dict[str, list[str]] = json.loads(open(path, encoding="utf-8").read())
    return data


def leaked(identity: str | None, text: str) -> list[str]:
    """The other peer's markers found in ``text`` (names and codes, JSON-escaped or not)."""
    found = []
    for marker in forbidden().get(identity or "", []):
        escaped = json.dumps(marker)[1:-1]
        if marker in text or escaped in text:
            found.append(marker)
    return found


@schemathesis.check
def no_cross_peer_objects(ctx: Any, response: Any, case: Any) -> bool | None:
    identity = case.auth_identity
    if identity is None and forbidden():
        identity = next(iter(forbidden()))  # pinned runs act as the first peer
    found = leaked(identity, response.text or "")
    if found:
        raise AssertionError(
            f"{case.method} {case.formatted_path} as {identity} answered another peer's "
            f"objects: {', '.join(found)}"
        )
    return None
