"""``python -m bench --profile``: where the time of one ``payments.pay`` goes.

Not part of the benchmark's numbers. On its own bench server (restarted with
pg_stat_statements, track = all, so statements inside the PL/pgSQL functions are seen):

1. the client side — every asyncpg round trip of a payment is timed (BEGIN, each
   prepared statement, COMMIT); what is left of the payment's wall time is Python
   (SQLAlchemy, the planner, JSON, the event loop);
2. the server side — pg_stat_statements: calls and execution time per payment of each
   statement, top-level and nested.

Runs at 1 client (latency, no queueing) and at 16 (where the 2 CPUs are shared).
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import asyncpg
from asyncpg.prepared_stmt import PreparedStatement
from asyncpg.transaction import Transaction
from rich.console import Console
from rich.table import Table

from bench import raw
from bench.server import BenchServer, bench_server
from bench.workload import World, build_world, measure, sessions, settle, warm_pool
from currency.db.engine import make_engine

_SEEDS = itertools.count(1)  # every run its own keys: a repeated key is a replay


class Phases:
    """Wall time spent awaiting each kind of round trip, summed over all payments."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.enabled = False

    def wrap(self, label: Callable[..., str], fn: Any) -> Any:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.enabled:
                return await fn(*args, **kwargs)
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                name = label(*args)
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1

        return timed

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


def _statement_label(stmt: PreparedStatement, *_: Any) -> str:
    return _query_label(stmt.get_query())


def _call_label(_conn: Any, query: str, *_: Any) -> str:
    return _query_label(query)


def _query_label(text: str) -> str:
    query = " ".join(text.split())
    for name in ("ledger_begin_many", "ledger_write"):
        if name in query:
            return f"SELECT {name}(…)"
    if "FROM merchant" in query:
        return "SELECT … FROM merchant (shop)"
    return query[:60]


def instrument() -> Phases:
    phases = Phases()
    Transaction.start = phases.wrap(lambda *_: "BEGIN", Transaction.start)
    Transaction.commit = phases.wrap(lambda *_: "COMMIT", Transaction.commit)
    PreparedStatement.fetch = phases.wrap(_statement_label, PreparedStatement.fetch)
    asyncpg.Connection.fetch = phases.wrap(_call_label, asyncpg.Connection.fetch)
    asyncpg.Connection.fetchval = phases.wrap(_call_label, asyncpg.Connection.fetchval)
    asyncpg.Connection.prepare = phases.wrap(
        lambda *_: "prepare (statement cache miss)", asyncpg.Connection.prepare
    )
    return phases


