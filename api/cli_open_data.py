"""``meguri export open-data``, ``meguri export ledger`` and ``meguri verify-heads``.

The first two read the database; ``verify-heads`` does not: anyone holding a ledger export
and the published chain heads can run it.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import app, choose_currency, console, database, fail
from currency import clock
from currency.db.engine import make_engine
from currency.errors import InvalidOperation
from currency.ledger.models import currency
from currency.opendata import export, formats, heads, service
from currency.opendata.suppression import Rule
from currency.opendata.tables import MonthTables, parse_month
from currency.settings import Settings

export_app = typer.Typer(help="Write files for publication or for outside checking.")
app.add_typer(export_app, name="export")


@export_app.command("open-data")
def export_open_data(
    month: str = typer.Option(..., "--month", metavar="YYYY-MM", help="A closed month."),
    out: Path = typer.Option(Path("."), "--out", help="Folder to write the files into."),
    k: int | None = typer.Option(None, "--k", min=2, help="Minimum residents per cell."),
    currency_code: str | None = typer.Option(None, "--currency", help="Which currency."),
) -> None:
    """Write a month's open data (CSV for Excel, JSON) and the data dictionary."""
    first = _closed_month(month)
    settings = Settings()
    rule = service.rule_from(settings, k=k)
    with database(settings, migrate=False) as handle:
        found, code = asyncio.run(_tables(handle.runtime_url, currency_code, first, rule))
    out.mkdir(parents=True, exist_ok=True)
    files = {
        f"meguri-{found.label}.csv": formats.to_csv(found),
        f"meguri-{found.label}.json": formats.json_bytes(formats.to_json(found, currency=code)),
        "open-data-dictionary.json": formats.json_bytes(formats.dictionary(k=rule.k)),
        "open-data-dictionary.csv": formats.dictionary_csv(),
    }
    for name, body in files.items():
        (out / name).write_bytes(body)
    hidden = sum(c.suppressed for t in found.tables for c in t.cells)
    Console().print(f"Wrote {len(files)} files to {out} (k = {rule.k}; {hidden} cells suppressed).")


def _closed_month(text: str) -> date:
    try:
        first = parse_month(text)
    except InvalidOperation as exc:
        raise fail(str(exc)) from None
    if not service.is_published(first, clock.today()):
        raise fail(f"{text} has not ended yet: only closed months are published.")
    return first


async def _tables(url: str, code: str | None, first: date, rule: Rule) -> tuple[MonthTables, str]:
    engine = make_engine(url, pool_size=1)
    try:
        async with AsyncSession(engine) as session:
            currency_id = await choose_currency(session, code)
            found = await service.month_tables(
                session, currency_id=currency_id, month=first, rule=rule
            )
            return found, await _code(session, currency_id)
    finally:
        await engine.dispose()


async def _code(session: AsyncSession, currency_id: int) -> str:
    return str(await session.scalar(currency.select().with_only_columns(currency.c.code)
                                    .where(currency.c.id == currency_id)))  # fmt: skip


@export_app.command("ledger")
def export_ledger(
    out: Path = typer.Option(..., "--out", help="The file to write (JSON Lines)."),
    currency_code: str | None = typer.Option(None, "--currency", help="Which currency."),
) -> None:
    """Write every chained transfer in sequence order, as the hash chain covers it."""
    with database(Settings(), migrate=False) as handle:
        written = asyncio.run(_export_ledger(handle.runtime_url, currency_code, out))
    Console().print(f"Wrote {written:,} chained transfers to {out}.")


async def _export_ledger(url: str, code: str | None, out: Path) -> int:
    engine = make_engine(url, pool_size=1)
    try:
        async with AsyncSession(engine) as session, session.begin():
            currency_id = await choose_currency(session, code)
            total = await export.chained_count(session, currency_id=currency_id)
            name = await _code(session, currency_id)
            with out.open("w", encoding="utf-8") as file, Progress(console=console) as bar:
                task = bar.add_task("exporting", total=total or 1)
                return await export.write_ledger(
                    session, currency_id=currency_id, currency_code=name, out=file,
                    progress=lambda n: bar.advance(task, n),
                )  # fmt: skip
    finally:
        await engine.dispose()


@app.command("verify-heads")
def verify_heads(
    heads_file: Path = typer.Argument(..., help="Published heads: chain.json or chain.csv."),
    export_file: Path = typer.Option(..., "--export", help="The file from meguri export ledger."),
) -> None:
    """Check a ledger export against published chain heads (no database needed)."""
    verdict = check_files(heads_file, export_file)
    if not verdict.ok:
        raise fail(f"First bad sequence {verdict.first_bad_sequence}: {verdict.problem}")
    Console().print(
        f"✓ {verdict.links:,} chained transfers recomputed; all {verdict.heads_matched:,} "
        "published heads match."
    )


def check_files(heads_file: Path, export_file: Path) -> heads.Verdict:
    """The verdict for two files; unreadable files fail with a plain message."""
    try:
        published = heads.read_heads(heads_file.read_text(encoding="utf-8"))
        with export_file.open(encoding="utf-8") as lines:
            return heads.verify(heads.read_export(lines), published)
    except (OSError, heads.BadExport) as exc:
        raise fail(str(exc)) from None
