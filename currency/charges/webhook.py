"""Verifying a payment provider's charge webhook, before any coins are issued for it.

The provider sends the raw JSON body with a header
``Meguri-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, the HMAC keyed with a shared
secret over ``b"<t>." + body`` (Stripe's scheme). The header may carry several ``v1``
entries (the provider rotating its secret) and we may hold several secrets (rotating ours):
one secret matching one entry is enough. Other keys (``v0``…) are ignored, for the
provider's future schemes. Pass the body exactly as received: re-serialised JSON will not
match.

A timestamp outside the tolerance is refused, so a captured request cannot be replayed
later; inside it a provider may still retry, so the charge service deduplicates on
``Event.id``. The body is parsed only after the signature matches: an unsigned request never
reaches the JSON parser. Whether the resident exists and may charge this much is for the
charge service; this module only says the provider really sent this event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

HEADER = "Meguri-Signature"
TOLERANCE = timedelta(minutes=5)
MAX_YEN = 1_000_000  # a sanity bound on one charge; wallet limits are the charge service's
MAX_HEADER_LENGTH = 4096
# The longest each text field of the event may be.
MAX_LENGTHS = {"id": 200, "type": 100, "resident_number": 64, "reference": 200}

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")

Reason = Literal[
    "missing_header", "malformed_header", "timestamp_out_of_range", "bad_signature", "bad_body"
]


class WebhookRefused(ValueError):
    """The request is not a genuine, fresh, well-formed event; answer 400, issue nothing."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: Reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Event:
    """A charge event as the provider sent it, its fields checked for type and size."""

    id: str
    type: str
    resident_number: str
    yen: int
    reference: str

    def __post_init__(self) -> None:
        for name, longest in MAX_LENGTHS.items():
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or len(value) > longest:
                raise WebhookRefused(
                    "bad_body", f"{name} must be text of 1 to {longest} characters"
                )
        if type(self.yen) is not int or not 0 < self.yen <= MAX_YEN:
            raise WebhookRefused("bad_body", f"yen must be a whole number from 1 to {MAX_YEN}")


def verify(
    body: bytes,
    header: str | None,
    secrets: Sequence[bytes],
    now: datetime,
    tolerance: timedelta = TOLERANCE,
) -> Event:
    """The event in ``body``, if ``header`` signs it with one of ``secrets`` near ``now``.

    Raises ``WebhookRefused`` for anything a sender controls; ``ValueError`` only for our own
    misconfiguration (no secret, an empty secret, a naive ``now``).
    """
    if not secrets or not all(secrets):
        raise ValueError("webhook secrets must be configured and non-empty")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    timestamp, signatures = _parse_header(header)
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        raise WebhookRefused("timestamp_out_of_range", f"t={timestamp} is not within {tolerance}")
    expected = [_signature(body, secret, timestamp) for secret in secrets]
    if not any(hmac.compare_digest(e, s) for e in expected for s in signatures):
        raise WebhookRefused("bad_signature", "no signature matches a configured secret")
    return _event(body)


def sign(body: bytes, secret: bytes, at: datetime) -> str:
    """A ``Meguri-Signature`` header value, as the provider computes it (tests, simulator)."""
    timestamp = int(at.timestamp())
    return f"t={timestamp},v1={_signature(body, secret, timestamp)}"


def _signature(body: bytes, secret: bytes, timestamp: int) -> str:
    return hmac.new(secret, b"%d." % timestamp + body, hashlib.sha256).hexdigest()


def _parse_header(header: str | None) -> tuple[int, list[str]]:
    """The timestamp and the ``v1`` signatures; strict, since a sender can put anything here."""
    if header is None or not header.strip():
        raise WebhookRefused("missing_header", f"no {HEADER} header")
    if len(header) > MAX_HEADER_LENGTH:
        raise WebhookRefused("malformed_header", "the header is too long")
    entries: dict[str, list[str]] = {"t": [], "v1": []}
    for item in header.split(","):
        key, equals, value = item.strip().partition("=")
        if not equals:
            raise WebhookRefused("malformed_header", "entries must be key=value")
        if key.strip() in entries:
            entries[key.strip()].append(value.strip())
    times, signatures = entries["t"], entries["v1"]
    if len(times) != 1 or not _TIMESTAMP.fullmatch(times[0]):
        raise WebhookRefused("malformed_header", "expected one t=<unix seconds>")
    if not signatures or not all(_SIGNATURE.fullmatch(s) for s in signatures):
        raise WebhookRefused("malformed_header", "expected v1=<64 lowercase hex digits>")
    return int(times[0]), signatures


def _event(body: bytes) -> Event:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # includes undecodable bytes and huge numbers
        raise WebhookRefused("bad_body", "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookRefused("bad_body", "the body is not a JSON object")
    fields = ("id", "type", "resident_number", "yen", "reference")
    if missing := [name for name in fields if name not in payload]:
        raise WebhookRefused("bad_body", f"missing {', '.join(missing)}")
    return Event(**{name: payload[name] for name in fields})
