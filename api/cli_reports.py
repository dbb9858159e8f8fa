"""``meguri rollup rebuild`` and ``meguri report base-date``: reports from the command line.

``rollup rebuild`` recomputes the daily rollups of a currency from the ledger (the worker
keeps them up to date; this is for after a restore, or to check them). ``report
base-date`` prints the 資金決済法 base-date report as CSV (UTF-8 with BOM, for Excel) or
JSON; docs/reports.md explains every figure.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import app, choose_currency, console, database, fail
from currency.db.engine import make_engine
from currency.errors import CurrencyError
from currency.reports import base_date, rollups
from currency.reports.exports import base_date_csv, base_date_json
from currency.settings import Settings

rollup_app = typer.Typer(help="Daily rollups behind the dashboard.", no_args_is_help=True)
report_app = typer.Typer(help="Reports for the city.", no_args_is_help=True)
app.add_typer(rollup_app, name="rollup")
app.add_typer(report_app, name="report")


class Format(StrEnum):
    csv = "csv"
    json = "json"


@rollup_app.command("rebuild")
def rollup_rebuild(
    currency_code: str | None = typer.Option(None, "--currency", help="The currency's code."),
) -> None:
    """Recompute every daily rollup from the ledger (what the worker folds in as it goes)."""
    with database(Settings(), migrate=False) as handle:
        code, read = asyncio.run(_rebuild(handle.runtime_url, currency_code))
    console.print(f"Rollups of {code} rebuilt from {read:,} chained transfers.")


async def _rebuild(url: str, code: str | None) -> tuple[str, int]:
    engine = make_engine(url, pool_size=1)
    try:
        async with AsyncSession(engine) as session, session.begin():
            currency_id = await choose_currency(session, code)
            with console.status("rebuilding the daily rollups …"):
                read = await rollups.rebuild(session, currency_id=currency_id)
        return code or str(currency_id), read
    finally:
        await engine.dispose()


@report_app.command("base-date")
def report_base_date(
    on: str = typer.Option(..., "--on", metavar="DATE", help="The base date, e.g. 2026-03-31."),
    fmt: Format = typer.Option(Format.csv, "--format", help="csv (Excel) or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
    currency_code: str | None = typer.Option(None, "--currency", help="The currency's code."),
) -> None:
    """The base-date report (基準日報告) for the end of DATE in Japan."""
    day = _day(on)
    with database(Settings(), migrate=False) as handle:
        found = asyncio.run(_base_date(handle.runtime_url, currency_code, day))
    text = base_date_csv(found) if fmt is Format.csv else base_date_json(found)
    if output is None:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
    else:
        output.write_bytes(text.encode("utf-8"))
        console.print(f"Base-date report for {day} written to {output}.")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"--on takes a date like 2026-03-31, not {text!r}.") from None


async def _base_date(url: str, code: str | None, day: date) -> base_date.BaseDateReport:
    engine = make_engine(url, pool_size=1)
    try:
        async with AsyncSession(engine) as session:
            currency_id = await choose_currency(session, code)
            return await base_date.report(session, currency_id=currency_id, on=day)
    except CurrencyError as exc:
        raise fail(str(exc)) from None
    finally:
        await engine.dispose()
