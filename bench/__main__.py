"""``python -m bench [--quick] [--profile]``: see bench/__init__.py."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from rich.console import Console

from bench import history, pgbench, report, reports
from bench.server import BenchServer, bench_server, machine_info
from bench.workload import (
    PaymentRun,
    World,
    build_world,
    measure,
    measure_charges,
    sessions,
    settle,
    warm_pool,
)
from currency.db.engine import make_engine
from currency.ledger.group import GroupCommit

CLIENTS = (1, 4, 16)
LANES = 4  # batches in flight at once (currency/ledger/group.py)
T = TypeVar("T")


@dataclass(frozen=True)
class Config:
    quick: bool
    seconds: int
    warmup: float
    history_transfers: int
    history_time_limit: float
    history_batch: int
    pgbench_scale: int
    seed: int = 20261126


def config(quick: bool, scale: int) -> Config:
    if quick:
        return Config(True, 5, 1.0, 200_000, 60.0, 50_000, scale)
    return Config(False, 20, 3.0, 10_000_000, 600.0, 250_000, scale)


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """uvloop when installed, as uvicorn would run the app."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    return uvloop.run(main())


async def run_all(server: BenchServer, cfg: Config, say: Console) -> dict[str, Any]:
    engine = make_engine(server.runtime_url, pool_size=max(CLIENTS))
    maker = sessions(engine)
    group = GroupCommit(engine, lanes=LANES)
    out: dict[str, Any] = {"tpcb": [], "spread": [], "hot": [], "issued": [], "alone": []}
    try:
        say.log("setting up 1,000 wallets (3 lots each) and 50 shops …")
        world = await build_world(maker)
        await settle(maker, world)
        server.sql("ANALYZE")  # a live system has statistics (autovacuum); start with them
        out["setup_seconds"] = round(world.setup_seconds, 2)
        say.log(f"  done in {world.setup_seconds:.1f} s; pgbench -i -s {cfg.pgbench_scale} …")
        out["pgbench_init_seconds"] = pgbench.initialise(server, scale=cfg.pgbench_scale)
        await warm_pool(engine, max(CLIENTS))
        # Interleaved per client count: durable commit rates drift on these machines, so
        # the numbers that are divided by each other are measured close together in time.
        for n, clients in enumerate(CLIENTS):
            tpcb = pgbench.run(server, clients=clients, seconds=cfg.seconds)
            out["tpcb"].append(tpcb.as_dict())
            say.log(f"(a) tpcb-like  c={clients:<2}  {tpcb.tps:8.0f} tps")
            for key, hot in (("spread", False), ("hot", True)):
                await settle(maker, world)
                run = await measure(
                    maker,
                    world,
                    label=key,
                    clients=clients,
                    seconds=cfg.seconds,
                    warmup=cfg.warmup,
                    seed=cfg.seed + 10 * n + hot,
                    hot=hot,
                    group=group,
                )
                out[key].append(run.as_dict())
                _log_run(say, "(b)" if not hot else "(c)", run)
                if not hot and clients == max(CLIENTS):
                    # (e) right after (b) at 16 clients, so their ratio shares a minute
                    await settle(maker, world)
                    charges = await measure_charges(
                        maker,
                        world,
                        label="issued",
                        clients=clients,
                        seconds=cfg.seconds,
                        warmup=cfg.warmup,
                        seed=cfg.seed + 300,
                        group=group,
                    )
                    out["issued"].append(charges.as_dict())
                    _log_run(say, "(e)", charges, verb="charge")
                    # (f) for reference: the same payments, each in a transaction of its own
                    await settle(maker, world)
                    alone = await measure(
                        maker,
                        world,
                        label="own transaction",
                        clients=clients,
                        seconds=cfg.seconds,
                        warmup=cfg.warmup,
                        seed=cfg.seed + 400,
                    )
                    out["alone"].append(alone.as_dict())
                    _log_run(say, "(f)", alone)
        pgbench.drop_tables(server)
        out["history"] = await _history(server, cfg, say, maker, world, group)
        out["reports"] = await reports.measure(server, say)  # (g) the dashboard
        out["group"] = {"lanes": LANES, "batches": group.batches, "posted": group.posted}
    finally:
        await engine.dispose()
    return out


async def _history(
    server: BenchServer, cfg: Config, say: Console, maker: Any, world: World, group: GroupCommit
) -> dict[str, Any]:
    await settle(maker, world)
    server.sql("CHECKPOINT")
    before = await measure(
        maker,
        world,
        label="before history",
        clients=4,
        seconds=cfg.seconds,
        warmup=cfg.warmup,
        seed=cfg.seed + 100,
        group=group,
    )
    _log_run(say, "(d) before", before)
    say.log(
        f"(d) loading up to {cfg.history_transfers:,} transfers of history "
        f"(limit {cfg.history_time_limit:.0f} s) …"
    )

    def progress(done: int, elapsed: float) -> None:
        say.log(f"    {done:>12,} transfers  {elapsed:6.1f} s  {done / elapsed:8.0f}/s")

    load = await history.load(
        server.owner_url,
        world,
        transfers=cfg.history_transfers,
        time_limit=cfg.history_time_limit,
        batch=cfg.history_batch,
        progress=progress,
    )
    await settle(maker, world)
    await history.vacuum_analyze(server.owner_url, load)
    server.sql("CHECKPOINT")
    say.log(f"    VACUUM ANALYZE {load.vacuum_analyze_s:.1f} s; MB {load.table_sizes_mb}")
    after = await measure(
        maker,
        world,
        label="after history",
        clients=4,
        seconds=cfg.seconds,
        warmup=cfg.warmup,
        seed=cfg.seed + 200,
        group=group,
    )
    _log_run(say, "(d) after ", after)
    return {"before": before.as_dict(), "after": after.as_dict(), "load": load.as_dict()}


def _log_run(say: Console, tag: str, run: PaymentRun, verb: str = "pay") -> None:
    errors = f"  errors {run.errors}" if run.errors else ""
    say.log(
        f"{tag} {verb} {run.label:<14} c={run.clients:<2} {run.per_second:8.0f} /s  "
        f"p50 {run.p50_ms:6.2f}  p95 {run.p95_ms:6.2f}  p99 {run.p99_ms:6.2f} ms{errors}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, small history (<3 min)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of the benchmark: where does one payment's time go?",
    )
    parser.add_argument("--scale", type=int, default=10, help="pgbench scale (default 10)")
    args = parser.parse_args(argv)
    if args.profile:
        from bench.profile import main as profile_main

        return profile_main(quick=args.quick)
    cfg = config(args.quick, args.scale)
    say = Console(stderr=True, width=200)
    started = time.perf_counter()
    with bench_server() as server:
        info = machine_info(server)
        say.log(
            f"PostgreSQL: {info['postgres'].split(' on ')[0]}; {info['nproc']} CPUs; "
            f"settings {info['postgres_settings']}"
        )
        results = _run(lambda: run_all(server, cfg, say))
    results = {
        "machine": info,
        "config": asdict(cfg),
        **results,
        "run_seconds": round(time.perf_counter() - started, 1),
    }
    results["ratios"] = report.ratios(results)
    path = report.write_json(results)
    out = Console(width=150)
    report.print_all(out, results, path)
    sys.stdout.flush()
    for line in report.ratio_lines(results["ratios"]):
        print(line)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
