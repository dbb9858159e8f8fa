"""``python -m proof.chaos --seed N``: one chaos run; prints the result line, exits 1 on failure."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import sys
from pathlib import Path

from proof.chaos import processes, report
from proof.chaos.run import Plan, run


def parse(argv: list[str]) -> tuple[Plan, Path | None]:
    p = argparse.ArgumentParser(prog="python -m proof.chaos", description=__doc__)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--operations", type=int, default=2400, help="in all, over every client")
    p.add_argument("--budget", type=float, default=240.0, help="seconds of client time, at most")
    p.add_argument("--kills", type=int, default=3)
    p.add_argument("--db-crashes", type=int, default=1)
    p.add_argument("--residents", type=int, default=40)
    p.add_argument("--shops", type=int, default=8)
    p.add_argument("--break-locks", action="store_true", help="the deliberately broken ledger")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first bad sample")
    p.add_argument("--report", type=Path, help="rewrite this run's block in docs/proof.md")
    a = p.parse_args(argv)
    plan = Plan(
        seed=a.seed, clients=a.clients, operations=a.operations, budget_s=a.budget,
        kills=a.kills, db_crashes=a.db_crashes, residents=a.residents, shops=a.shops,
        break_locks=a.break_locks, fail_fast=a.fail_fast,
    )  # fmt: skip
    return plan, a.report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    plan, report_to = parse(args)
    logging.basicConfig(level=logging.WARNING)
    processes.install_cleanup()
    outcome = asyncio.run(run(plan))
    for problem in report.details(outcome):
        print(f"  {problem}", file=sys.stderr)
    print(report.summary(outcome), file=sys.stderr)
    if report_to is not None:
        report.write_section(report_to, outcome, shlex.join(["python", "-m", "proof.chaos", *args]))
    print(report.line(outcome), flush=True)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
