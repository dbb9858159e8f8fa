"""One chaos run: a fresh database and app, clients and a reader, faults, then the checks."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from currency.db.migrate import upgrade
from currency.ledger import broken_locks
from currency.settings import Settings
from proof.chaos import people, processes
from proof.chaos.checks import Findings, audit
from proof.chaos.http import Api
from proof.chaos.processes import RUNTIME_ROLE, App, Database, Worker
from proof.chaos.reader import Samples, sample_until
from proof.chaos.workload import Client, Record, actors, charge, sign_in_everyone

FIRST_CHARGE_YEN = 20_000
_T0 = time.monotonic()


def say(what: str) -> None:
    """Progress on stderr, with the seconds since the start."""
    print(f"[{time.monotonic() - _T0:6.1f}s] {what}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Plan:
    seed: int
    clients: int = 32
    operations: int = 2400
    budget_s: float = 240.0
    kills: int = 3
    db_crashes: int = 1
    residents: int = 40
    shops: int = 8
    break_locks: bool = False
    fail_fast: bool = False  # stop at the first sample that breaks an invariant


class StoppedEarly(Exception):
    """A sample broke an invariant and the plan says to stop there (``--fail-fast``)."""


@dataclass
class Outcome:
    plan: Plan
    record: Record = field(default_factory=Record)
    samples: Samples = field(default_factory=Samples)
    findings: Findings = field(default_factory=Findings)
    kills: int = 0
    db_crashes: int = 0
    retries: int = 0
    verify: str | None = None  # None: ``meguri verify`` never ran (the run ended before)
    verify_ok: bool = False
    checked: bool = False  # the ledger was audited after the run (lost, created, duplicates)
    stopped: str = ""
    load: list[float] = field(default_factory=list)  # 1-minute load average, every second
    orphans: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    kept: Path | None = None  # the run's folder (logs, data), kept when it failed

    @property
    def ok(self) -> bool:
        f = self.findings
        faults = self.kills == self.plan.kills and self.db_crashes == self.plan.db_crashes
        clean = not (f.lost or f.created or f.duplicates or self.samples.bad or self.orphans)
        done = self.checked and self.verify_ok and not (self.errors or self.stopped)
        return clean and faults and done


async def run(plan: Plan, workdir: Path | None = None) -> Outcome:
    outcome = Outcome(plan)
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="meguri-chaos-", dir=workdir))
    database = Database(root / "postgres")
    processes.own(database)
    watching = asyncio.create_task(_watch_load(outcome.load))
    try:
        await _run(plan, root, database, outcome)
    except StoppedEarly as exc:
        outcome.stopped = str(exc)
    except Exception as exc:  # any failure is reported, after the processes are gone
        outcome.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        watching.cancel()
        processes.stop_all()
        outcome.orphans = processes.orphans(database.pgdata)
        outcome.seconds = time.monotonic() - started
    if outcome.ok != plan.break_locks:  # as expected: the broken ledger is meant to fail
        shutil.rmtree(root, ignore_errors=True)
    else:
        outcome.kept = root
    return outcome


async def _run(plan: Plan, root: Path, database: Database, outcome: Outcome) -> None:
    rng = random.Random(plan.seed)  # noqa: S311  (seeded on purpose: a run can be repeated)
    await asyncio.to_thread(database.start)
    env = _environment(plan, root, database)
    # what `meguri db upgrade` does, in this process (one Python start-up less)
    await asyncio.to_thread(upgrade, database.owner_url, runtime_role=RUNTIME_ROLE)
    say("database started and migrated")
    secret = Settings(data_dir=root / "data").secret_key
    town = await people.build(
        database.runtime_url, rng=rng, residents=plan.residents, shops=plan.shops, secret=secret
    )
    app = App(env, int(env["MEGURI_PORT"]), root / "app.log")
    worker = Worker(env, root / "worker.log")
    say(f"{plan.residents} residents and {plan.shops} shops made; starting the app")
    await asyncio.to_thread(app.start)
    worker.ensure_running()
    say(f"app ready on port {app.port}")
    api = Api(f"http://{processes.HOST}:{app.port}")
    try:
        await _drive(plan, rng, town, api, database, app, worker, outcome)
    finally:
        outcome.retries = api.retries
        await api.close()
    say("clients done; checking")
    worker.stop()
    app.kill()
    checked = processes.run([str(processes.VENV_BIN / "meguri"), "verify"], env)
    outcome.verify_ok, outcome.verify = checked.startswith("0\n"), checked[2:].strip()
    outcome.findings = await audit(database.reader_url, town.currency_id, outcome.record)
    outcome.checked = True


async def _watch_load(into: list[float]) -> None:
    """The machine is shared: the 1-minute load average goes with each result."""
    while True:
        into.append(os.getloadavg()[0])
        await asyncio.sleep(1.0)


async def _drive(
    plan: Plan,
    rng: random.Random,
    town: people.Town,
    api: Api,
    database: Database,
    app: App,
    worker: Worker,
    outcome: Outcome,
) -> None:
    who = actors(town)
    await sign_in_everyone(api, who)
    record = outcome.record
    clients = [
        Client(n, api, town, who, record, random.Random(f"{plan.seed}/{n}"))  # noqa: S311
        for n in range(plan.clients + 1)
    ]
    for person in range(len(town.people)):
        await charge(clients[-1], person, FIRST_CHARGE_YEN)
    record.done = 0
    say(f"signed in and charged; {plan.clients} clients go")
    stop = asyncio.Event()
    reader = asyncio.create_task(
        sample_until(database.reader_url, town.currency_id, stop, outcome.samples)
    )
    deadline = asyncio.get_running_loop().time() + plan.budget_s
    faults = asyncio.create_task(_faults(plan, rng, record, database, app, worker, outcome))
    loops = [asyncio.create_task(_loop(c, plan, deadline)) for c in clients[:-1]]
    # the clients, and the last fault if the clients were quicker; a failure ends the run
    work = asyncio.create_task(_all(faults, *loops))
    alarm = asyncio.create_task(_alarm(outcome.samples, plan.fail_fast))
    try:
        done, _ = await asyncio.wait([work, alarm], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in (work, faults, alarm, *loops):
            task.cancel()
        await asyncio.sleep(0.5)  # a few samples after the last write
        stop.set()
        await reader


async def _all(*tasks: asyncio.Task[None]) -> None:
    await asyncio.gather(*tasks)


async def _alarm(samples: Samples, fail_fast: bool) -> None:
    """With ``fail_fast``: raise at the first sample that breaks an invariant."""
    if not fail_fast:
        await asyncio.Event().wait()  # never: cancelled with the run
    await samples.broken.wait()
    raise StoppedEarly(f"stopped at the first sample breaking an invariant ({samples.taken})")


async def _loop(client: Client, plan: Plan, deadline: float) -> None:
    loop = asyncio.get_running_loop()
    while client.record.done < plan.operations and loop.time() < deadline:
        await client.step()


async def _faults(
    plan: Plan,
    rng: random.Random,
    record: Record,
    database: Database,
    app: App,
    worker: Worker,
    outcome: Outcome,
) -> None:
    """Each fault when a seeded share of the operations is done, spread over the run."""
    kinds = ["kill"] * plan.kills + ["db"] * plan.db_crashes
    rng.shuffle(kinds)
    n = len(kinds)
    marks = [(i + rng.uniform(0.2, 0.8)) / (n + 0.5) for i in range(n)]
    for kind, mark in zip(kinds, marks, strict=True):
        while record.done < mark * plan.operations:  # noqa: ASYNC110  (polled progress)
            await asyncio.sleep(0.02)
        if kind == "kill":
            app.kill()
            outcome.kills += 1
            say(f"app SIGKILLed at {record.done} operations")
            await asyncio.to_thread(app.start)
        else:
            await asyncio.to_thread(database.crash)
            outcome.db_crashes += 1
            say(f"PostgreSQL stopped (immediate) at {record.done} operations")
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            await asyncio.to_thread(database.restart)
        worker.ensure_running()
        say("restarted")


def _environment(plan: Plan, root: Path, database: Database) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEGURI_")}
    env.update(
        MEGURI_DATABASE_URL=database.runtime_url,
        MEGURI_OWNER_DATABASE_URL=database.owner_url,
        MEGURI_DATA_DIR=str(root / "data"),
        MEGURI_CURRENCY_CODE=people.CODE,
        MEGURI_HOST=processes.HOST,
        MEGURI_PORT=str(_free_port()),
    )
    if plan.break_locks:
        env[broken_locks.FLAG] = broken_locks.CONSENT
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((processes.HOST, 0))
        return int(sock.getsockname()[1])
