"""``meguri verify``: recompute everything from the transfers and check the chain.

Stops at the first discrepancy and names it exactly (which link, transfer or account,
what was expected and what was found).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.ledger.chain import GENESIS, link_hash
from currency.ledger.models import chain_link, transfer

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Report:
    currency_id: int
    transfers: int
    links: int
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


async def verify(
    session: AsyncSession, *, currency_id: int, progress: Progress | None = None
) -> Report:
    transfers = int(await session.scalar(_count_transfers(currency_id)) or 0)
    links, problem = await _check_chain(session, currency_id, progress)
    for check in (_chained_once, _balances, _sum_is_zero, _no_negative, _lots, _wallet_lots):
        if problem is None:
            problem = await check(session, currency_id)
    return Report(currency_id=currency_id, transfers=transfers, links=links, problem=problem)


def _count_transfers(currency_id: int) -> sa.Select[int]:
    return (
        sa.select(sa.func.count())
        .select_from(transfer)
        .where(transfer.c.currency_id == currency_id)
    )


async def _check_chain(
    session: AsyncSession, currency_id: int, progress: Progress | None
) -> tuple[int, str | None]:
    query = (
        sa.select(chain_link.c.sequence, chain_link.c.previous_hash, chain_link.c.hash, transfer)
        .join(
            transfer,
            sa.and_(
                transfer.c.currency_id == chain_link.c.currency_id,
                transfer.c.id == chain_link.c.transfer_id,
            ),
        )
        .where(chain_link.c.currency_id == currency_id)
        .order_by(chain_link.c.sequence)
        .execution_options(yield_per=5000)
    )
    previous, expected_sequence = GENESIS, 1
    async for row in (await session.stream(query)).mappings():
        problem = _check_link(row, previous, expected_sequence)
        if problem:
            return expected_sequence - 1, problem
        previous, expected_sequence = row["hash"], expected_sequence + 1
        if progress and expected_sequence % 5000 == 0:
            progress(5000)
    return expected_sequence - 1, None


def _check_link(row: sa.RowMapping, previous: bytes, expected_sequence: int) -> str | None:
    where = f"chain link {row['sequence']} (transfer {row['id']})"
    if row["sequence"] != expected_sequence:
        return f"chain link {expected_sequence} is missing (next found: {row['sequence']})"
    if row["previous_hash"] != previous:
        return f"{where}: previous hash {row['previous_hash'].hex()}, expected {previous.hex()}"
    recomputed = link_hash(previous, row)
    if recomputed != row["hash"]:
        return (
            f"{where}: transfer does not match its link: expected hash "
            f"{recomputed.hex()}, found {row['hash'].hex()}"
        )
    return None


async def _first(
    session: AsyncSession, sql: str, currency_id: int
) -> sa.Row[tuple[object, ...]] | None:
    return (await session.execute(sa.text(sql), {"c": currency_id})).first()


async def _chained_once(session: AsyncSession, currency_id: int) -> str | None:
    row = await _first(
        session,
        """
        SELECT t.id, l.sequence IS NOT NULL AS chained, q.transfer_id IS NOT NULL AS queued
          FROM ledger_transfer t
          LEFT JOIN ledger_chain_link l ON l.currency_id = t.currency_id AND l.transfer_id = t.id
          LEFT JOIN ledger_chain_queue q ON q.currency_id = t.currency_id AND q.transfer_id = t.id
         WHERE t.currency_id = :c AND (l.sequence IS NULL) = (q.transfer_id IS NULL)
         ORDER BY t.id LIMIT 1""",
        currency_id,
    )
    if row is None:
        return None
    state = "both chained and still queued" if row.chained else "neither chained nor queued"
    return f"transfer {row.id} is {state}"


_RECOMPUTED = """
    WITH moved AS (
      SELECT credit_account_id AS account_id, amount FROM ledger_transfer WHERE currency_id = :c
      UNION ALL
      SELECT debit_account_id, -amount FROM ledger_transfer WHERE currency_id = :c
    ), expected AS (SELECT account_id, sum(amount) AS amount FROM moved GROUP BY account_id),
    pending AS (
      SELECT account_id, sum(amount) AS amount FROM ledger_balance_delta
       WHERE currency_id = :c GROUP BY account_id
    )
    SELECT a.id, a.kind, coalesce(e.amount, 0) AS expected,
           a.balance + coalesce(p.amount, 0) AS found
      FROM ledger_account a
      LEFT JOIN expected e ON e.account_id = a.id
      LEFT JOIN pending p ON p.account_id = a.id
     WHERE a.currency_id = :c
"""


async def _balances(session: AsyncSession, currency_id: int) -> str | None:
    row = await _first(
        session,
        f"SELECT * FROM ({_RECOMPUTED}) b WHERE expected <> found ORDER BY id LIMIT 1",
        currency_id,
    )
    if row is None:
        return None
    return (
        f"account {row.id} ({row.kind}): balance {row.found} recorded, "
        f"{row.expected} expected from its transfers"
    )


async def _sum_is_zero(session: AsyncSession, currency_id: int) -> str | None:
    total = await session.scalar(
        sa.text(f"SELECT sum(found) FROM ({_RECOMPUTED}) b"), {"c": currency_id}
    )
    if total in (None, 0):
        return None
    return f"balances of currency {currency_id} sum to {total}, expected 0"


async def _no_negative(session: AsyncSession, currency_id: int) -> str | None:
    row = await _first(
        session,
        f"SELECT * FROM ({_RECOMPUTED}) b WHERE kind IN "
        "('wallet', 'merchant') AND expected < 0 ORDER BY id LIMIT 1",
        currency_id,
    )
    return None if row is None else f"account {row.id} ({row.kind}) is negative: {row.expected}"


async def _lots(session: AsyncSession, currency_id: int) -> str | None:
    row = await _first(
        session,
        """
        SELECT l.id, l.amount_remaining AS found, coalesce(sum(m.amount), 0) AS expected
          FROM ledger_lot l
          LEFT JOIN ledger_lot_movement m ON m.currency_id = l.currency_id AND m.lot_id = l.id
         WHERE l.currency_id = :c
         GROUP BY l.id, l.amount_remaining
        HAVING l.amount_remaining <> coalesce(sum(m.amount), 0)
         ORDER BY l.id LIMIT 1""",
        currency_id,
    )
    if row is None:
        return None
    return (
        f"lot {row.id}: {row.found} remaining recorded, {row.expected} expected from its movements"
    )


async def _wallet_lots(session: AsyncSession, currency_id: int) -> str | None:
    row = await _first(
        session,
        """
        SELECT a.id, a.balance AS found, coalesce(sum(l.amount_remaining), 0) AS expected
          FROM ledger_account a
          LEFT JOIN ledger_lot l ON l.currency_id = a.currency_id AND l.wallet_account_id = a.id
         WHERE a.currency_id = :c AND a.kind = 'wallet'
         GROUP BY a.id, a.balance
        HAVING a.balance <> coalesce(sum(l.amount_remaining), 0)
         ORDER BY a.id LIMIT 1""",
        currency_id,
    )
    if row is None:
        return None
    return f"wallet {row.id}: balance {row.found}, but its lots hold {row.expected}"
