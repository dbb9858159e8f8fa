"""The table, the JSON file under bench/results/, and the closing ratio lines."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"


def ratios(results: dict[str, Any]) -> dict[str, float]:
    tpcb16 = _by_clients(results["tpcb"], 16)["tps"]
    spread16 = _by_clients(results["spread"], 16)["per_second"]
    hot16 = _by_clients(results["hot"], 16)["per_second"]
    issued16 = _by_clients(results["issued"], 16)["per_second"]
    before = results["history"]["before"]["p50_ms"]
    after = results["history"]["after"]["p50_ms"]
    return {
        "core_vs_tpcb": _div(spread16, tpcb16),
        "hot_vs_spread": _div(hot16, spread16),
        "history_latency": _div(after, before),
        "issued_vs_spread": _div(issued16, spread16),
        **_dashboard(results),
    }


def _dashboard(results: dict[str, Any]) -> dict[str, float]:
    """(g): the dashboard's time over the baseline read of the same 90 days of rollups."""
    found = results.get("reports")
    return (
        {"dashboard_vs_baseline": _div(found["dashboard_ms"], found["baseline_ms"])}
        if found
        else {}
    )


def _by_clients(rows: list[dict[str, Any]], clients: int) -> dict[str, Any]:
    return next(r for r in rows if r["clients"] == clients)


def _div(a: float, b: float) -> float:
    return a / b if b else math.nan


def table(results: dict[str, Any]) -> Table:
    t = Table(title="Meguri bench: payments.pay vs pgbench tpcb-like (one server, one run)")
    for name, justify in (
        ("workload", "left"),
        ("clients", "right"),
        ("per s", "right"),
        ("p50 ms", "right"),
        ("p95 ms", "right"),
        ("p99 ms", "right"),
        ("n", "right"),
        ("errors", "left"),
    ):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    scale = results["config"]["pgbench_scale"]
    for r in results["tpcb"]:
        avg = r["latency_avg_ms"]
        t.add_row(
            f"(a) pgbench tpcb-like s={scale}",
            str(r["clients"]),
            f"{r['tps']:.0f}",
            f"avg {avg:.2f}" if avg is not None else "",
            "",
            "",
            str(r["transactions"]),
            str(r["failed"] or ""),
        )
    for key, name in (
        ("spread", "(b) pay, 1000 wallets/50 shops"),
        ("hot", "(c) pay, one shop"),
        ("issued", "(e) charge, one issued account"),
        ("alone", "(f) pay, own transaction each"),
    ):
        for r in results[key]:
            t.add_row(name, *_payment_cells(r))
    history = results["history"]
    load = history["load"]
    t.add_row("(d) pay, before history", *_payment_cells(history["before"]))
    t.add_row(
        f"(d) pay, after {load['loaded_transfers']:,} transfers", *_payment_cells(history["after"])
    )
    return t


def _payment_cells(r: dict[str, Any]) -> list[str]:
    errors = ", ".join(f"{k}={v}" for k, v in r["errors"].items())
    return [
        str(r["clients"]),
        f"{r['per_second']:.0f}",
        f"{r['p50_ms']:.2f}",
        f"{r['p95_ms']:.2f}",
        f"{r['p99_ms']:.2f}",
        str(r["payments"]),
        errors,
    ]


def write_json(results: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"bench-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def notes(results: dict[str, Any]) -> list[str]:
    load = results["history"]["load"]
    reached = (
        "the full target"
        if load["reached_target"]
        else f"NOT the target of {load['target_transfers']:,}: the "
        f"{load['time_limit_s']:.0f} s loading limit stopped it"
    )
    return [
        f"history: {load['loaded_transfers']:,} transfers loaded in {load['seconds']:.1f} s "
        f"({load['transfers_per_s']:,}/s), {reached}; then VACUUM ANALYZE "
        f"({load['vacuum_analyze_s']:.1f} s) and CHECKPOINT.",
        "history rows are consistent for balances and lots, but the chain links carry "
        "placeholder hashes: `meguri verify` would fail on the bench database by design.",
        "payments (b)(c)(d)(e): through the group committer as the API posts them "
        f"({_group(results)}); a caller returns only after its batch has committed. Unique "
        "idempotency key each; durable commits (fsync on, synchronous_commit on), same "
        "server and settings as pgbench.",
        "(f) the same payments as (b), each in its own AsyncSession and transaction "
        "(the path a service composing a payment with other writes takes).",
        "before every payment measurement (not timed) balance deltas are folded as `meguri "
        "worker` would; the chain queue is left to the sequencer (not run). ANALYZE after setup.",
        "(e) charges: a unique idempotency key each, all from the one issued:coin system "
        "account into random wallets, right after (b) at 16 clients.",
    ]


def _group(results: dict[str, Any]) -> str:
    g = results.get("group") or {}
    if not g.get("batches"):
        return "no batches recorded"
    return (
        f"{g['lanes']} lanes, {g['posted']:,} operations in {g['batches']:,} batches, "
        f"{g['posted'] / g['batches']:.1f} per commit on average"
    )


def print_all(console: Console, results: dict[str, Any], path: Path) -> None:
    console.print(table(results))
    for line in notes(results):
        console.print(f"  • {line}", highlight=False, soft_wrap=True)
    console.print(f"  • results: {path}", highlight=False, soft_wrap=True)
    console.print(f"  • total run time {results['run_seconds']:.0f} s", highlight=False)


def ratio_lines(r: dict[str, float]) -> list[str]:
    """The (e) line first: the three original lines must stay the last three."""
    dashboard = r.get("dashboard_vs_baseline")
    return [
        *([f"bench dashboard_vs_baseline ratio={dashboard:.2f}"] if dashboard is not None else []),
        f"bench issued_vs_spread ratio={r['issued_vs_spread']:.2f}",
        f"bench core_vs_tpcb ratio={r['core_vs_tpcb']:.2f}",
        f"bench hot_vs_spread ratio={r['hot_vs_spread']:.2f}",
        f"bench history_latency ratio={r['history_latency']:.2f}",
    ]
