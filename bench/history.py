"""(d) A large history, bulk-loaded with INSERT … SELECT generate_series as the owner role.

The history is made of groups of ten transfers over the bench's own wallets and shops:
one charge (``issued`` → wallet) that creates a lot, then nine payments (wallet → shop)
that spend that lot to zero. Each transfer has its operation, lot movement, chain link,
and each payment its idempotency record; merchant and ``issued`` balances get one
balance delta per shop and batch. Wallet balances and live lots are unchanged, so the
payments measured afterwards see the same wallets, only bigger tables and indexes.

Consistent enough for the benchmark, but NOT for ``meguri verify``: the chain links
carry placeholder hashes (sha256 of the transfer id), not a real hash chain.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg

from bench.workload import World
from currency.db.engine import plain_url

GROUP = 10  # transfers per group: 1 charge + 9 payments
TABLES = (
    "ledger_operation",
    "ledger_transfer",
    "ledger_lot",
    "ledger_lot_movement",
    "ledger_chain_link",
    "ledger_idempotency",
    "ledger_balance_delta",
)

_STAGE = """
CREATE TEMP TABLE h ON COMMIT DROP AS
WITH base AS (
  SELECT k, k / 10 AS g, k % 10 AS j, $6::bigint + k / 10 AS gg
    FROM generate_series(0, $7::bigint - 1) AS k
), pick AS (
  SELECT base.*, ($9::bigint[])[1 + (gg * 613) % cardinality($9::bigint[])] AS wallet,
         1 + ((gg * 9 + j) * 31) % cardinality($8::bigint[]) AS shop_ix
    FROM base
)
SELECT k, g, j, $1::bigint + k AS op_id, $2::bigint + k AS tr_id, $3::bigint + g AS lot_id,
       $4::bigint + k AS mv_id, $5::bigint + k AS seq, wallet,
       ($8::bigint[])[shop_ix] AS shop_account, ($10::bigint[])[shop_ix] AS shop_id,
       CASE WHEN j = 0 THEN $11::bigint ELSE wallet END AS debit,
       CASE WHEN j = 0 THEN wallet ELSE ($8::bigint[])[shop_ix] END AS credit,
       100 + ((gg * 9 + j) * 7919) % 4900 AS amount,
       timestamptz '2025-01-01 00:00+09' + (gg * 10 + j) * interval '3 seconds' AS created_at
  FROM pick
"""

_FILL = """
UPDATE h SET amount = s.total
  FROM (SELECT g, sum(amount) AS total FROM h WHERE j > 0 GROUP BY g) s
 WHERE h.g = s.g AND h.j = 0
"""

_INSERTS = (
    # operations: a charge, then payments carrying their idempotency key
    """
    INSERT INTO ledger_operation (currency_id, id, kind, actor, idempotency_key, details,
                                  created_at)
    SELECT $1::smallint, op_id, CASE WHEN j = 0 THEN 'charge' ELSE 'payment' END,
           CASE WHEN j = 0 THEN 'bench-history' ELSE 'resident:' || wallet END,
           CASE WHEN j = 0 THEN NULL ELSE md5(tr_id::text) END,
           CASE WHEN j = 0 THEN '{}'::jsonb
                ELSE jsonb_build_object('merchant_id', shop_id, 'amount', amount) END,
           created_at
      FROM h ORDER BY k
    """,
    """
    INSERT INTO ledger_transfer (currency_id, id, operation_id, leg, debit_account_id,
                                 credit_account_id, amount, kind, created_at)
    SELECT $1::smallint, tr_id, op_id, 0, debit, credit, amount,
           CASE WHEN j = 0 THEN 'charge.coin' ELSE 'payment.coin' END, created_at
      FROM h ORDER BY k
    """,
    """
    INSERT INTO ledger_lot (currency_id, id, wallet_account_id, kind, amount_issued,
                            amount_remaining, expires_on, created_at)
    SELECT $1::smallint, lot_id, wallet, 'coin', amount, 0,
           (created_at + interval '180 days')::date, created_at
      FROM h WHERE j = 0 ORDER BY k
    """,
    """
    INSERT INTO ledger_lot_movement (currency_id, id, transfer_id, lot_id, amount)
    SELECT $1::smallint, mv_id, tr_id, lot_id, CASE WHEN j = 0 THEN amount ELSE -amount END
      FROM h ORDER BY k
    """,
    """
    INSERT INTO ledger_chain_link (currency_id, sequence, transfer_id, previous_hash, hash,
                                   chained_at)
    SELECT $1::smallint, seq, tr_id, sha256(int8send(tr_id - 1)), sha256(int8send(tr_id)),
           created_at
      FROM h ORDER BY k
    """,
    """
    INSERT INTO ledger_idempotency (currency_id, principal, key, fingerprint, operation_id,
                                    response, created_at)
    SELECT $1::smallint, 'resident:' || wallet, md5(tr_id::text), sha256(int8send(op_id)), op_id,
           jsonb_build_object('merchant_id', shop_id, 'amount', amount, 'operation_id', op_id,
                              'transfers', jsonb_build_object('0', tr_id), 'lots', '[]'::jsonb),
           created_at
      FROM h WHERE j > 0
    """,
    # balances: each shop up by what it took, `issued` down by what was charged
    """
    INSERT INTO ledger_balance_delta (currency_id, account_id, amount)
    SELECT $1::smallint, credit, sum(amount) FROM h WHERE j > 0 GROUP BY credit
    UNION ALL
    SELECT $1::smallint, min(debit), -sum(amount) FROM h WHERE j = 0
    """,
)


@dataclass
class HistoryLoad:
    target_transfers: int
    loaded_transfers: int
    seconds: float
    reached_target: bool
    time_limit_s: float
    vacuum_analyze_s: float = 0.0
    table_sizes_mb: dict[str, float] | None = None

    @property
    def per_second(self) -> float:
        return self.loaded_transfers / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "transfers_per_s": round(self.per_second)}


async def _reserve(conn: asyncpg.Connection, table: str, n: int) -> int:
    """Take ``n`` ids from the table's identity sequence; returns the first."""
    first: int = await conn.fetchval(
        f"WITH s AS (SELECT pg_get_serial_sequence('{table}', 'id') AS seq), "
        f"v AS (SELECT seq, nextval(seq) AS first FROM s) "
        f"SELECT first FROM v, LATERAL setval(seq, first + $1 - 1)",
        n,
    )
    return first


