"""``meguri expire``: move what is left of lots past their expiry date to ``expired``.

The worker does the same on every sweep; this command lets an operator run it at a
chosen moment (after downtime, before a report) and see what expired. Each lot expires
once: running it again changes nothing, and it says so.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.cli import app, console, database, fail
from currency import clock, jobs
from currency.db.engine import make_engine
from currency.errors import CurrencyError
from currency.ledger import expiry
from currency.ledger.models import currency, lot, lot_movement, transfer
from currency.settings import Settings

EXPIRY_LOCK = (jobs.JOB_LOCK + jobs.JOBS["expiry"][0]) % 2**31  # the worker's, so one runs


@dataclass(frozen=True)
class Expired:
    code: str
    units: tuple[str, str]  # coin unit, point unit
    wallets: int = 0
    lots: int = 0
    coins: int = 0
    points: int = 0
    problem: str | None = None  # why this currency's expiry stopped (nothing changed in it)


@app.command()
def expire(
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Expire lots whose expiry date is before DATE."
    ),
    currency_code: str | None = typer.Option(None, "--currency", help="Only this currency."),
) -> None:
    """Expire what is left of lots whose last day has passed (default: before today in Japan)."""
    day = _day(as_of)
    with database(Settings(), migrate=False) as handle:
        done = asyncio.run(_expire_all(handle.runtime_url, currency_code, day))
    if done is None:
        raise fail(f"There is no currency with code {currency_code}.")
    out = Console()
    for expired in done:
        out.print(_line(expired, day), highlight=False, soft_wrap=True)
    out.print("Each lot expires once: running this again changes nothing.", soft_wrap=True)
    if any(e.problem for e in done):
        raise typer.Exit(code=1)


def _day(text: str | None) -> date:
    today = clock.today()
    if text is None:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise fail(f"--as-of takes a date like 2026-03-31, not {text!r}.") from None
    if day > today:
        raise fail(
            f"--as-of {day} is after today ({today}): that would expire value residents "
            "may still use."
        )
    return day


def _line(expired: Expired, day: date) -> str:
    if expired.problem:
        return f"[bold red]✗ {expired.code}[/]: stopped, nothing changed: {expired.problem}"
    if not expired.wallets:
        return f"✓ {expired.code}: nothing left to expire before {day} (no change)."
    coin, point = expired.units
    return (
        f"✓ {expired.code}: {_n(expired.lots, 'lot')} in {_n(expired.wallets, 'wallet')} expired "
        f"before {day}: coins {expired.coins:,} {coin}, points {expired.points:,} {point}."
    )


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


async def _expire_all(url: str, code: str | None, day: date) -> list[Expired] | None:
    engine = make_engine(url, pool_size=1)
    try:
        async with AsyncSession(engine) as session:
            c = currency.c
            query = sa.select(c.id, c.code, c.coin_unit, c.point_unit).order_by(c.id)
            if code:
                query = query.where(c.code == code)
            found = (await session.execute(query)).all()
        if code and not found:
            return None
        return [await _expire_one(engine, cid, name, (cu, pu), day) for cid, name, cu, pu in found]
    finally:
        await engine.dispose()


async def _expire_one(
    engine: AsyncEngine, currency_id: int, code: str, units: tuple[str, str], day: date
) -> Expired:
    """One currency in one transaction, after any expiry the worker is running on it."""
    try:
        return await _expire_in_transaction(engine, currency_id, code, units, day)
    except CurrencyError as exc:  # e.g. a blocked wallet holding a lot that is due
        return Expired(code, units, problem=str(exc))


async def _expire_in_transaction(
    engine: AsyncEngine, currency_id: int, code: str, units: tuple[str, str], day: date
) -> Expired:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(EXPIRY_LOCK, currency_id)))
        due = await _wallets_due(session, currency_id, day)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"expiring {code}", total=due or 1)
            posted = await expiry.expire_due(
                session, currency_id=currency_id, as_of=day, progress=lambda n: bar.advance(task, n)
            )
        coins, points, lots = await _totals(session, currency_id, [p.operation_id for p in posted])
    return Expired(code, units, len(posted), lots, coins, points)


async def _wallets_due(session: AsyncSession, currency_id: int, day: date) -> int:
    count = await session.scalar(
        sa.select(sa.func.count(sa.distinct(lot.c.wallet_account_id))).where(
            lot.c.currency_id == currency_id, lot.c.expires_on < day, lot.c.amount_remaining > 0
        )
    )
    return int(count or 0)


async def _totals(
    session: AsyncSession, currency_id: int, operation_ids: list[int]
) -> tuple[int, int, int]:
    """Coins and points expired by these operations, and how many lots they emptied."""
    t, m = transfer, lot_movement
    ids = sa.any_(sa.bindparam("ids", operation_ids, type_=pg.ARRAY(sa.BigInteger)))
    by_kind = dict(
        (
            await session.execute(
                sa.select(t.c.kind, sa.func.sum(t.c.amount))
                .where(t.c.currency_id == currency_id, t.c.operation_id == ids)
                .group_by(t.c.kind)
            )
        ).all()
    )
    lots = await session.scalar(
        sa.select(sa.func.count())
        .select_from(m)
        .join(t, (t.c.currency_id == m.c.currency_id) & (t.c.id == m.c.transfer_id))
        .where(m.c.currency_id == currency_id, t.c.operation_id == ids)
    )
    coins, points = (int(by_kind.get(f"expire.{k}") or 0) for k in ("coin", "point"))
    return coins, points, int(lots or 0)
