"""Verify every currency (or one), with a progress bar; the CLI's ``meguri verify``."""

from __future__ import annotations

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.ext.asyncio import AsyncSession

from currency.db.engine import make_engine
from currency.ledger.models import currency, transfer
from currency.ledger.verify import Report, verify


async def verify_all(url: str, code: str | None, *, console: Console) -> int:
    """Print one line per currency; returns how many currencies have a problem."""
    engine = make_engine(url, pool_size=1)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            currencies = await _currencies(session, code)
            if code and not currencies:
                console.print(f"[red]No currency with code {code}.[/]")
                return 1
            reports = [await _verify_one(session, cid, name, console) for cid, name in currencies]
    finally:
        await engine.dispose()
    for (_, name), report in zip(currencies, reports, strict=True):
        _print(console, name, report)
    return sum(not r.ok for r in reports)


async def _currencies(session: AsyncSession, code: str | None) -> list[tuple[int, str]]:
    query = sa.select(currency.c.id, currency.c.code).order_by(currency.c.id)
    if code:
        query = query.where(currency.c.code == code)
    return [(row.id, row.code) for row in await session.execute(query)]


async def _verify_one(
    session: AsyncSession, currency_id: int, name: str, console: Console
) -> Report:
    total = await session.scalar(
        sa.select(sa.func.count())
        .select_from(transfer)
        .where(transfer.c.currency_id == currency_id)
    )
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"verifying {name}", total=total or 1)
        report = await verify(
            session, currency_id=currency_id, progress=lambda n: bar.advance(task, n)
        )
    return report


def _print(console: Console, name: str, report: Report) -> None:
    if report.ok:
        console.print(
            f"[green]✓ {name}[/]: {report.transfers} transfers, "
            f"{report.links} chained, balances and lots match, chain intact",
            highlight=False,
        )
    else:
        console.print(f"[bold red]✗ {name}[/]: {report.problem}", highlight=False)