def server_statements(server: BenchServer, payments: int) -> list[tuple[str, ...]]:
    rows = server.sql(
        "SELECT toplevel, calls, round(total_exec_time::numeric, 1), "
        "round(mean_exec_time::numeric, 3), "
        "regexp_replace(left(query, 110), '\\s+', ' ', 'g') "
        "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
        "WHERE datname = current_database()) AND calls >= "
        + str(max(1, payments // 2))
        + " ORDER BY toplevel DESC, total_exec_time DESC LIMIT 30"
    )
    out: list[tuple[str, ...]] = []
    for line in rows.splitlines():
        top, calls, total, mean, query = line.split("|", 4)
        per = int(calls) / payments
        out.append(
            (
                "top" if top == "t" else "nested",
                f"{per:.2f}",
                mean,
                f"{float(total) / payments:.3f}",
                query,
            )
        )
    return out


def client_table(title: str, phases: Phases, payments: int, wall_ms: float) -> Table:
    t = Table(title=title)
    for col in ("round trip", "per payment", "ms per call", "ms per payment", "% of wall"):
        t.add_column(col, justify="left" if col == "round trip" else "right")
    awaited = 0.0
    for name, seconds in sorted(phases.seconds.items(), key=lambda kv: -kv[1]):
        calls = phases.calls[name]
        per_payment = seconds * 1000 / payments
        awaited += per_payment
        t.add_row(
            name,
            f"{calls / payments:.2f}",
            f"{seconds * 1000 / calls:.3f}",
            f"{per_payment:.3f}",
            f"{100 * per_payment / wall_ms:.0f}%",
        )
    rest = wall_ms - awaited
    t.add_row("Python between round trips", "", "", f"{rest:.3f}", f"{100 * rest / wall_ms:.0f}%")
    t.add_row("wall time per payment (mean)", "", "", f"{wall_ms:.3f}", "100%")
    return t


def server_table(title: str, rows: list[tuple[str, ...]]) -> Table:
    t = Table(title=title)
    for col in ("level", "calls/payment", "mean ms", "ms/payment", "statement"):
        t.add_column(col, justify="left" if col in ("level", "statement") else "right")
    for row in rows:
        t.add_row(*row)
    return t


async def _one(
    server: BenchServer,
    console: Console,
    phases: Phases,
    maker: Any,
    world: World,
    *,
    clients: int,
    seconds: float,
    title: str,
) -> float:
    """Profile one run; returns the server's top-level execution ms per payment."""
    await settle(maker, world)
    await measure(
        maker, world, label="warm", clients=clients, seconds=1, warmup=0, seed=next(_SEEDS)
    )
    server.sql("SELECT pg_stat_statements_reset()")
    phases.reset()
    phases.enabled = True
    cpu_client, cpu_server = time.process_time(), server.cpu_seconds()
    run = await measure(
        maker, world, label="profile", clients=clients, seconds=seconds, warmup=0, seed=next(_SEEDS)
    )
    cpu_client = time.process_time() - cpu_client
    cpu_server = server.cpu_seconds() - cpu_server
    phases.enabled = False
    n = max(1, run.payments)
    if run.errors:
        console.print(f"[red]errors: {run.errors}[/]")
    console.print(
        f"\n[bold]{title}, {clients} client(s)[/]: {run.per_second:.0f} payments/s, "
        f"p50 {run.p50_ms:.2f} ms, mean {run.mean_ms:.2f} ms; CPU per payment: "
        f"Python process {cpu_client * 1000 / n:.2f} ms, PostgreSQL "
        f"{cpu_server * 1000 / n:.2f} ms (the 2 cores give "
        f"{2000 / (run.per_second or 1):.2f} ms of CPU per payment at this rate)"
    )
    console.print(
        client_table(
            "client side: awaited per round trip (includes waiting for the CPU)",
            phases,
            n,
            run.mean_ms,
        )
    )
    rows = server_statements(server, n)
    console.print(server_table("server side: pg_stat_statements (track = all)", rows))
    return sum(float(r[3]) for r in rows if r[0] == "top")


async def _raw(
    server: BenchServer,
    console: Console,
    maker: Any,
    world: World,
    *,
    clients: int,
    seconds: float,
) -> None:
    await settle(maker, world)
    conns = await raw.connect(server.runtime_url, clients)
    try:
        await raw.measure_raw(conns, world, seconds=1, seed=next(_SEEDS))  # warm
        cpu_client, cpu_server = time.process_time(), server.cpu_seconds()
        run = await raw.measure_raw(conns, world, seconds=seconds, seed=next(_SEEDS))
        n = max(1, run.payments)
        cpu_client = (time.process_time() - cpu_client) * 1000 / n
        cpu_server = (server.cpu_seconds() - cpu_server) * 1000 / n
    finally:
        for conn in conns:
            await conn.close()
    console.print(
        f"\n[bold]same payment on bare asyncpg (no SQLAlchemy), {clients} client(s)"
        f"[/]: {run.per_second:.0f} payments/s, p50 {run.p50_ms:.2f} ms; CPU per "
        f"payment: Python {cpu_client:.2f} ms, PostgreSQL {cpu_server:.2f} ms"
        + (f"  [red]errors {run.errors}[/]" if run.errors else "")
    )


async def _dormant(maker: Any, world: World, count: int) -> None:
    """Accounts that exist but take no part: a city has many more wallets than are active."""
    import sqlalchemy as sa

    async with maker() as s, s.begin():
        await s.execute(
            sa.text(
                "INSERT INTO ledger_account (currency_id, kind) "
                "SELECT :c, 'wallet' FROM generate_series(1, :n)"
            ),
            {"c": world.currency_id, "n": count},
        )


async def _profile(server: BenchServer, console: Console, seconds: float) -> None:
    phases = instrument()
    engine = make_engine(server.runtime_url, pool_size=16)
    maker = sessions(engine)
    try:
        world = await build_world(maker)
        await settle(maker, world)
        server.sql("ANALYZE")
        await warm_pool(engine, 16)
        accounts = f"{len(world.wallets) + len(world.shops) + 2:,} accounts"
        small = await _one(
            server, console, phases, maker, world, clients=1, seconds=seconds, title=accounts
        )
        await _one(
            server, console, phases, maker, world, clients=16, seconds=seconds, title=accounts
        )
        for clients in (1, 16):
            await _raw(server, console, maker, world, clients=clients, seconds=seconds)
        extra = 100_000
        await _dormant(maker, world, extra)
        server.sql("ANALYZE")
        big = await _one(
            server,
            console,
            phases,
            maker,
            world,
            clients=1,
            seconds=seconds,
            title=f"same payments, {extra:,} more (dormant) wallets in the currency",
        )
        console.print(
            f"\nserver execution per payment: {small:.2f} ms with "
            f"{len(world.wallets):,} wallets, {big:.2f} ms with {extra:,} more "
            f"dormant wallets ({big / small:.1f}x) — the same payments."
        )
    finally:
        await engine.dispose()


def main(*, quick: bool) -> int:
    from bench.__main__ import _run

    console = Console(width=170)
    with bench_server() as server:
        server.enable_pg_stat_statements()
        _run(lambda: _profile(server, console, 3.0 if quick else 8.0))
    return 0
