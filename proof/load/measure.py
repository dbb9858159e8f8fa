"""Watching the load generator and the machine while locust runs, and reading its CSV."""

from __future__ import annotations

import csv
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from proof import doc

GENERATOR_BUSY = 80.0  # % of one core: locust is one process


@dataclass
class Sampled:
    generator_cpu: list[float] = field(default_factory=list)
    load_average: list[float] = field(default_factory=list)


@dataclass
class Row:
    name: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    rps: float


@dataclass
class Run:
    rows: list[Row]
    total: Row | None
    sampled: Sampled

    @property
    def requests(self) -> int:
        return self.total.requests if self.total else 0

    @property
    def failures(self) -> int:
        return self.total.failures if self.total else 0

    def warnings(self) -> list[str]:
        out, cores = [], os.cpu_count() or 1
        busy = max(self.sampled.generator_cpu, default=0.0)
        if busy > GENERATOR_BUSY:
            out.append(
                f"the load generator used up to {busy:.0f}% of a core: it may be the "
                "bottleneck (fewer users, or locust --processes)"
            )
        load = max(self.sampled.load_average, default=0.0)
        if load > cores:
            out.append(
                f"the load average reached {load:.1f} on {cores} cores: the machine, "
                "not the app, may be the bottleneck"
            )
        return out


def watch(process: subprocess.Popen[bytes], *, timeout: float) -> Sampled:
    sampled, deadline = Sampled(), time.monotonic() + timeout
    watched = psutil.Process(process.pid)
    while process.poll() is None and time.monotonic() < deadline:
        try:
            sampled.generator_cpu.append(watched.cpu_percent(interval=1.0))
        except psutil.NoSuchProcess:
            break
        sampled.load_average.append(os.getloadavg()[0])
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)
    return sampled


def read(stats: Path, sampled: Sampled) -> Run:
    rows = [_row(r) for r in csv.DictReader(stats.open())] if stats.exists() else []
    total = next((r for r in rows if r.name == "Aggregated"), None)
    return Run([r for r in rows if r.name != "Aggregated"], total, sampled)


def _row(r: dict[str, str]) -> Row:
    def num(key: str) -> float:
        value = r.get(key) or "0"
        return float(value) if value != "N/A" else 0.0

    return Row(
        r["Name"],
        int(num("Request Count")),
        int(num("Failure Count")),
        num("50%"),
        num("95%"),
        num("99%"),
        num("Requests/s"),
    )


def render(run: Run, *, users: int, seconds: int) -> str:
    lines = [
        f"Latest run: {doc.now()} on {doc.machine()}.",
        f"Command: `make load USERS={users} SECONDS={seconds}` (`python -m proof.load --users "
        f"{users} --seconds {seconds}`); the app is one uvicorn process with its embedded "
        "PostgreSQL on the same machine as locust.",
        "",
        "| request | count | failures | p50 ms | p95 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in [*run.rows, *([run.total] if run.total else [])]:
        lines.append(
            f"| {r.name} | {r.requests} | {r.failures} | {r.p50:.0f} | {r.p95:.0f} | "
            f"{r.p99:.0f} | {r.rps:.1f} |"
        )
    rate = 100 * run.failures / run.requests if run.requests else 0.0
    lines += [
        "",
        f"Throughput {run.total.rps if run.total else 0:.1f} requests/s; "
        f"error rate {rate:.2f}% ({run.failures} of {run.requests}).",
    ]
    cpu = max(run.sampled.generator_cpu, default=0.0)
    load = max(run.sampled.load_average, default=0.0)
    lines.append(
        f"Load generator CPU peak {cpu:.0f}% of a core; load average peak {load:.1f} "
        f"on {os.cpu_count()} cores."
    )
    lines += [f"**Warning:** {w}." for w in run.warnings()]
    return "\n".join(lines)
