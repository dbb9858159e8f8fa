"""``meguri settle --period DATE --out DIR``: settle every merchant for a cut-off and write
the payout files, ``zengin-<period>.txt`` (for the bank) and ``payouts-<period>.csv``.

Safe to run again: settled merchants are not settled twice, and the same settlements
write the same files. The settlements are committed before the files are written, so a
merchant without a bank account stops the files (named, exit code 1) but not the
settlement; enter the account and run the command again to get the files.
"""

from __future__ import annotations

import asyncio
import getpass
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import Progress as Bar
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.cli import app, choose_currency, console, database, fail
from currency.db.engine import make_engine
from currency.errors import CurrencyError
from currency.settings import Settings
from currency.settlement import payouts, zengin
from currency.settlement import service as settlements

out = Console()


@dataclass(frozen=True)
class Outcome:
    settled: list[settlements.Settlement]
    files: tuple[bytes, bytes] | None  # None: nobody is owed anything
    note: str = ""
    earlier: int = 0  # merchants settled for this period by an earlier run


@app.command()
def settle(
    period: str = typer.Option(..., "--period", metavar="DATE", help="The cut-off day."),
    folder: Path = typer.Option(..., "--out", file_okay=False, help="Where to write the files."),
    currency_code: str | None = typer.Option(None, "--currency", help="Currency code."),
) -> None:
    """Settle every merchant for the cut-off day DATE and write the bank and CSV files."""
    period_end = _day(period)
    settings = Settings()
    with database(settings) as handle:
        try:
            done = asyncio.run(_settle(handle.runtime_url, settings, currency_code, period_end))
        except (CurrencyError, zengin.PayoutFileError) as exc:
            raise fail(str(exc)) from None
    _print(done, period_end)
    if done.files is None:
        out.print(done.note, soft_wrap=True)
        return
    bank_file, sheet = done.files
    for name, data in (
        (f"zengin-{period_end}.txt", bank_file),
        (f"payouts-{period_end}.csv", sheet),
    ):
        _write(folder / name, data)
        out.print(f"Wrote {folder / name}", highlight=False, soft_wrap=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"--period takes the cut-off day like 2026-11-10, not {text!r}.") from None


async def _settle(url: str, settings: Settings, code: str | None, period_end: date) -> Outcome:
    engine = make_engine(url, pool_size=1)
    try:
        settled, earlier = await _settle_all(engine, code, period_end)
        async with AsyncSession(engine) as session, session.begin():
            files = await payouts.payout_files(
                session, currency_id=await choose_currency(session, code), period_end=period_end,
                settings=settings,
            )  # fmt: skip
    except payouts.NothingToPay as nothing:
        return Outcome(settled, None, str(nothing), earlier)
    except payouts.PayoutBlocked as blocked:
        _print(Outcome(settled, None, earlier=earlier), period_end)
        raise fail(str(blocked)) from None
    finally:
        await engine.dispose()
    return Outcome(settled, files, earlier=earlier)


async def _settle_all(
    engine: AsyncEngine, code: str | None, period_end: date
) -> tuple[list[settlements.Settlement], int]:
    """The period's settlements, and how many of them an earlier run had made (their rows
    are older than this transaction, whose time stamps the new ones)."""
    async with AsyncSession(engine) as session, session.begin():
        currency_id = await choose_currency(session, code)
        started = await session.scalar(sa.select(sa.func.now()))
        assert started is not None
        with Bar(console=console, transient=True) as bar:
            task = bar.add_task(f"Settling the period ending {period_end}", total=None)
            done = await settlements.settle_all(
                session, currency_id=currency_id, period_end=period_end, actor=_actor(),
                now=datetime.now(UTC),
                progress=lambda n, total: bar.update(task, completed=n, total=total),
            )  # fmt: skip
    return done, sum(s.created_at < started for s in done)


def _actor() -> str:
    """Who ran it, for the audit log and the ledger: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return "cli"


def _print(done: Outcome, period_end: date) -> None:
    table = Table("merchant", title=f"Period ending {period_end}")
    for name in ("amount", "fee", "payout"):
        table.add_column(name, justify="right")
    for s in done.settled:
        table.add_row(f"{s.merchant_code} {s.merchant_name}", *_yen(s.amount, s.fee, s.payout))
    totals = [sum(getattr(s, k) for s in done.settled) for k in ("amount", "fee", "payout")]
    table.add_section()
    table.add_row(f"{len(done.settled)} merchants", *_yen(*totals))
    out.print(table)
    if done.earlier:
        out.print(f"{done.earlier} of them were settled by an earlier run; none was settled twice.")


def _yen(*amounts: int) -> list[str]:
    return [f"{amount:,}" for amount in amounts]


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: a half-written bank file must never be there to upload."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)
