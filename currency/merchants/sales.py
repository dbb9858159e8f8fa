"""A shop's sales, read only: its payments over Japan days, newest first, each with what
was refunded of it; one payment with its refunds; the shop a shop user belongs to.

Every query is bounded by the shop's own ledger account, so no other shop's row is ever
read. The payments of a range come from ledger_transfer's (currency_id,
credit_account_id, created_at) index, the refunds of those payments from the
``refund_of`` index of ledger_operation.

A refund or a payment that city staff reversed gave nothing in the end: it is listed
(marked ``reversed``) but does not count in what the shop kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.clock import JAPAN
from currency.errors import InvalidOperation, NotFound
from currency.ledger.models import operation, transfer
from currency.merchants.models import merchant

MAX_DAYS = 31  # one month on a screen; longer periods are the settlement's reports


@dataclass(frozen=True)
class Shop:
    id: int
    code: str
    name: str
    district: str
    account_id: int
    status: str


@dataclass(frozen=True)
class Refund:
    operation_id: int
    amount: int
    created_at: datetime
    reversed: bool


@dataclass(frozen=True)
class Payment:
    operation_id: int
    amount: int
    by_kind: dict[str, int]
    created_at: datetime
    reversed: bool
    refunds: list[Refund] = field(default_factory=list)

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds if not r.reversed)

    @property
    def kept(self) -> int:
        """What the shop keeps of it: nothing if reversed, else the amount less refunds."""
        return 0 if self.reversed else self.amount - self.refunded


@dataclass(frozen=True)
class Sales:
    start: date
    end: date  # inclusive
    payments: list[Payment]

    @property
    def amount(self) -> int:
        return sum(p.amount for p in self.payments)

    @property
    def refunded(self) -> int:
        return sum(p.refunded for p in self.payments)

    @property
    def kept(self) -> int:
        return sum(p.kept for p in self.payments)


async def shop(session: AsyncSession, *, currency_id: int, merchant_id: int) -> Shop:
    """The shop a shop user belongs to; NotFound when it is not one of this currency."""
    m = merchant.c
    row = (
        await session.execute(
            sa.select(m.id, m.code, m.name, m.district, m.account_id, m.status).where(
                m.currency_id == currency_id, m.id == merchant_id
            )
        )
    ).first()
    if row is None:
        raise NotFound("This shop is not registered with Meguri in this city.")
    return Shop(*row)


def check_range(start: date, end: date) -> None:
    """A range a person meant: in order and at most a month."""
    if end < start:
        raise InvalidOperation(f"The period ends ({end}) before it starts ({start}).")
    if (end - start).days >= MAX_DAYS:
        raise InvalidOperation(f"Choose a period of at most {MAX_DAYS} days.")


async def payments(
    session: AsyncSession, *, currency_id: int, merchant_account_id: int, start: date, end: date
) -> Sales:
    """The shop's payments made on ``start`` … ``end`` (Japan days), newest first."""
    check_range(start, end)
    since, until = _midnight(start), _midnight(end + timedelta(days=1))
    window = [transfer.c.created_at >= since, transfer.c.created_at < until]
    found = await _payments(session, currency_id, merchant_account_id, window)
    return Sales(start, end, found)


async def payment(
    session: AsyncSession, *, currency_id: int, merchant_account_id: int, payment_id: int
) -> Payment:
    """One payment to this shop with its refunds; another shop's is "not found"."""
    found = await _payments(
        session, currency_id, merchant_account_id, [transfer.c.operation_id == payment_id]
    )
    if not found:
        raise NotFound(f"Payment {payment_id} was not found at this shop.")
    return found[0]


async def refund(
    session: AsyncSession, *, currency_id: int, merchant_account_id: int, refund_id: int
) -> Refund:
    """One refund this shop made."""
    rows = await _refund_rows(
        session, currency_id, merchant_account_id, [operation.c.id == refund_id]
    )
    if not rows:
        raise NotFound(f"Refund {refund_id} was not found at this shop.")
    return rows[0][1]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), JAPAN)


async def _payments(
    session: AsyncSession,
    currency_id: int,
    account_id: int,
    where: Sequence[sa.ColumnElement[bool]],
) -> list[Payment]:
    t = transfer.c
    rows = await session.execute(
        sa.select(t.operation_id, t.kind, sa.func.sum(t.amount), sa.func.min(t.created_at))
        .where(
            t.currency_id == currency_id,
            t.credit_account_id == account_id,
            t.kind.like("payment.%"),
            *where,
        )
        .group_by(t.operation_id, t.kind)
    )
    legs: dict[int, dict[str, int]] = defaultdict(dict)
    made: dict[int, datetime] = {}
    for operation_id, kind, amount, created_at in rows:
        legs[operation_id][kind.removeprefix("payment.")] = int(amount)
        made[operation_id] = created_at
    refunds = await _refunds_of(session, currency_id, account_id, list(legs))
    reversed_ = await _reversed(session, currency_id, list(legs))
    found = [
        Payment(i, sum(by.values()), by, made[i], i in reversed_, refunds.get(i, []))
        for i, by in legs.items()
    ]
    return sorted(found, key=lambda p: (p.created_at, p.operation_id), reverse=True)


async def _refunds_of(
    session: AsyncSession, currency_id: int, account_id: int, payment_ids: list[int]
) -> dict[int, list[Refund]]:
    if not payment_ids:
        return {}
    rows = await _refund_rows(session, currency_id, account_id, [_refund_of().in_(payment_ids)])
    found: dict[int, list[Refund]] = defaultdict(list)
    for payment_id, one in rows:
        found[payment_id].append(one)
    return found


async def _refund_rows(
    session: AsyncSession,
    currency_id: int,
    account_id: int,
    where: Sequence[sa.ColumnElement[bool]],
) -> list[tuple[int, Refund]]:
    """(payment id, refund) of this shop's refunds matching ``where``, oldest first."""
    o, t = operation.c, transfer.c
    rows = await session.execute(
        sa.select(o.id, _refund_of(), o.created_at, sa.func.sum(t.amount))
        .join(transfer, sa.and_(t.currency_id == o.currency_id, t.operation_id == o.id))
        .where(o.currency_id == currency_id, o.kind == "refund", t.debit_account_id == account_id)
        .where(*where)
        .group_by(o.currency_id, o.id)
        .order_by(o.id)
    )
    found = [(int(r[1]), int(r[0]), r[2], int(r[3])) for r in rows]
    reversed_ = await _reversed(session, currency_id, [r[1] for r in found])
    return [(p, Refund(i, amount, at, i in reversed_)) for p, i, at, amount in found]


def _refund_of() -> sa.ColumnElement[int]:
    """As the index ix_ledger_operation_refund_of spells it, with the key as a literal (not
    a bound parameter) so that even a generic plan of the prepared statement uses it."""
    text = operation.c.details.op("->>")(sa.literal_column("'refund_of'"))
    return sa.cast(text, sa.BigInteger)


async def _reversed(session: AsyncSession, currency_id: int, operation_ids: list[int]) -> set[int]:
    if not operation_ids:
        return set()
    o = operation.c
    rows = await session.scalars(
        sa.select(o.reverses_operation_id).where(
            o.currency_id == currency_id, o.reverses_operation_id.in_(operation_ids)
        )
    )
    return {int(i) for i in rows if i is not None}
