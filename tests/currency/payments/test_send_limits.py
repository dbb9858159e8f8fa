"""Refused sends per resident: the bound on trying numbers to see which exist."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.auth.models import rate_limit
from currency.errors import NotFound, RateLimited
from currency.payments import send_limits
from currency.payments.send_limits import REFUSED_SENDS
from tests.factories import Books

AT = datetime(2026, 11, 26, 1, 20, tzinfo=UTC)  # 20 minutes into the hour's window
LIMIT = REFUSED_SENDS.attempts


async def refused_send(session: AsyncSession, currency_id: int, resident_id: int) -> None:
    """A send that is refused (an unknown number) inside the counter, as the route runs it."""
    with pytest.raises(NotFound):
        async with send_limits.counted(
            session, currency_id=currency_id, resident_id=resident_id, now=AT
        ):
            raise NotFound("no resident has this number; please check it and try again")


async def counted_so_far(session: AsyncSession, currency_id: int) -> int:
    hits = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(rate_limit.c.hits), 0)).where(
            rate_limit.c.currency_id == currency_id, rate_limit.c.bucket.like("send:%")
        )
    )
    return int(hits or 0)


class TestCounting:
    async def test_a_refused_send_is_counted_and_one_that_goes_through_is_not(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await refused_send(session, books.currency_id, 7)
        async with send_limits.counted(
            session, currency_id=books.currency_id, resident_id=7, now=AT
        ):
            pass  # the send went through
        assert await counted_so_far(session, books.currency_id) == 1

    async def test_past_the_limit_the_resident_waits_until_the_hour_is_over(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        for _ in range(LIMIT):
            await refused_send(session, books.currency_id, 7)
        with pytest.raises(RateLimited) as caught:
            await send_limits.reserve(session, currency_id=books.currency_id, resident_id=7, now=AT)
        assert caught.value.retry_after == 40 * 60
        assert "wait 40 minutes" in str(caught.value)
        await send_limits.reserve(  # the next hour starts afresh
            session, currency_id=books.currency_id, resident_id=7, now=AT + timedelta(hours=1)
        )

    async def test_each_resident_has_a_count_of_their_own(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        for _ in range(LIMIT):
            await refused_send(session, books.currency_id, 7)
        with pytest.raises(RateLimited):
            await send_limits.reserve(session, currency_id=books.currency_id, resident_id=7, now=AT)
        await send_limits.reserve(session, currency_id=books.currency_id, resident_id=8, now=AT)


@pytest.mark.committing
async def test_a_burst_of_sends_at_once_never_slips_past_the_limit(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        currency_id = (await Books.open(session)).currency_id

    async def one() -> bool:
        async with sessions() as checks:
            try:
                await refused_send(checks, currency_id, 7)
            except RateLimited:
                return False
            return True

    tried = await asyncio.gather(*(one() for _ in range(3 * LIMIT)))
    assert sum(tried) == LIMIT
