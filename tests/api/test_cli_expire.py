"""``meguri expire``: expires what is due once, says what it did, and changes nothing twice."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from typer.testing import CliRunner, Result

from api.cli import app
from api.cli_expire import expire  # noqa: F401  (registers the command)
from currency import clock
from currency.ledger import chain
from currency.ledger.models import account, currency
from currency.ledger.verify import verify
from tests.conftest import DatabaseUnderTest
from tests.factories import Books


def run(*args: str, url: str = "postgresql://nobody@127.0.0.1:1/none") -> Result:
    env = {"MEGURI_DATABASE_URL": url}
    return CliRunner().invoke(app, ["expire", *args], env=env)


def said(result: Result) -> str:
    """What the command told the operator, as one line (the terminal may wrap it)."""
    return " ".join(result.stderr.split())


def test_a_date_in_the_future_is_refused_before_anything_is_touched() -> None:
    done = run("--as-of", "2999-01-01")  # no database at that URL: it is never opened
    assert done.exit_code == 1
    assert "would expire value residents may still use" in said(done)
    assert "takes a date like 2026-03-31" in said(run("--as-of", "31/03/2026"))


@pytest.mark.committing
async def test_expiring_twice_expires_once_and_says_what_it_did(
    committing_engine: AsyncEngine, test_db: DatabaseUnderTest
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        books.today = clock.today()
        lapsed, current = await books.wallet(), await books.wallet()
        await books.charge(lapsed, 1000, days=-1)
        await books.grant(lapsed, 200, days=-30)
        await books.charge(lapsed, 50, days=0)  # its last day is today: still good
        await books.charge(current, 500, days=30)
        code = await session.scalar(
            sa.select(currency.c.code).where(currency.c.id == books.currency_id)
        )
    assert code is not None

    first = await asyncio.to_thread(run, "--currency", code, url=test_db.runtime_url)
    assert first.exit_code == 0, first.stderr
    assert f"{code}: 2 lots in 1 wallet expired" in first.stdout
    assert "coins 1,000 コイン, points 200 pt" in first.stdout
    again = await asyncio.to_thread(run, "--currency", code, url=test_db.runtime_url)
    assert again.exit_code == 0, again.stderr
    assert "nothing left to expire" in again.stdout and "changes nothing" in again.stdout

    async with sessions() as session, session.begin():
        books.session = session
        assert [await books.balance(w) for w in (lapsed, current)] == [50, 500]
        await chain.seal_all(session, currency_id=books.currency_id)
        report = await verify(session, currency_id=books.currency_id)
    assert report.ok, report.problem
    unknown = await asyncio.to_thread(run, "--currency", "NOPE", url=test_db.runtime_url)
    assert unknown.exit_code == 1 and "no currency with code NOPE" in said(unknown)


@pytest.mark.committing
async def test_a_blocked_wallets_value_still_expires_on_its_date(
    committing_engine: AsyncEngine, test_db: DatabaseUnderTest
) -> None:
    """Blocking a wallet (a lost phone, a card reported stolen) must not stretch prepaid
    value past its expiry, nor stop expiry for everyone else."""
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        books.today = clock.today()
        frozen, other = await books.wallet(), await books.wallet()
        for wallet in (frozen, other):
            await books.charge(wallet, 100, days=-1)
        await session.execute(
            sa.update(account).where(account.c.id == frozen).values(status="blocked")
        )
        code = await session.scalar(
            sa.select(currency.c.code).where(currency.c.id == books.currency_id)
        )
    assert code is not None
    done = await asyncio.to_thread(run, "--currency", code, url=test_db.runtime_url)
    assert done.exit_code == 0, done.stderr
    async with sessions() as session:
        books.session = session
        assert [await books.balance(w) for w in (frozen, other)] == [0, 0]