async def _batch(conn: asyncpg.Connection, world: World, group_offset: int, n: int) -> None:
    async with conn.transaction():
        op0 = await _reserve(conn, "ledger_operation", n)
        tr0 = await _reserve(conn, "ledger_transfer", n)
        lot0 = await _reserve(conn, "ledger_lot", n // GROUP)
        mv0 = await _reserve(conn, "ledger_lot_movement", n)
        seq0 = await conn.fetchval(
            "SELECT coalesce(max(sequence), 0) + 1 FROM ledger_chain_link WHERE currency_id = $1",
            world.currency_id,
        )
        await conn.execute(
            _STAGE,
            op0,
            tr0,
            lot0,
            mv0,
            seq0,
            group_offset,
            n,
            [s.account_id for s in world.shops],
            world.wallets,
            [s.id for s in world.shops],
            world.issued_account,
        )
        await conn.execute(_FILL)
        for statement in _INSERTS:
            await conn.execute(statement, world.currency_id)


async def load(
    owner_url: str,
    world: World,
    *,
    transfers: int,
    time_limit: float,
    batch: int,
    progress: Callable[[int, float], None] | None = None,
) -> HistoryLoad:
    """Load up to ``transfers`` (a multiple of 10) or stop at the first batch past the limit."""
    conn = await asyncpg.connect(plain_url(owner_url))
    started = time.perf_counter()
    loaded = 0
    try:
        await conn.execute("SET synchronous_commit = on")
        while loaded < transfers and time.perf_counter() - started < time_limit:
            n = min(batch, transfers - loaded)
            n -= n % GROUP
            if n <= 0:
                break
            await _batch(conn, world, loaded // GROUP, n)
            loaded += n
            if progress:
                progress(loaded, time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        return HistoryLoad(transfers, loaded, elapsed, loaded >= transfers, time_limit)
    finally:
        await asyncio.shield(conn.close())


async def vacuum_analyze(owner_url: str, result: HistoryLoad) -> None:
    """What autovacuum would have done by now, then fresh statistics; records table sizes."""
    conn = await asyncpg.connect(plain_url(owner_url))
    try:
        started = time.perf_counter()
        for table in TABLES:
            await conn.execute(f"VACUUM (ANALYZE) {table}")
        result.vacuum_analyze_s = time.perf_counter() - started
        rows = await conn.fetch(
            "SELECT relname, pg_total_relation_size(oid) / 1048576.0 AS mb FROM pg_class "
            "WHERE relname = ANY($1::text[])",
            list(TABLES),
        )
        result.table_sizes_mb = {r["relname"]: round(float(r["mb"]), 1) for r in rows}
    finally:
        await asyncio.shield(conn.close())
