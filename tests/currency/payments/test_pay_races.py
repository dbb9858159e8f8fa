"""Wallet limits hold when payments from one wallet race through the group committer."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from currency.errors import LimitExceeded
from currency.ledger.group import GroupCommit
from currency.ledger.types import Posted
from currency.payments import service as payments
from tests.currency.payments.test_pay import LIMITS, in_force
from tests.factories import Books

pytestmark = pytest.mark.committing


async def test_ten_racing_payments_against_a_daily_cap_that_fits_five(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        await in_force(books, LIMITS)  # basic: 3,000 a payment, 5,000 a day
        payer = await books.resident()
        await books.charge(payer.wallet, 20_000)
        shop = await books.shop()
    group = GroupCommit(committing_engine)
    request = payments.payment(
        wallet_account_id=payer.wallet, merchant_id=shop.id, amount=1_000, actor="resident"
    )
    results = await asyncio.gather(
        *(group.post(books.currency_id, request) for _ in range(10)), return_exceptions=True
    )
    assert sum(isinstance(r, Posted) for r in results) == 5
    assert all(isinstance(r, Posted | LimitExceeded) for r in results)
    async with sessions() as session:
        books.session = session
        assert await books.balance(payer.wallet) == 15_000
