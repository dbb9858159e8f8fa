"""The settlement's queries: its rows, a merchant's receipts up to a close, the lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import NotFound
from currency.ledger.models import currency
from currency.merchants.models import merchant
from currency.settlement.models import settlement


@dataclass(frozen=True, slots=True)
class Settlement:
    id: int
    merchant_id: int
    merchant_code: str
    merchant_name: str
    period_start: date
    period_end: date
    amount: int
    fee_rate_bp: int
    fee: int
    payout: int
    payout_on: date
    operation_id: int | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Merchant:
    id: int
    code: str
    account_id: int


# Each side of the account through its own (account, created_at) index: never a scan of
# the currency's whole history.
_OWED = sa.text("""
    WITH moved AS (
      SELECT t.amount, t.operation_id FROM ledger_transfer t
       WHERE t.currency_id = :c AND t.credit_account_id = :account AND t.created_at < :closes_at
      UNION ALL
      SELECT -t.amount, t.operation_id FROM ledger_transfer t
       WHERE t.currency_id = :c AND t.debit_account_id = :account AND t.created_at < :closes_at
    )
    SELECT (SELECT coalesce(sum(m.amount), 0) FROM moved m
              JOIN ledger_operation o ON o.currency_id = :c AND o.id = m.operation_id
             WHERE o.kind <> 'settlement') AS receipts,
           (SELECT coalesce(sum(amount), 0) FROM settlement
             WHERE currency_id = :c AND merchant_id = :merchant) AS settled_before
""")


async def owed(
    session: AsyncSession, currency_id: int, shop: Merchant, closes_at: datetime
) -> dict[str, int]:
    """``receipts`` before the close (settlements left out) and ``settled_before``."""
    params = {"c": currency_id, "account": shop.account_id, "merchant": shop.id}
    row = (await session.execute(_OWED, {**params, "closes_at": closes_at})).one()
    return {"receipts": int(row.receipts), "settled_before": int(row.settled_before)}


async def lock(session: AsyncSession, currency_id: int, merchant_id: int) -> None:
    """Settlements of one merchant happen one at a time: a second waits, then finds the
    first's row (a new statement under READ COMMITTED sees what the first committed)."""
    key = f"settle/{currency_id}/{merchant_id}"
    await session.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0)))
    )


async def zone(session: AsyncSession, currency_id: int) -> ZoneInfo:
    name = await session.scalar(sa.select(currency.c.timezone).where(currency.c.id == currency_id))
    if name is None:
        raise NotFound(f"currency {currency_id} does not exist")
    return ZoneInfo(name)


async def merchant_row(session: AsyncSession, currency_id: int, merchant_id: int) -> Merchant:
    m = merchant
    query = sa.select(m.c.id, m.c.code, m.c.account_id)
    row = (
        await session.execute(query.where(m.c.currency_id == currency_id, m.c.id == merchant_id))
    ).first()
    if row is None:
        raise NotFound(f"merchant {merchant_id} does not exist")
    return Merchant(row.id, row.code, row.account_id)


async def insert(
    session: AsyncSession,
    currency_id: int,
    row: dict[str, Any],
    operation_id: int | None,
    actor: str,
) -> int:
    columns = {k: v for k, v in row.items() if k in settlement.c}
    new_id = await session.scalar(
        sa.insert(settlement)
        .values(currency_id=currency_id, operation_id=operation_id, created_by=actor, **columns)
        .returning(settlement.c.id)
    )
    assert new_id is not None
    return int(new_id)


async def select(
    session: AsyncSession, currency_id: int, *where: sa.ColumnElement[bool]
) -> list[Settlement]:
    s, m = settlement, merchant
    query = (
        sa.select(s, m.c.code.label("merchant_code"), m.c.name.label("merchant_name"))
        .join(m, (m.c.currency_id == s.c.currency_id) & (m.c.id == s.c.merchant_id))
        .where(s.c.currency_id == currency_id, *where)
        .order_by(s.c.merchant_id, s.c.period_end)
    )
    rows = (await session.execute(query)).mappings()
    return [Settlement(**{k: row[k] for k in Settlement.__dataclass_fields__}) for row in rows]
