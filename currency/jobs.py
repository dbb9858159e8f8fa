"""Scheduled work run by ``meguri worker``: chain sealing, balance roll-up, expiry, and
hourly housekeeping (expired sign-ins, ended browser sessions and unused payment codes).

Each job runs per currency in its own transaction, under a Postgres advisory lock, so
several workers (or replicas) never run the same job on the same currency twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from currency import clock
from currency.auth import refresh, web_sessions
from currency.db.engine import make_engine
from currency.ledger import chain, expiry, rollup
from currency.ledger.models import currency
from currency.payments import codes
from currency.reports import rollups as report_rollups
from currency.settings import Settings

log = logging.getLogger(__name__)
JOB_LOCK = 0x6A6F6273  # "jobs"

Job = Callable[[AsyncSession, int], Awaitable[int]]


async def _seal(session: AsyncSession, currency_id: int) -> int:
    return await chain.seal(session, currency_id=currency_id)


async def _roll_up(session: AsyncSession, currency_id: int) -> int:
    return await rollup.roll_up(session, currency_id=currency_id)


EXPIRE_WALLETS_PER_SWEEP = 200  # wallet locks held by one transaction, at most


async def _expire(session: AsyncSession, currency_id: int, today: date | None = None) -> int:
    posted = await expiry.expire_due(
        session,
        currency_id=currency_id,
        as_of=today or clock.today(),
        limit=EXPIRE_WALLETS_PER_SWEEP,
    )
    return len(posted)


HOUSEKEEPING_EVERY = timedelta(hours=1)
_housekept: dict[
    int, datetime
] = {}  # per process: a few extra runs with several workers are harmless


async def _housekeeping(session: AsyncSession, currency_id: int) -> int:
    """Hourly: sign-ins past their lifetime and payment codes that expired unused a day ago
    (used ones stay: they tell how each payment was made)."""
    now = datetime.now(UTC)
    last = _housekept.get(currency_id)
    if last is not None and now - last < HOUSEKEEPING_EVERY:
        return 0
    _housekept[currency_id] = now
    done = await refresh.purge_expired(session, currency_id=currency_id, now=now)
    done += await web_sessions.purge(session, currency_id=currency_id, now=now)
    return done + await codes.forget_unused(
        session, currency_id=currency_id, expired_before=now - timedelta(days=1)
    )


JOBS: dict[str, tuple[int, Job]] = {
    "chain": (1, _seal),
    "roll-up": (2, _roll_up),
    "expiry": (3, _expire),
    "housekeeping": (4, _housekeeping),
    "report-rollups": (5, report_rollups.job),  # after "chain": folds what it sealed
}


async def run_job(session: AsyncSession, name: str, currency_id: int) -> int:
    """One job for one currency, only if no other worker holds it right now."""
    number, job = JOBS[name]
    key = (JOB_LOCK + number) % 2**31
    if name != "chain":  # the sequencer takes its own lock
        got = await session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(key, currency_id)))
        if not got:
            return 0
    return await job(session, currency_id)


async def sweep(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    done = dict.fromkeys(JOBS, 0)
    async with sessions() as session:
        currency_ids = list(await session.scalars(sa.select(currency.c.id)))
    for currency_id in currency_ids:
        for name in JOBS:
            try:
                async with sessions() as session, session.begin():
                    done[name] += await run_job(session, name, currency_id)
            except Exception:  # one failing job must not stop the others (nor other currencies)
                log.exception("job %s failed for currency %s", name, currency_id)
    return done


async def run_once(url: str, *, settings: Settings, console: Console) -> None:
    engine = make_engine(url, pool_size=2)
    try:
        done = await sweep(async_sessionmaker(engine, expire_on_commit=False))
        console.print("Jobs done: " + ", ".join(f"{k} {v}" for k, v in done.items()))
    finally:
        await engine.dispose()


async def run_forever(url: str, *, settings: Settings, interval: float) -> None:
    engine = make_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        while True:
            try:
                await sweep(sessions)
            except Exception:
                log.exception("a job sweep failed; trying again in %s s", interval)
            await asyncio.sleep(interval)
    finally:
        await engine.dispose()
