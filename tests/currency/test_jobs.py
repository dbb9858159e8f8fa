from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from currency import jobs
from currency.ledger import accounts
from currency.ledger.models import balance_delta, chain_queue
from currency.ledger.verify import verify
from tests.factories import Books

pytestmark = pytest.mark.committing


async def test_a_sweep_chains_the_queue_and_rolls_up_deltas_keeping_the_books_right(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        for _ in range(3):
            await books.charge(await books.wallet(), 1000)
    done = await jobs.sweep(sessions)
    assert done["chain"] == 3
    assert done["roll-up"] >= 1
    async with sessions() as session, session.begin():
        queued = await session.scalar(sa.select(sa.func.count()).select_from(chain_queue))
        deltas = await session.scalar(sa.select(sa.func.count()).select_from(balance_delta))
        issued = await accounts.system_account(
            session, currency_id=books.currency_id, code=accounts.ISSUED_COINS
        )
        assert (
            await accounts.balance(session, currency_id=books.currency_id, account_id=issued)
            == -3000
        )
        report = await verify(session, currency_id=books.currency_id)
    assert (queued, deltas) == (0, 0)
    assert report.ok, report.problem


async def test_two_workers_at_once_never_chain_a_transfer_twice(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        wallet = await books.wallet()
        for _ in range(50):
            await books.charge(wallet, 10)
    await asyncio.gather(jobs.sweep(sessions), jobs.sweep(sessions), jobs.sweep(sessions))
    await jobs.sweep(sessions)
    async with sessions() as session, session.begin():
        report = await verify(session, currency_id=books.currency_id)
    assert report.ok, report.problem
    assert report.links == 50


async def test_expiry_commits_in_steps_and_a_failing_job_does_not_stop_the_sweep(
    committing_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker never holds thousands of wallet locks at once (a campaign's lots all
    expiring the same night), and one broken job leaves the others running."""
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        books.today = jobs.clock.today()
        wallets = [await books.wallet() for _ in range(3)]
        for wallet in wallets:
            await books.charge(wallet, 100, days=-1)
    monkeypatch.setattr(jobs, "EXPIRE_WALLETS_PER_SWEEP", 2)

    async def broken(session: object, currency_id: int) -> int:
        raise RuntimeError("the roll-up is broken")

    monkeypatch.setitem(jobs.JOBS, "roll-up", (2, broken))
    first = await jobs.sweep(sessions)
    second = await jobs.sweep(sessions)
    assert (first["expiry"], second["expiry"]) == (2, 1)
    assert first["chain"] >= 3  # the chain ran although the roll-up failed
    async with sessions() as session:
        books.session = session
        assert [await books.balance(w) for w in wallets] == [0, 0, 0]


async def test_housekeeping_forgets_expired_sign_ins_and_unused_codes_once_an_hour(
    committing_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from currency.auth import refresh
    from currency.auth.models import refresh_token
    from currency.payments import codes
    from currency.payments.models import payment_token

    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    long_ago = datetime.now(UTC) - timedelta(days=40)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        wallet = await books.wallet()
        await refresh.start_family(
            session, currency_id=books.currency_id, principal="resident:1", token_version=0,
            now=long_ago,
        )  # fmt: skip
        await refresh.start_family(
            session, currency_id=books.currency_id, principal="resident:2", token_version=0,
            now=datetime.now(UTC),
        )  # fmt: skip
        await codes.issue_payment_token(
            session, currency_id=books.currency_id, wallet_account_id=wallet, now=long_ago
        )
    monkeypatch.setattr(jobs, "_housekept", {})
    first = await jobs.sweep(sessions)
    again = await jobs.sweep(sessions)
    assert (first["housekeeping"], again["housekeeping"]) == (2, 0)
    async with sessions() as session:
        left = await session.scalar(sa.select(sa.func.count()).select_from(refresh_token))
        codes_left = await session.scalar(sa.select(sa.func.count()).select_from(payment_token))
    assert (left, codes_left) == (1, 0)
