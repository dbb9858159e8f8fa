"""The shared ``Problem`` schema of the OpenAPI and a realistic example of each problem
type, with the stable ``type`` and ``title`` of ``api/errors.py`` (see api/openapi_docs.py)."""

from __future__ import annotations

from typing import Any

from api.errors import PROBLEM_BASE, PROBLEMS

KINDS = {slug: (status, title) for status, slug, title in PROBLEMS.values()} | {
    # raised outside the table: api/errors.py validation_error, api/v1/idempotency.py
    "validation": (422, "The request is not valid"),
    "idempotency-key-missing": (400, "An Idempotency-Key header is needed"),
}
_NUMBER_OR_NULL = {"type": ["integer", "null"]}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. `type` is stable; `title` is plain words; "
    "`detail` says what to do. Domain fields are added where they help.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "Stable problem type."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "A sentence a person can act on."},
        "instance": {"type": "string", "format": "uri-reference"},
        "errors": {
            "type": "array",
            "description": "Validation: each field that is wrong (`loc`) and why.",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                },
            },
        },
        "requested": _NUMBER_OR_NULL,
        "total": _NUMBER_OR_NULL,
        "spendable": _NUMBER_OR_NULL,
        "code": {"type": ["string", "null"], "description": "Which limit (limit-exceeded)."},
        "limit": _NUMBER_OR_NULL,
        "used": _NUMBER_OR_NULL,
        "remaining": _NUMBER_OR_NULL,
    },
    "additionalProperties": True,
}

# status → (the example's slug, its detail, extra fields), first one the default
Example = tuple[str, str, dict[str, Any]]
EXAMPLES: dict[str, Example] = {
    "idempotency-key-missing": (
        "idempotency-key-missing",
        "Send a unique Idempotency-Key header (e.g. a UUID) with every request that moves "
        "value, and the same key again when you retry.",
        {},
    ),
    "unauthenticated": ("unauthenticated", "please sign in", {}),
    "not-permitted": ("not-permitted", "your role may not do this", {}),
    "not-found": ("not-found", "There is no such payment at this shop.", {}),
    "request-in-progress": (
        "request-in-progress",
        "The same request is still being carried out; retry it in a moment with the same key.",
        {},
    ),
    "insufficient-balance": (
        "insufficient-balance",
        "The wallet has 1,200 spendable at さいき鮮魚店; this payment needs 3,000.",
        {"requested": 3000, "total": 1500, "spendable": 1200},
    ),
    "idempotency-key-reused": (
        "idempotency-key-reused",
        "This Idempotency-Key was already used for a different request; use a new key.",
        {},
    ),
    "validation": (
        "validation",
        "See errors.",
        {"errors": [{"loc": ["body", "amount"], "msg": "Input should be a valid integer"}]},
    ),
    "wrong-pin": (
        "wrong-pin",
        "The PIN is wrong. After 2 more wrong tries the card will be locked.",
        {},
    ),
    "pin-locked": (
        "pin-locked",
        "The card is locked, please ask the city office.",
        {},
    ),
    "account-unavailable": (
        "account-unavailable",
        "This card was blocked on 2026-11-20; the resident's new card works.",
        {},
    ),
    "already-done": ("already-done", "This rule version was already approved.", {}),
    "already-reversed": ("already-reversed", "Operation 120034 was already reversed.", {}),
    "limit-exceeded": (
        "limit-exceeded",
        "The campaign budget has 1,200 left; this premium needs 2,000.",
        {"code": "budget", "requested": 2000, "limit": 500000, "used": 498800, "remaining": 1200},
    ),
    "invalid-code": ("invalid-code", "This code has expired; ask for a new one.", {}),
    "invalid-operation": ("invalid-operation", "A refund cannot exceed the payment.", {}),
    "ledger-busy": ("ledger-busy", "The ledger is busy; retry with the same key.", {}),
    "totp-required": ("totp-required", "Enter the 6-digit code from your app.", {}),
    "rate-limited": (
        "rate-limited",
        "Too many attempts from here; please wait 60 seconds and try again.",
        {},
    ),
}
DESCRIPTIONS = {
    400: "The Idempotency-Key header is missing or malformed (`idempotency-key-missing`).",
    401: "Not signed in, or the token is expired or revoked (`unauthenticated`).",
    403: "The signed-in role may not do this (`not-permitted`).",
    404: "No such object, or it belongs to someone else (`not-found`).",
    409: "A conflict with the current state; see `type`.",
    422: "The request is not valid (`validation`, with `errors` naming each field).",
    423: "The PIN is locked after repeated failures (`pin-locked`): the city office unlocks.",
    429: "Too many attempts (`rate-limited`); wait `Retry-After` seconds.",
}
IDEMPOTENCY_KEY = (
    "A unique key per request: 1–255 printable ASCII characters without spaces; a UUID is "
    "best. Send the same key again when you retry: the stored answer comes back (same "
    "status and body) and the value moves once. Keys are scoped to the signed-in principal "
    "and kept at least 24 hours. Another request with a used key → 422; the first still "
    "running → 409; no key → 400."
)


def problem_example(slug: str) -> dict[str, Any]:
    """A realistic problem of this type, as api/errors.py answers it."""
    _, detail, extra = EXAMPLES[slug]
    status, title = KINDS[slug]
    return {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
