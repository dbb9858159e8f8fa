"""Attendance events: staff print a QR at the venue; a resident scans it and gets the points.

The QR holds a compact signed string, ``MGE1.<event id>.<nonce>.<mac>``: the nonce is
random per event (10 bytes) and the MAC is HMAC-SHA256 with the service's secret key
over the currency, the event id and the nonce, truncated to 128 bits. Nonce and MAC are
base32 without padding, so the whole string is upper-case letters, digits and dots,
which fits a QR code's compact alphanumeric mode. A token is checked in constant time
before anything is looked up; a forged, altered or foreign one is "not a Meguri event
code". The token is the same for every attendee: what stops a second grant is the claim
row (one per event and resident), not the token.

A claim is open from the event's start until its end (``starts_at <= now < ends_at``)
and grants the activity's points through the grant service, so the programme's caps and
budget apply. The activity date is the event's start day (JST).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.clock import JAPAN
from currency.errors import AlreadyDone, InvalidCode, InvalidOperation, NotFound
from currency.issuance import grants
from currency.issuance.grants import GrantResult
from currency.issuance.models import event as event_table
from currency.issuance.models import event_claim
from currency.ledger.models import idempotency as ledger_idempotency
from currency.ledger.types import Idempotency

PREFIX = "MGE1"
NOT_OURS = "This QR code is not a Meguri event code."
_TOKEN = re.compile(r"MGE1\.([1-9][0-9]{0,17})\.([A-Z2-7]{16})\.([A-Z2-7]{26})")


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    programme_code: str
    activity_code: str
    name: str
    starts_at: datetime
    ends_at: datetime
    created_by: int
    token: str  # what the venue's QR code holds


async def create_event(
    session: AsyncSession,
    *,
    currency_id: int,
    programme_code: str,
    activity_code: str,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    staff_id: int,
    secret: bytes,
    now: datetime,
) -> Event:
    """An event whose attendees may claim the activity's points while it is open.

    The programme must be in force when the event opens (or now, if it is open already).
    """
    _check_window(name, starts_at, ends_at, now)
    programme = await grants.programme_in_force(
        session, currency_id=currency_id, code=programme_code, now=max(now, starts_at)
    )
    activity = grants.activity_of(programme, activity_code)
    nonce = _b32(secrets.token_bytes(10))
    values: dict[str, object] = {
        "programme_code": programme.code, "activity_code": activity.code,
        "name": name.strip(), "starts_at": starts_at, "ends_at": ends_at,
    }  # fmt: skip
    event_id = await session.scalar(
        sa.insert(event_table)
        .values(currency_id=currency_id, nonce=nonce, created_by=staff_id, **values)
        .returning(event_table.c.id)
    )
    assert event_id is not None
    await audit.record(
        session, currency_id=currency_id, actor=f"staff:{staff_id}", action="event.create",
        target=f"event:{event_id}", after={**values, "points": activity.points},
    )  # fmt: skip
    token = claim_token(currency_id=currency_id, event_id=event_id, nonce=nonce, secret=secret)
    return Event(
        event_id, programme.code, activity.code, name.strip(), starts_at, ends_at, staff_id, token
    )


async def claim(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    token: str,
    now: datetime,
    secret: bytes,
    idempotency: Idempotency | None = None,
) -> GrantResult:
    """The event's points for this resident, once; AlreadyDone on a second claim.

    With ``idempotency`` (the resident's key), a retry of a claim that went through
    answers its result again (``replayed``) instead of AlreadyDone, and the key used for
    another request is refused by the ledger (IdempotencyConflict)."""
    grants.japan_date(now)  # refuses a naive time before anything is compared with it
    event_id, nonce = read_token(token, currency_id=currency_id, secret=secret)
    found = await _event(session, currency_id, event_id)
    if found is None or not hmac.compare_digest(found["nonce"], nonce):
        raise InvalidCode(NOT_OURS)
    retry = await _key_used(session, currency_id, idempotency)
    if not retry:
        _check_open(found, now)
    person = await grants.resident_for_grant(
        session, currency_id=currency_id, number=resident_number
    )
    await _lock_claim(session, currency_id, event_id, person.id)
    if not retry and await _claimed(session, currency_id, event_id, person.id):
        raise AlreadyDone("You have already received the points for this event.")
    order = await grants.prepare(
        session, currency_id=currency_id, resident_number=person.number,
        programme_code=found["programme_code"], activity_code=found["activity_code"],
        points=None, on=found["starts_at"].astimezone(JAPAN).date(), note=found["name"], now=now,
    )  # fmt: skip
    result = await grants.issue(
        session, currency_id=currency_id, order=order, actor=f"resident:{person.number}",
        idempotency=idempotency, details={"staff": found["created_by"], "event": event_id},
    )  # fmt: skip
    if result.replayed:
        return result
    await session.execute(
        sa.insert(event_claim).values(
            currency_id=currency_id, event_id=event_id, resident_id=person.id,
            operation_id=result.operation_id,
        )
    )  # fmt: skip
    return result


async def list_events(
    session: AsyncSession, *, currency_id: int, secret: bytes, limit: int = 100
) -> list[Event]:
    """The newest events first (by start), each with its claim code."""
    e = event_table.c
    query = sa.select(event_table).where(e.currency_id == currency_id)
    rows = await session.execute(query.order_by(e.starts_at.desc(), e.id.desc()).limit(limit))
    return [_as_event(currency_id, row, secret) for row in rows.mappings()]


async def get_event(
    session: AsyncSession, *, currency_id: int, event_id: int, secret: bytes
) -> Event:
    """One event with its claim code (for its poster); NotFound if not of this currency."""
    found = await _event(session, currency_id, event_id)
    if found is None:
        raise NotFound(f"There is no event {event_id}.")
    return _as_event(currency_id, found, secret)


def _as_event(currency_id: int, row: Any, secret: bytes) -> Event:
    token = claim_token(currency_id=currency_id, event_id=row["id"], nonce=row["nonce"],
                        secret=secret)  # fmt: skip
    return Event(
        row["id"], row["programme_code"], row["activity_code"], row["name"], row["starts_at"],
        row["ends_at"], row["created_by"], token,
    )  # fmt: skip


def claim_token(*, currency_id: int, event_id: int, nonce: str, secret: bytes) -> str:
    mac = _mac(currency_id, event_id, nonce, secret)
    return f"{PREFIX}.{event_id}.{nonce}.{mac}"


def read_token(token: str, *, currency_id: int, secret: bytes) -> tuple[int, str]:
    """The event id and nonce of a genuine token of this currency, or InvalidCode."""
    if not secret:
        raise ValueError("the secret key must not be empty")
    match = _TOKEN.fullmatch(token.strip().upper()[:100])
    if match is None:
        raise InvalidCode(NOT_OURS)
    event_id, nonce, mac = int(match[1]), match[2], match[3]
    if not hmac.compare_digest(mac, _mac(currency_id, event_id, nonce, secret)):
        raise InvalidCode(NOT_OURS)
    return event_id, nonce


def _mac(currency_id: int, event_id: int, nonce: str, secret: bytes) -> str:
    message = f"meguri-event-claim|{currency_id}|{event_id}|{nonce}".encode()
    return _b32(hmac.new(secret, message, hashlib.sha256).digest()[:16])


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def _check_window(name: str, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if any(t.tzinfo is None for t in (starts_at, ends_at, now)):
        raise InvalidOperation("Event times must include a time zone.")
    if not name.strip() or len(name.strip()) > 200:
        raise InvalidOperation("An event needs a name of 1 to 200 characters.")
    if ends_at <= starts_at:
        raise InvalidOperation("An event must end after it starts.")
    if ends_at <= now:
        raise InvalidOperation("This event would already be over: its end must be in the future.")


def _check_open(found: Any, now: datetime) -> None:
    if now < found["starts_at"]:
        raise InvalidOperation(
            f"Points for this event can be claimed from {_shown(found['starts_at'])} "
            "(Japan time). Please scan the code again then."
        )
    if now >= found["ends_at"]:
        raise InvalidOperation(
            f"Claims for this event closed at {_shown(found['ends_at'])} (Japan time). "
            "Please ask the city office if you took part."
        )


def _shown(at: datetime) -> str:
    return f"{at.astimezone(JAPAN):%Y-%m-%d %H:%M}"


async def _event(session: AsyncSession, currency_id: int, event_id: int) -> Any:
    e = event_table.c
    rows = await session.execute(
        sa.select(event_table).where(e.currency_id == currency_id, e.id == event_id)
    )
    return rows.mappings().first()


async def _lock_claim(
    session: AsyncSession, currency_id: int, event_id: int, resident_id: int
) -> None:
    """One claim per event and resident at a time: a second waits, then finds the first."""
    key = f"event-claim/{currency_id}/{event_id}/{resident_id}"
    await session.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0)))
    )


async def _key_used(
    session: AsyncSession, currency_id: int, idempotency: Idempotency | None
) -> bool:
    """Whether this key was used before: then the ledger answers (replay or conflict)."""
    if idempotency is None:
        return False
    i = ledger_idempotency.c
    found = await session.scalar(
        sa.select(sa.literal(True)).where(
            i.currency_id == currency_id, i.principal == idempotency.principal,
            i.key == idempotency.key,
        )
    )  # fmt: skip
    return bool(found)


async def _claimed(
    session: AsyncSession, currency_id: int, event_id: int, resident_id: int
) -> bool:
    c = event_claim.c
    found = await session.scalar(
        sa.select(sa.literal(True)).where(
            c.currency_id == currency_id, c.event_id == event_id, c.resident_id == resident_id
        )
    )
    return bool(found)
