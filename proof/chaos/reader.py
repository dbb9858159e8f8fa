"""The reader: every ~10 ms, one read-only statement (one snapshot) over a direct asyncpg
connection: the total of all balances (pending balance deltas included) is zero, and no
wallet or shop holds less than nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import asyncpg

INTERVAL_S = 0.01

SAMPLE = """
WITH held AS (
  SELECT a.kind,
         a.balance + coalesce((SELECT sum(d.amount) FROM ledger_balance_delta d
                                WHERE d.currency_id = a.currency_id AND d.account_id = a.id), 0)
           AS balance
    FROM ledger_account a WHERE a.currency_id = $1
)
SELECT (SELECT coalesce(sum(balance), 0) FROM held) AS total,
       (SELECT count(*) FROM held WHERE balance < 0 AND kind IN ('wallet', 'merchant'))
         AS negative,
       (SELECT coalesce(sum(balance), 0) FROM held WHERE kind = 'wallet')
     - (SELECT coalesce(sum(amount_remaining), 0) FROM ledger_lot WHERE currency_id = $1)
         AS wallets_minus_lots
"""


@dataclass
class Samples:
    taken: int = 0
    unreadable: int = 0
    bad: int = 0
    violations: list[str] = field(default_factory=list)
    broken: asyncio.Event = field(default_factory=asyncio.Event)  # set at the first bad sample


async def sample_until(url: str, currency_id: int, stop: asyncio.Event, samples: Samples) -> None:
    """Sample until ``stop`` is set; reconnect whenever the database went away."""
    conn: asyncpg.Connection | None = None
    while not stop.is_set():
        try:
            conn = conn or await _connect(url)
            _judge(await conn.fetchrow(SAMPLE, currency_id), samples)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            samples.unreadable += 1
            await _drop(conn)
            conn = None
            await asyncio.sleep(0.1)
        await asyncio.sleep(INTERVAL_S)
    await _drop(conn)


async def _connect(url: str) -> asyncpg.Connection:
    settings = {"default_transaction_read_only": "on"}
    return await asyncpg.connect(url, timeout=2, server_settings=settings)


async def _drop(conn: asyncpg.Connection | None) -> None:
    if conn is not None:
        conn.terminate()


def _judge(row: asyncpg.Record, samples: Samples) -> None:
    samples.taken += 1
    problems = []
    if row["total"] != 0:
        problems.append(f"total of all balances is {row['total']}, not 0")
    if row["negative"]:
        problems.append(f"{row['negative']} wallet or shop balances below zero")
    if row["wallets_minus_lots"] != 0:
        problems.append(f"wallet balances differ from their lots by {row['wallets_minus_lots']}")
    if problems:
        samples.bad += 1
        samples.broken.set()
        if len(samples.violations) < 5:
            samples.violations.append(f"sample {samples.taken}: " + "; ".join(problems))
