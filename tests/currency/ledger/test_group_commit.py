"""Group commit: payments posted together in one transaction, with real commits."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.errors import (
    AccountUnavailable,
    IdempotencyInFlight,
    InsufficientBalance,
    NotFound,
)
from currency.ledger import chain
from currency.ledger.group import GroupCommit
from currency.ledger.posting import Request
from currency.ledger.types import Draft, Idempotency, Leg, Locked, NewLot, Posted
from currency.ledger.verify import verify
from currency.payments import service as payments
from tests.factories import Books, Shop

pytestmark = pytest.mark.committing


async def open_books(
    sessions: async_sessionmaker[AsyncSession], wallets: int, charge: int
) -> tuple[Books, list[int], Shop]:
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        ids = [await books.wallet() for _ in range(wallets)]
        for wallet in ids:
            await books.charge(wallet, charge)
        shop = await books.shop()
    return books, ids, shop


def payment(books: Books, wallet: int, shop: int, amount: int, key: str | None = None) -> Request:
    idem = Idempotency(f"resident:{wallet}", key, {"shop": shop, "amount": amount}) if key else None
    return payments.payment(
        wallet_account_id=wallet,
        merchant_id=shop,
        amount=amount,
        actor=f"resident:{wallet}",
        idempotency=idem,
        today=books.today,
    )


async def check_books(
    sessions: async_sessionmaker[AsyncSession], books: Books, *accounts: int
) -> list[int]:
    async with sessions() as session, session.begin():
        books.session = session
        found = [await books.balance(a) for a in accounts]
        await chain.seal_all(session, currency_id=books.currency_id)
        report = await verify(session, currency_id=books.currency_id)
    assert report.ok, report.problem
    return found


class TestGroupCommit:
    async def test_payments_from_many_wallets_share_commits_and_all_land(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, wallets, shop = await open_books(sessions, 40, 1000)
        group = GroupCommit(committing_engine, lanes=2)
        posted = await asyncio.gather(
            *(group.post(books.currency_id, payment(books, w, shop.id, 300)) for w in wallets)
        )
        assert len({p.operation_id for p in posted}) == 40
        assert group.batches < 40, "arriving together, payments should share batches"
        balances = await check_books(sessions, books, shop.account_id, *wallets)
        assert balances == [40 * 300] + [700] * 40

    async def test_a_hundred_spends_racing_for_a_thousand_exactly_ten_succeed(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, (wallet,), shop = await open_books(sessions, 1, 1000)
        group = GroupCommit(committing_engine)
        results = await asyncio.gather(
            *(
                group.post(books.currency_id, payment(books, wallet, shop.id, 100))
                for _ in range(100)
            ),
            return_exceptions=True,
        )
        assert sum(isinstance(r, Posted) for r in results) == 10
        assert all(isinstance(r, (Posted, InsufficientBalance)) for r in results)
        assert await check_books(sessions, books, wallet, shop.account_id) == [0, 1000]

    async def test_the_same_key_twice_at_once_takes_effect_once(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, (wallet, other), shop = await open_books(sessions, 2, 1000)
        group = GroupCommit(committing_engine)
        same = [payment(books, wallet, shop.id, 250, key="k-1") for _ in range(6)]
        results = await asyncio.gather(
            *(group.post(books.currency_id, r) for r in same),
            group.post(books.currency_id, payment(books, other, shop.id, 100)),
            return_exceptions=True,
        )
        done = [r for r in results[:6] if isinstance(r, Posted)]
        assert all(isinstance(r, (Posted, IdempotencyInFlight)) for r in results[:6])
        assert len({p.operation_id for p in done}) == 1
        assert sum(not p.replayed for p in done) == 1
        assert await check_books(sessions, books, wallet, other) == [750, 900]

    async def test_a_refused_payment_fails_alone(self, committing_engine: AsyncEngine) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, wallets, shop = await open_books(sessions, 4, 500)
        async with sessions() as session, session.begin():
            books.session = session
            closed = await books.shop(status="suspended")
        group = GroupCommit(committing_engine)
        results = await asyncio.gather(
            group.post(books.currency_id, payment(books, wallets[0], shop.id, 200)),
            group.post(books.currency_id, payment(books, wallets[1], shop.id, 900)),
            group.post(books.currency_id, payment(books, wallets[2], 999_999, 100)),
            group.post(books.currency_id, payment(books, wallets[3], closed.id, 100)),
            return_exceptions=True,
        )
        assert isinstance(results[0], Posted)
        assert isinstance(results[1], InsufficientBalance)
        assert isinstance(results[2], NotFound)
        assert isinstance(results[3], AccountUnavailable)
        assert await check_books(sessions, books, *wallets, shop.account_id) == [
            300,
            500,
            500,
            500,
            200,
        ]

    async def test_a_batch_the_database_refuses_is_retried_one_by_one(
        self, committing_engine: AsyncEngine
    ) -> None:
        """Paying out more than a merchant holds (even counting the payments in the same
        batch) passes the planner but not the database (MG409): the batch is rolled back
        and every other request is posted alone."""
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, wallets, shop = await open_books(sessions, 3, 500)
        group = GroupCommit(committing_engine, lanes=1)

        def overdraw(locked: Locked) -> Draft:
            lot = NewLot(0, wallets[2], "coin", 500, books.today + timedelta(days=30))
            return Draft("refund", [Leg(shop.account_id, wallets[2], 500, "refund.coin")], [lot])

        bad = Request("test", (shop.account_id, wallets[2]), overdraw)
        results = await asyncio.gather(
            group.post(books.currency_id, payment(books, wallets[0], shop.id, 100)),
            group.post(books.currency_id, bad),
            group.post(books.currency_id, payment(books, wallets[1], shop.id, 100)),
            return_exceptions=True,
        )
        assert isinstance(results[0], Posted) and isinstance(results[2], Posted)
        assert isinstance(results[1], InsufficientBalance)
        assert await check_books(sessions, books, *wallets, shop.account_id) == [
            400,
            400,
            500,
            200,
        ]
