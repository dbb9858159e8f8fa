"""Races with real commits: many sessions at once against one PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.errors import IdempotencyInFlight, InsufficientBalance
from currency.ledger import chain, operations
from currency.ledger.operations import Context
from currency.ledger.types import Idempotency
from currency.ledger.verify import verify
from tests.factories import Books

pytestmark = pytest.mark.committing
T = TypeVar("T")


async def in_transaction(
    sessions: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    async with sessions() as session, session.begin():
        return await work(session)


async def setup_books(
    sessions: async_sessionmaker[AsyncSession], wallets: int, charge: int
) -> tuple[Books, list[int], int]:
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        ids = [await books.wallet() for _ in range(wallets)]
        for wallet in ids:
            await books.charge(wallet, charge)
        shop = await books.merchant()
    return books, ids, shop


def spend(books: Books, wallet: int, shop: int, amount: int, key: str | None = None):  # type: ignore[no-untyped-def]
    idem = Idempotency("resident", key, {"amount": amount, "shop": shop}) if key else None

    async def work(session: AsyncSession) -> object:
        return await operations.spend(
            session,
            currency_id=books.currency_id,
            wallet=wallet,
            to_account=shop,
            amount=amount,
            kind="payment",
            today=books.today,
            ctx=Context(actor="test", idempotency=idem),
        )

    return work


async def balances_and_verify(
    sessions: async_sessionmaker[AsyncSession], books: Books, *accounts: int
) -> list[int]:
    async with sessions() as session, session.begin():
        books.session = session
        found = [await books.balance(a) for a in accounts]
        await chain.seal_all(session, currency_id=books.currency_id)
        report = await verify(session, currency_id=books.currency_id)
    assert report.ok, report.problem
    return found


class TestRaces:
    async def test_a_hundred_spends_racing_for_a_thousand_exactly_ten_succeed(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, (wallet,), shop = await setup_books(sessions, 1, 1000)
        results = await asyncio.gather(
            *(in_transaction(sessions, spend(books, wallet, shop, 100)) for _ in range(100)),
            return_exceptions=True,
        )
        ok = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, InsufficientBalance)]
        assert len(ok) == 10
        assert len(refused) == 90, [r for r in results if isinstance(r, BaseException)][:3]
        assert await balances_and_verify(sessions, books, wallet, shop) == [0, 1000]

    async def test_five_hundred_sends_each_way_conserve_the_total_with_no_error(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, (a, b), _ = await setup_books(sessions, 2, 5000)

        def send(sender: int, receiver: int) -> Callable[[AsyncSession], Awaitable[object]]:
            async def work(session: AsyncSession) -> object:
                return await operations.send(
                    session,
                    currency_id=books.currency_id,
                    sender=sender,
                    receiver=receiver,
                    amount=7,
                    today=books.today,
                    ctx=Context(actor="test"),
                )

            return work

        jobs = [send(a, b) for _ in range(500)] + [send(b, a) for _ in range(500)]
        results = await asyncio.gather(
            *(in_transaction(sessions, j) for j in jobs), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == []
        assert await balances_and_verify(sessions, books, a, b) == [5000, 5000]

    async def test_two_identical_requests_racing_take_effect_once(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, (wallet,), shop = await setup_books(sessions, 1, 1000)
        same = [
            in_transaction(sessions, spend(books, wallet, shop, 300, key="k-1")) for _ in range(8)
        ]
        results = await asyncio.gather(*same, return_exceptions=True)
        for result in results:
            assert not isinstance(result, BaseException) or isinstance(
                result, IdempotencyInFlight
            ), result
        again = await in_transaction(sessions, spend(books, wallet, shop, 300, key="k-1"))
        assert again.replayed  # type: ignore[attr-defined]
        assert await balances_and_verify(sessions, books, wallet, shop) == [700, 300]
