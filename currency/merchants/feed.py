"""A shop's live feed, read only: its payments (from residents, and from other shops) and
the refunds it gave, in operation id order, each with a resumable cursor.

Why the cursor is not just the last operation id: operation ids come from an identity
column, taken when a transaction inserts, so two payments can commit out of order — id
11 visible before id 10. A reader that moved straight to 11 would never send 10. Here a
cursor is a *horizon* plus the ids already sent above it (``"1200:1203,1207"``):

- every operation of the shop with an id ≤ the horizon that will ever commit was sent;
- each read re-reads everything above the horizon (a short overlap) and sends only what
  is not in the cursor's set, so nothing is sent twice, on one stream or after a resume.

The horizon moves up to an operation only once that operation began at least
``2 × SETTLE`` ago, because no payment's transaction stays open ``SETTLE`` (a posting
is one SQL call, in a group commit of milliseconds): an operation with a smaller id was
taken before it, so it began at most ``SETTLE`` later and has committed by now — it is
in this read. The set holds a couple of minutes of a shop's sales: a few ids. Times
are the database's (``created_at`` and ``now()``: the start of each transaction). No
transaction id, trigger or NOTIFY is used (the ledger's hot path is untouched, and the
same reads work on Citus).

The payer is never named: a payment shows who paid only as ``resident`` or ``shop`` and
a reference — the last four digits of its number, what the customer's screen shows, so
the clerk can match the two (fake completion screens are a known fraud).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.clock import JAPAN
from currency.ledger.models import operation, transfer

SETTLE = timedelta(seconds=60)
MAX_SEEN = 500  # a cursor longer than this was not written by us
LIMIT = 500
Kind = Literal["payment", "refund"]


@dataclass(frozen=True)
class Cursor:
    """Where a feed stands: all up to ``horizon`` was sent, and ``seen`` above it."""

    horizon: int = 0
    seen: frozenset[int] = frozenset()

    def text(self) -> str:
        return ":".join([str(self.horizon), ",".join(map(str, sorted(self.seen)))]).rstrip(":")

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor an event id (``Last-Event-ID``) holds; None when it is not one."""
        head, _, tail = (text or "").strip().partition(":")
        parts = [head, *(tail.split(",") if tail else [])]
        if len(parts) > MAX_SEEN + 1 or not all(p.isdigit() and len(p) <= 18 for p in parts):
            return None
        horizon, *seen = map(int, parts)
        return cls(horizon, frozenset(i for i in seen if i > horizon))

    def after(self, operation_id: int, settled: int) -> Cursor:
        """This cursor once ``operation_id`` was sent and all up to ``settled`` is in."""
        horizon = max(self.horizon, settled)
        return Cursor(horizon, frozenset(i for i in self.seen | {operation_id} if i > horizon))


@dataclass(frozen=True)
class FeedEvent:
    cursor: Cursor
    kind: Kind
    operation_id: int
    amount: int
    by_kind: dict[str, int]  # e.g. {"coin": 800, "point": 200}
    at: datetime
    payer: Literal["resident", "shop"]
    reference: str  # the last four digits of the operation's number
    refund_of: int | None
    today_total: int  # the shop's payments less refunds today (Japan), as of this read

    @property
    def id(self) -> str:
        return self.cursor.text()


@dataclass
class _Row:
    operation_id: int
    kind: Kind
    payer: Literal["resident", "shop"]
    at: datetime
    refund_of: int | None
    by_kind: dict[str, int]


async def events_after(
    session: AsyncSession,
    *,
    currency_id: int,
    merchant_account_id: int,
    after: Cursor,
    since: datetime,
    limit: int = LIMIT,
) -> list[FeedEvent]:
    """The shop's payments and refunds not yet sent after ``after``, begun at ``since`` or
    later, oldest id first (at most ``limit``; read again for more)."""
    rows, now = await _rows(session, currency_id, merchant_account_id, after, since, limit)
    unsent = [r for r in rows if r.operation_id not in after.seen]
    if not unsent:
        return []
    total = await today_total(
        session, currency_id=currency_id, merchant_account_id=merchant_account_id, now=now
    )
    return _events(after, rows, unsent, now - 2 * SETTLE, total)


def _events(
    after: Cursor, rows: list[_Row], unsent: list[_Row], settled_before: datetime, total: int
) -> list[FeedEvent]:
    """Each unsent row as an event whose cursor covers it and everything read before it."""
    events, cursor, settled, read = [], after, 0, iter(rows)
    for row in unsent:
        for earlier in read:  # rows and unsent are both in id order
            if earlier.at <= settled_before:
                settled = earlier.operation_id
            if earlier.operation_id == row.operation_id:
                break
        cursor = cursor.after(row.operation_id, settled)
        events.append(
            FeedEvent(
                cursor,
                row.kind,
                row.operation_id,
                sum(row.by_kind.values()),
                row.by_kind,
                row.at.astimezone(JAPAN),
                row.payer,
                f"{row.operation_id % 10_000:04d}",
                row.refund_of,
                total,
            )
        )
    return events


