"""``meguri grant import FILE --programme CODE``: preview a bulk grant file; ``--commit`` grants.

The preview lists each row (line, resident, activity, points, outcome) and the totals.
With ``--commit`` the file is granted only when no row has a problem (exit code 1
otherwise, nothing granted); committing the same file again grants nothing more.
A preview alone exits 0 even when rows have problems: it did what was asked.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import Progress as Bar
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import app, choose_currency, console, database, fail
from currency.db.engine import make_engine
from currency.errors import CurrencyError
from currency.issuance import bulk
from currency.settings import Settings
from currency.users.models import user

grant_app = typer.Typer(help="Volunteer point grants.", no_args_is_help=True)
app.add_typer(grant_app, name="grant")
SHOWN_OK_ROWS = 200  # past this, only rows with problems or warnings are listed
out = Console()


@grant_app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The CSV file."),
    programme: str = typer.Option(..., "--programme", help="The point programme of every row."),
    commit: bool = typer.Option(False, "--commit", help="Grant the points (if no row is bad)."),
    currency_code: str | None = typer.Option(None, "--currency", help="Currency code."),
    staff: str | None = typer.Option(None, "--staff", help="Staff username to grant as."),
    show_all: bool = typer.Option(False, "--all", help="List every row, even in long files."),
) -> None:
    """Preview a grant file (UTF-8 or Shift_JIS CSV); with --commit, grant it."""
    if commit and not staff:
        raise fail("--commit needs --staff USERNAME: every grant is recorded in someone's name.")
    data = file.read_bytes()
    with database(Settings()) as handle:
        job = _import(handle.runtime_url, data, programme, commit, currency_code, staff, show_all)
        try:
            asyncio.run(job)
        except bulk.GrantFileRefused as exc:
            raise fail(f"{exc.problem.ja}\n{exc.problem.en}") from None
        except CurrencyError as exc:
            raise fail(str(exc)) from None


async def _import(
    url: str,
    data: bytes,
    programme: str,
    commit: bool,
    currency_code: str | None,
    staff: str | None,
    show_all: bool,
) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        async with AsyncSession(engine) as session, session.begin():
            currency_id = await choose_currency(session, currency_code)
            staff_id = await _staff(session, currency_id, staff) if staff else 0
            found = await bulk.preview(
                session, currency_id=currency_id, programme_code=programme, data=data,
                staff_id=staff_id, now=datetime.now(UTC),
            )  # fmt: skip
        _print_preview(found, show_all)
        if commit:
            async with AsyncSession(engine) as session, session.begin():
                await _commit(session, currency_id, programme, data, staff_id, found)
    finally:
        await engine.dispose()


async def _commit(
    session: AsyncSession,
    currency_id: int,
    programme: str,
    data: bytes,
    staff_id: int,
    found: bulk.Preview,
) -> None:
    if found.totals.errors:
        raise fail(f"{found.totals.errors} rows have problems; nothing was granted.")
    with Bar(console=console, transient=True) as bar:
        task = bar.add_task("Granting", total=found.totals.ok)
        done = await bulk.commit(
            session, currency_id=currency_id, programme_code=programme, data=data,
            staff_id=staff_id, now=datetime.now(UTC),
            progress=lambda n, total: bar.update(task, completed=n),
        )  # fmt: skip
    if done.replayed:
        out.print("This file was imported before: nothing more was granted.")
    else:
        out.print(f"Granted {done.points:,} pt in {len(done.operation_ids):,} grants.")


def _print_preview(found: bulk.Preview, show_all: bool) -> None:
    title = f"programme {found.programme}"
    table = Table("line", "resident", "activity", "points", "outcome", title=title)
    listed = show_all or len(found.rows) <= SHOWN_OK_ROWS
    for row in found.rows:
        if listed or row.problems or row.warnings:
            points = "" if row.points is None else f"{row.points:,}"
            table.add_row(str(row.line), row.resident_number, row.activity, points, _said(row))
    out.print(table)
    t = found.totals
    out.print(f"rows {t.rows:,} · ok {t.ok:,} · errors {t.errors:,} · points {t.points:,}")
    if found.ignored_columns:
        out.print(f"Columns not used: {', '.join(found.ignored_columns)}")
    if found.imported_at:
        out.print(f"[yellow]This file was already imported at {found.imported_at:%Y-%m-%d %H:%M}.")


def _said(row: bulk.RowOutcome) -> str:
    notes = [f"[red]{p.ja}[/]\n[dim]{p.en}[/]" for p in row.problems]
    notes += [f"[yellow]{w.ja}[/]\n[dim]{w.en}[/]" for w in row.warnings]
    return "\n".join(notes) if notes else "[green]OK[/]"


async def _staff(session: AsyncSession, currency_id: int, username: str) -> int:
    u = user.c
    found = await session.scalar(
        sa.select(u.id).where(
            u.currency_id == currency_id,
            u.username == username,
            u.role.in_(("city_staff", "city_admin")),
            u.status == "active",
        )
    )
    if found is None:
        raise fail(f"No active city staff member has the username {username}.")
    return int(found)
