"""Open data for a closed month, read from the ledger (payments net of refunds, grants).

Payments are counted in the month (Asia/Tokyo) they were made, in the district and
category of the shop paid, and the age band of the resident who paid. Their refunds and
reversals are subtracted from the payment they undo, whenever they happen: a month's
amount is what residents finally spent in it (so a late refund lowers an already
published month). Grants are counted likewise, by the resident's district and the
programme, net of their reversals.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.clock import JAPAN
from currency.opendata import tables
from currency.opendata.cells import Fact
from currency.opendata.suppression import Rule
from currency.opendata.tables import GRANTS, PAYMENTS, MonthTables, next_month

DEFAULT_K = 10
UNSPECIFIED_PROGRAMME = "未指定"

# Each row: one resident at one shop in the month, payments summed net of what was given back.
PAYMENT_FACTS = sa.text("""
WITH pay AS (
  SELECT o.id, min(t.debit_account_id) AS wallet, min(t.credit_account_id) AS shop_account,
         sum(t.amount) AS amount
  FROM ledger_operation o
  JOIN ledger_transfer t ON t.currency_id = o.currency_id AND t.operation_id = o.id
  WHERE o.currency_id = :currency AND o.kind = 'payment'
    AND o.created_at >= :start AND o.created_at < :end
  GROUP BY o.id
), back AS (
  SELECT coalesce(o.reverses_operation_id, (o.details ->> 'refund_of')::bigint) AS payment,
         sum(t.amount) AS amount
  FROM ledger_operation o
  JOIN ledger_transfer t ON t.currency_id = o.currency_id AND t.operation_id = o.id
  WHERE o.currency_id = :currency AND (
    (o.kind = 'refund' AND (o.details ->> 'refund_of')::bigint IN (SELECT id FROM pay))
    OR o.reverses_operation_id IN (SELECT id FROM pay))
  GROUP BY 1
)
SELECT r.id AS resident, m.id AS shop, m.district, m.category AS dim, r.birth_year,
       count(*) AS n, sum(greatest(p.amount - coalesce(b.amount, 0), 0)) AS amount
FROM pay p
LEFT JOIN back b ON b.payment = p.id
JOIN resident r ON r.currency_id = :currency AND r.wallet_account_id = p.wallet
JOIN merchant m ON m.currency_id = :currency AND m.account_id = p.shop_account
GROUP BY r.id, m.id, m.district, m.category, r.birth_year
""")

# Each row: one resident in one programme in the month, grants summed net of reversals.
GRANT_FACTS = sa.text("""
WITH granted AS (
  SELECT o.id, min(t.credit_account_id) AS wallet, min(l.programme_id) AS programme,
         sum(t.amount) AS amount
  FROM ledger_operation o
  JOIN ledger_transfer t ON t.currency_id = o.currency_id AND t.operation_id = o.id
  LEFT JOIN ledger_lot_movement lm ON lm.currency_id = t.currency_id AND lm.transfer_id = t.id
  LEFT JOIN ledger_lot l ON l.currency_id = lm.currency_id AND l.id = lm.lot_id
  WHERE o.currency_id = :currency AND o.kind = 'grant'
    AND o.created_at >= :start AND o.created_at < :end
  GROUP BY o.id
), back AS (
  SELECT o.reverses_operation_id AS grant_id, sum(t.amount) AS amount
  FROM ledger_operation o
  JOIN ledger_transfer t ON t.currency_id = o.currency_id AND t.operation_id = o.id
  WHERE o.currency_id = :currency AND o.reverses_operation_id IN (SELECT id FROM granted)
  GROUP BY 1
)
SELECT r.id AS resident, NULL::bigint AS shop, r.district, coalesce(ir.code, :unspecified) AS dim,
       r.birth_year, count(*) AS n, sum(greatest(g.amount - coalesce(b.amount, 0), 0)) AS amount
FROM granted g
LEFT JOIN back b ON b.grant_id = g.id
JOIN resident r ON r.currency_id = :currency AND r.wallet_account_id = g.wallet
LEFT JOIN issuance_rule ir ON ir.currency_id = :currency AND ir.id = g.programme
GROUP BY r.id, r.district, coalesce(ir.code, :unspecified), r.birth_year
""")

FIRST_ACTIVITY = sa.text("""
SELECT min(created_at) FROM ledger_operation
WHERE currency_id = :currency AND kind IN ('payment', 'grant')
""")


def rule_from(settings: Any, *, k: int | None = None) -> Rule:
    """The suppression rule: ``k`` if given, else the setting ``open_data_k`` (default 10)."""
    chosen = k if k is not None else int(getattr(settings, "open_data_k", DEFAULT_K))
    return Rule(k=chosen)


def bounds(first: date) -> tuple[datetime, datetime]:
    """The month as instants: from its first midnight in Japan to the next month's."""
    return (
        datetime.combine(first, time(), JAPAN),
        datetime.combine(next_month(first), time(), JAPAN),
    )


async def month_tables(
    session: AsyncSession, *, currency_id: int, month: date, rule: Rule
) -> MonthTables:
    """The payments and grants tables of one month, suppressed and ready to publish."""
    built = []
    for name, query in ((PAYMENTS, PAYMENT_FACTS), (GRANTS, GRANT_FACTS)):
        facts = await _facts(session, query, currency_id, month)
        built.append(tables.build(name, facts, rule))
    return MonthTables(month=month, rule=rule, tables=tuple(built))


async def _facts(
    session: AsyncSession, query: sa.TextClause, currency_id: int, month: date
) -> list[Fact]:
    start, end = bounds(month)
    params = {"currency": currency_id, "start": start, "end": end}
    rows = await session.execute(query, {**params, "unspecified": UNSPECIFIED_PROGRAMME})
    band = month.year
    return [
        Fact(
            resident=r["resident"],
            dims=(r["district"], r["dim"], tables.age_band(r["birth_year"], band)),
            count=int(r["n"]),
            amount=int(r["amount"]),
            shop=r["shop"],
        )
        for r in rows.mappings()
    ]


async def published_months(session: AsyncSession, *, currency_id: int, today: date) -> list[date]:
    """Closed months with activity, newest first: from the first payment or grant to last month.

    The current month is never published: its figures are still moving."""
    first = await session.scalar(FIRST_ACTIVITY, {"currency": currency_id})
    if first is None:
        return []
    month = first.astimezone(JAPAN).date().replace(day=1)
    current = today.replace(day=1)
    found = []
    while month < current:
        found.append(month)
        month = next_month(month)
    return found[::-1]


def is_published(month: date, today: date) -> bool:
    return month < today.replace(day=1)
