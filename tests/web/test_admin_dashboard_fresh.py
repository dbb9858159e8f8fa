"""The staff dashboard shows real figures on a single machine: the demo brings the chain and
the rollups up to date as it loads, and ``meguri serve`` with the embedded database sweeps
the scheduled jobs itself (no ``meguri worker`` needed)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api import background_jobs
from currency import clock, demo
from currency.ledger.models import currency
from currency.reports import dashboard
from currency.reports.rollups import chain_head
from currency.settings import Settings
from tests.factories import Books


async def test_right_after_the_demo_loads_the_dashboard_shows_todays_issued_and_spent(
    session: AsyncSession, settings: Settings
) -> None:
    await demo.load(session, settings=settings)
    currency_id = await session.scalar(sa.select(currency.c.id).where(currency.c.code == "saiki"))
    assert currency_id is not None
    found = await dashboard.dashboard(session, currency_id=currency_id, today=clock.today())
    assert found.today.issued > 0 and found.today.spent > 0


def test_serve_runs_the_jobs_itself_only_with_the_embedded_database(tmp_path: object) -> None:
    assert background_jobs.wanted(Settings(database_url=None))
    production_like = Settings(database_url=SecretStr("postgresql://db.example/meguri"))
    assert not background_jobs.wanted(production_like)


@pytest.mark.committing
async def test_a_charge_made_while_serving_reaches_the_chain_without_a_worker(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        await books.charge(await books.wallet(), 1_000)
    async with background_jobs.running(sessions, Settings(database_url=None), every=0.05) as task:
        assert task is not None
        async with asyncio.timeout(120):  # a broken sweep fails the test instead of hanging
            while True:
                if await _chained(sessions, books.currency_id):
                    break
                await asyncio.sleep(0.05)
    assert task.cancelled() or task.done()


async def _chained(sessions: async_sessionmaker[AsyncSession], currency_id: int) -> bool:
    async with sessions() as session:
        return await chain_head(session, currency_id=currency_id) > 0
