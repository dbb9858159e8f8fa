"""Granting volunteer points: one resident, one activity of a point programme in force.

The caps and the budget are checked inside the ledger's builder, after the idempotency
key is looked at and under the counters' locks: a retried grant returns what it granted
the first time (even if the cap is full now), and the counters move only when a grant
is really written. A refusal raises before anything is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import InvalidOperation
from currency.issuance.grants import counters
from currency.issuance.grants.counters import Counters
from currency.issuance.grants.lookup import (
    Programme,
    Resident,
    activity_of,
    japan_date,
    lot_expiry,
    programme_in_force,
    resident_for_grant,
    source_account,
)
from currency.issuance.policy import Refusal
from currency.issuance.rules import Activity
from currency.ledger import operations, posting
from currency.ledger.operations import Context, Issue
from currency.ledger.posting import Request
from currency.ledger.types import Draft, Idempotency, Locked, Posted


@dataclass(frozen=True, slots=True)
class GrantResult:
    operation_id: int
    lot_id: int
    resident_number: str
    programme: str
    activity: str
    points: int
    on: date
    expires_on: date
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Order:
    """One grant, checked against everything but the caps (those are checked under locks)."""

    resident: Resident
    programme: Programme
    activity: Activity
    points: int | None  # None: the activity's points
    on: date
    note: str | None
    expires_on: date

    @property
    def amount(self) -> int:
        return self.activity.points if self.points is None else self.points

    @property
    def counters(self) -> Counters:
        return Counters.of(self.programme.code, self.resident.id, self.on)

    def refusal(self, used: Mapping[str, int]) -> Refusal | None:
        rule, code, names = self.programme.rule, self.activity.code, self.counters
        return counters.refusal(rule, activity=code, points=self.points, names=names, used=used)

    def request(self) -> dict[str, Any]:
        """What makes two grants the same request (the idempotency fingerprint)."""
        return {"resident_number": self.resident.number, **self.details(), "points": self.points}

    def details(self) -> dict[str, Any]:
        return {
            "programme": self.programme.code,
            "activity": self.activity.code,
            "points": self.amount,
            "note": self.note,
            "on": self.on.isoformat(),
        }

    def response(self) -> dict[str, Any]:
        summary = {"resident_number": self.resident.number, "expires_on": str(self.expires_on)}
        return {**self.details(), **summary}


async def grant(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    programme_code: str,
    activity_code: str,
    staff_id: int,
    note: str | None = None,
    points: int | None = None,
    on: date | None = None,
    now: datetime,
    idempotency: str | None = None,
) -> GrantResult:
    """Grant ``points`` (default: the activity's) to a resident, recorded as ``staff_id``'s.

    ``on`` is the activity's date (default: today, JST); its month and year are the caps'.
    ``idempotency`` is the client's key (principal ``staff:<id>``): a retry with the same
    key and request returns the first result and grants nothing more.
    """
    order = await prepare(
        session, currency_id=currency_id, resident_number=resident_number,
        programme_code=programme_code, activity_code=activity_code, points=points, on=on,
        note=note, now=now,
    )  # fmt: skip
    actor = f"staff:{staff_id}"
    key = Idempotency(actor, idempotency, order.request()) if idempotency else None
    result = await issue(
        session, currency_id=currency_id, order=order, actor=actor, idempotency=key,
        details={"staff": staff_id},
    )  # fmt: skip
    if not result.replayed:
        await audit.record(
            session, currency_id=currency_id, actor=actor, action="grant",
            target=f"resident:{result.resident_number}",
            after={"operation_id": result.operation_id, **order.response()},
        )  # fmt: skip
    return result


async def prepare(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    programme_code: str,
    activity_code: str,
    points: int | None,
    on: date | None,
    note: str | None,
    now: datetime,
) -> Order:
    """Everything a grant needs and may be refused for, except the caps."""
    today = japan_date(now)
    day = on or today
    if day > today:
        raise InvalidOperation(f"The activity date {day} is in the future (today is {today}).")
    if points is not None and points <= 0:
        raise InvalidOperation(f"Points must be a whole number of 1 or more, not {points}.")
    person = await resident_for_grant(session, currency_id=currency_id, number=resident_number)
    programme = await programme_in_force(
        session, currency_id=currency_id, code=programme_code, now=now
    )
    activity = activity_of(programme, activity_code)
    expires_on = await lot_expiry(session, currency_id=currency_id, programme=programme, now=now)
    return Order(person, programme, activity, points, day, (note or "").strip() or None, expires_on)


async def issue(
    session: AsyncSession,
    *,
    currency_id: int,
    order: Order,
    actor: str,
    idempotency: Idempotency | None,
    details: Mapping[str, Any],
) -> GrantResult:
    """Lock the counters, post the lot (caps checked under the locks), count it once."""
    names = order.counters.names
    used = await counters.lock(session, currency_id=currency_id, names=names)
    source = await source_account(session, currency_id=currency_id, programme=order.programme)
    request = issue_request(
        order, actor=actor, idempotency=idempotency, details=details, source=source, used=used
    )
    posted = await posting.post_request(session, currency_id=currency_id, request=request)
    if not posted.replayed:
        amounts = dict.fromkeys(names, order.amount)
        await counters.add(session, currency_id=currency_id, amounts=amounts)
    return result_of(posted, order)


def issue_request(
    order: Order,
    *,
    actor: str,
    idempotency: Idempotency | None,
    details: Mapping[str, Any],
    source: int,
    used: Mapping[str, int] | None = None,
) -> Request:
    """The ledger request for ``order``; with ``used``, refused if it passes a cap."""
    where = order.programme.rule.restrictions
    tags, districts = where.allowed_tags, where.allowed_districts
    lot = Issue(
        source, order.amount, "point", order.expires_on, programme_id=order.programme.id,
        allowed_tags=None if tags is None else frozenset(tags),
        allowed_districts=None if districts is None else frozenset(districts),
    )  # fmt: skip
    ctx = Context(actor, idempotency, {**order.details(), **details}, order.response())
    request = operations.issue_request(
        wallet=order.resident.wallet, issues=[lot], kind="grant", ctx=ctx
    )
    if used is None:
        return request
    build = request.build

    def capped(locked: Locked) -> Draft | Awaitable[Draft]:
        if (refused := order.refusal(used)) is not None:
            raise counters.limit_exceeded(refused, order.on)
        return build(locked)

    return replace(request, build=capped)


def result_of(posted: Posted, order: Order) -> GrantResult:
    """The grant as posted; a replay says what the first request granted."""
    said = posted.response if posted.replayed else order.response()
    return GrantResult(
        operation_id=posted.operation_id,
        lot_id=posted.lot_ids[0],
        resident_number=str(said["resident_number"]),
        programme=str(said["programme"]),
        activity=str(said["activity"]),
        points=int(said["points"]),
        on=date.fromisoformat(str(said["on"])),
        expires_on=date.fromisoformat(str(said["expires_on"])),
        replayed=posted.replayed,
    )