def _mine(account_id: int) -> sa.ColumnElement[bool]:
    """A transfer of a sale to this shop, or of a refund from it."""
    t = transfer.c
    sale = sa.or_(t.kind.like("payment.%"), t.kind == "merchant_pay")
    return sa.or_(
        sa.and_(t.credit_account_id == account_id, sale),
        sa.and_(t.debit_account_id == account_id, t.kind.like("refund.%")),
    )


async def _rows(
    session: AsyncSession,
    currency_id: int,
    account_id: int,
    after: Cursor,
    since: datetime,
    limit: int,
) -> tuple[list[_Row], datetime]:
    t, o = transfer.c, operation.c
    # an operation above the horizon began at most SETTLE before the horizon's did
    horizon_began = (
        sa.select(o.created_at - SETTLE)
        .where(o.currency_id == currency_id, o.id == after.horizon)
        .scalar_subquery()
    )
    where = [
        t.currency_id == currency_id,
        t.operation_id > after.horizon,
        t.created_at >= sa.func.greatest(since, horizon_began),
        _mine(account_id),
    ]
    ids = sa.select(t.operation_id).where(*where).distinct().order_by(t.operation_id).limit(limit)
    legs = await session.execute(
        sa.select(
            t.operation_id,
            t.kind,
            t.amount,
            t.created_at,
            o.details["refund_of"].astext,
            sa.func.now(),
        )
        .join(operation, sa.and_(o.currency_id == t.currency_id, o.id == t.operation_id))
        .where(*where, t.operation_id.in_(ids))
        .order_by(t.operation_id, t.leg)
    )
    return _grouped(legs.all())


def _grouped(legs: Sequence[Any]) -> tuple[list[_Row], datetime]:
    found: dict[int, _Row] = {}
    now = legs[0][5] if legs else datetime.now(JAPAN)
    for op_id, kind, amount, at, refund_of, _ in legs:
        family, _, lot_kind = kind.partition(".")
        row = found.setdefault(
            op_id,
            _Row(op_id, "refund" if family == "refund" else "payment",
                 "shop" if family == "merchant_pay" else "resident", at,
                 int(refund_of) if refund_of and family == "refund" else None, {}),
        )  # fmt: skip
        key = lot_kind or "coin"  # a shop pays a shop in coins only
        row.by_kind[key] = row.by_kind.get(key, 0) + int(amount)
    return list(found.values()), now


async def today_total(
    session: AsyncSession, *, currency_id: int, merchant_account_id: int, now: datetime
) -> int:
    """What the shop took today (Japan day of ``now``): payments received less refunds.
    Reversals by the city are left out (see the sales list for those)."""
    t = transfer.c
    signed = sa.case((t.credit_account_id == merchant_account_id, t.amount), else_=-t.amount)
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(signed), 0)).where(
            t.currency_id == currency_id,
            t.created_at >= _midnight(now.astimezone(JAPAN).date()),
            _mine(merchant_account_id),
        )
    )
    return int(total or 0)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), JAPAN)


def start_of_day(now: datetime) -> datetime:
    """Midnight in Japan of ``now``'s day: where a fresh feed starts."""
    return _midnight(now.astimezone(JAPAN).date())


Shop = tuple[int, int]  # (currency id, the shop's ledger account)

_CHANGES = sa.text("""
SELECT s.currency_id, s.account_id, count(*), sum(t.id)
FROM unnest(CAST(:currencies AS smallint[]), CAST(:accounts AS bigint[]))
     AS s(currency_id, account_id)
JOIN LATERAL (
    SELECT id FROM ledger_transfer
    WHERE currency_id = s.currency_id AND credit_account_id = s.account_id
      AND created_at >= now() - CAST(:window AS interval)
      AND (kind LIKE 'payment.%' OR kind = 'merchant_pay')
    UNION ALL
    SELECT id FROM ledger_transfer
    WHERE currency_id = s.currency_id AND debit_account_id = s.account_id
      AND created_at >= now() - CAST(:window AS interval) AND kind LIKE 'refund.%'
) AS t ON true
GROUP BY s.currency_id, s.account_id
""")


async def recent(session: AsyncSession, *, shops: Sequence[Shop]) -> dict[Shop, tuple[int, int]]:
    """For each shop, a fingerprint of its sale and refund transfers begun in the last
    ``2 × SETTLE`` (how many, and the sum of their ids): it changes whenever one commits,
    even late with a smaller id. One query for all the shops; shops with none are left out.
    """
    if not shops:
        return {}
    rows = await session.execute(
        _CHANGES,
        {
            "currencies": [c for c, _ in shops],
            "accounts": [a for _, a in shops],
            "window": 2 * SETTLE,
        },
    )
    return {(int(c), int(a)): (int(n), int(s)) for c, a, n, s in rows}
