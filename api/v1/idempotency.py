"""The Idempotency-Key header of every POST that moves value (IETF httpapi draft).

- missing or malformed → 400 ``idempotency-key-missing``;
- the same key and the same request → the stored result: the ledger keeps the
  operation's response under (currency, principal, key) and the route answers it again
  with the same status and body;
- the same key with a different request → 422 ``idempotency-key-reused``;
- the first request still running → 409 ``request-in-progress``.

Keys are scoped to the signed-in principal and kept as long as the ledger (≥ 24 h).
A request that was refused (not enough balance …) stores nothing: retrying it with the
same key tries again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import Header

from api.errors import ApiError
from currency.auth.login import Principal
from currency.ledger.types import Idempotency

_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces


def required_key(
    idempotency_key: str | None = Header(
        default=None,
        description="A unique key per request (a UUID); a retry sends the same key.",
    ),
) -> str:
    if idempotency_key is None or not _KEY.fullmatch(idempotency_key):
        raise ApiError(
            400,
            "idempotency-key-missing",
            "An Idempotency-Key header is needed",
            "Send a unique Idempotency-Key header (e.g. a UUID) with every request that "
            "moves value, and the same key again when you retry.",
        )
    return idempotency_key


def of(who: Principal, key: str, request: Mapping[str, Any]) -> Idempotency:
    """The ledger's idempotency for this principal's key and this request's content."""
    return Idempotency(who.name, key, dict(request))
