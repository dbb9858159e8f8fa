"""Fold insert-only balance deltas of merchants and system accounts into their balance.

Payments only append deltas (no row lock on a busy shop or on ``issued``); this job
adds them up now and then, so reading a balance stays cheap. Atomic: a reader sees
either the deltas or their sum, never both or neither.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

_FOLD = sa.text("""
    WITH gone AS (
      DELETE FROM ledger_balance_delta
       WHERE currency_id = :c
         AND id IN (SELECT id FROM ledger_balance_delta WHERE currency_id = :c
                     ORDER BY id LIMIT :n)
      RETURNING account_id, amount
    ), sums AS (SELECT account_id, sum(amount) AS amount FROM gone GROUP BY account_id)
    UPDATE ledger_account a SET balance = a.balance + sums.amount
      FROM sums
     WHERE a.currency_id = :c AND a.id = sums.account_id
    RETURNING a.id
""")


async def roll_up(session: AsyncSession, *, currency_id: int, batch: int = 20000) -> int:
    """Fold up to ``batch`` deltas; returns how many accounts changed."""
    result = await session.execute(_FOLD, {"c": currency_id, "n": batch})
    return len(result.all())
