"""(g) The staff dashboard over a year of rollups the size 10M transfers make.

Rollup rows are generated directly (generating and folding 10M transfers would take the
whole run): a year of JST days, each with the cells a busy currency fills — payments by
coin/point × 3 programmes × 15 categories × 9 districts × 10 age bands, plus issuance,
refunds, sends, expiry, settlements, fees and shop-to-shop payments — each cell present
with the probability that ~27,000 transfers a day (10M a year) would fill it. Live lots
and accounts for the balances held are generated too. Then, in the same run, the dashboard
(``currency.reports.dashboard.dashboard``) is timed against a baseline: one aggregate over
the same 90 days of rollups (the least any dashboard must read). Median of 5 runs each.

``python -m bench.reports`` runs only this scenario on its own server.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench.server import BenchServer, bench_server
from currency import clock
from currency.db.engine import make_engine
from currency.reports import dashboard

TRANSFERS_PER_YEAR = 10_000_000
RUNS = 5

_CURRENCY = """
INSERT INTO currency (code, name, coin_unit, point_unit) VALUES ('BENCHR', 'bench', 'c', 'p')
RETURNING id
"""

# cells: (measure, kinds, programmes, with shop (15 categories × 9), with resident (10 bands),
# share of the day's ~27k transfers) — a cell is present when some transfer fell in it
_ROWS = """
WITH shapes(measure, kind, programmes, shop, resident, share) AS (VALUES
  ('spent', 'coin', 1, true, true, 0.50), ('spent', 'point', 3, true, true, 0.15),
  ('issued', 'coin', 1, false, true, 0.08), ('issued', 'point', 3, false, true, 0.05),
  ('refunded', 'coin', 1, true, true, 0.01), ('refunded', 'point', 3, true, true, 0.005),
  ('sent', 'coin', 1, false, true, 0.02), ('expired', 'coin', 1, false, true, 0.01),
  ('expired', 'point', 3, false, true, 0.01), ('settled', 'mixed', 1, true, false, 0.005),
  ('fee', 'mixed', 1, true, false, 0.005), ('merchant_paid', 'mixed', 1, true, false, 0.01)
), cells AS (
  SELECT s.*, p.p AS programme_id, cat.c AS category, dis.d AS district, age.a AS age_band
    FROM shapes s
    CROSS JOIN LATERAL generate_series(0, s.programmes - 1) AS p(p)
    CROSS JOIN LATERAL (SELECT 'cat' || g FROM generate_series(1, 15) g WHERE s.shop
                        UNION ALL SELECT '' WHERE NOT s.shop) AS cat(c)
    CROSS JOIN LATERAL (SELECT 'district' || g FROM generate_series(1, 9) g) AS dis(d)
    CROSS JOIN LATERAL (SELECT (g * 10) || '-' || (g * 10 + 9) FROM generate_series(0, 9) g
                         WHERE s.resident UNION ALL SELECT '' WHERE NOT s.resident) AS age(a)
), sized AS (
  SELECT c.*, :per_day * c.share / count(*) OVER (PARTITION BY c.measure, c.kind) AS expected
    FROM cells c
)
INSERT INTO report_daily
SELECT :c, d::date, measure, kind, programme_id, category, district, age_band,
       (expected * 800 * (0.5 + random()))::bigint + 1, ceil(expected)::bigint
  FROM sized CROSS JOIN generate_series(CAST(:first AS date), CAST(:last AS date), '1 day') AS d
 WHERE random() < 1 - exp(-expected)
"""

_LEDGER = """
INSERT INTO ledger_account (currency_id, id, kind, balance)
SELECT :c, g, CASE WHEN g <= 20000 THEN 'wallet' ELSE 'merchant' END, 5000
  FROM generate_series(1, 20500) g;
INSERT INTO ledger_lot (currency_id, wallet_account_id, kind, amount_issued, amount_remaining,
                        expires_on)
SELECT :c, 1 + g % 20000, CASE WHEN g % 4 = 0 THEN 'point' ELSE 'coin' END, 3000, g % 3000,
       current_date + (g % 180)
  FROM generate_series(1, 200000) g;
"""

_BASELINE = sa.text(
    "SELECT sum(amount) FROM report_daily WHERE currency_id = :c AND day BETWEEN :a AND :b"
)


async def measure(server: BenchServer, say: Console) -> dict[str, Any]:
    engine = make_engine(server.owner_url, pool_size=2)
    try:
        currency_id, rows, seconds = await _load(engine, say)
        for table in ("report_daily", "ledger_lot"):
            server.sql(f"VACUUM ANALYZE {table}")
        today = clock.today()
        dash = await _time(
            engine, lambda s: dashboard.dashboard(s, currency_id=currency_id, today=today)
        )
        start = today - timedelta(days=dashboard.SERIES_DAYS - 1)
        base = await _time(
            engine, lambda s: s.scalar(_BASELINE, {"c": currency_id, "a": start, "b": today})
        )
    finally:
        await engine.dispose()
    say.log(f"(g) dashboard {dash * 1000:.0f} ms, baseline {base * 1000:.0f} ms over {rows:,} rows")
    return {
        "rollup_rows": rows,
        "load_seconds": round(seconds, 1),
        "represents_transfers": TRANSFERS_PER_YEAR,
        "dashboard_ms": round(dash * 1000, 1),
        "baseline_ms": round(base * 1000, 1),
    }


async def _load(engine: AsyncEngine, say: Console) -> tuple[int, int, float]:
    started = time.perf_counter()
    last = clock.today()
    first = last - timedelta(days=364)
    async with AsyncSession(engine) as session, session.begin():
        currency_id = int(await session.scalar(sa.text(_CURRENCY)) or 0)
        say.log("(g) generating a year of rollup rows (~10M transfers' worth) …")
        params = {
            "c": currency_id,
            "per_day": TRANSFERS_PER_YEAR / 365,
            "first": first,
            "last": last,
        }
        await session.execute(sa.text(_ROWS), params)
        for statement in _LEDGER.split(";")[:-1]:
            await session.execute(sa.text(statement), {"c": currency_id})
        rows = await session.scalar(sa.text("SELECT count(*) FROM report_daily"))
    return currency_id, int(rows or 0), time.perf_counter() - started


async def _time(engine: AsyncEngine, query: Any) -> float:
    taken = []
    for _ in range(RUNS):
        async with AsyncSession(engine) as session:
            started = time.perf_counter()
            await query(session)
            taken.append(time.perf_counter() - started)
    return statistics.median(taken)


def main() -> int:
    import asyncio

    say = Console(stderr=True, width=200)
    with bench_server() as server:
        found = asyncio.run(measure(server, say))
    print(found)
    print(f"bench dashboard_vs_baseline ratio={found['dashboard_ms'] / found['baseline_ms']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
