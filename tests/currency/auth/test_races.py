"""Sign-in state under real concurrency (real commits): one token, one winner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.auth import login, ratelimit, refresh
from currency.errors import CurrencyError, RateLimited, Unauthenticated
from currency.residents.card_codes import PinLocked
from tests.currency.auth.support import NOW, add_resident, resident_row, the_key
from tests.factories import Books, Resident

pytestmark = pytest.mark.committing

Step = Callable[[AsyncSession], Awaitable[object]]


async def committed(sessions: async_sessionmaker[AsyncSession], step: Step) -> object:
    """Run ``step`` in its own transaction and commit whatever happens, as the API does."""
    async with sessions() as session:
        try:
            return await step(session)
        except CurrencyError as error:
            return error
        finally:
            await session.commit()


async def racing(sessions: async_sessionmaker[AsyncSession], step: Step, n: int) -> list[object]:
    return list(await asyncio.gather(*(committed(sessions, step) for _ in range(n))))


async def setup(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, str, Resident]:
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        person = await add_resident(books)
        token = await refresh.start_family(
            session, currency_id=books.currency_id, principal=f"resident:{person.id}",
            token_version=0, now=NOW,
        )  # fmt: skip
    return books.currency_id, token, person


class TestRaces:
    async def test_two_rotations_of_one_token_one_wins_and_the_family_is_revoked(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        currency_id, token, _ = await setup(sessions)

        async def rotate(session: AsyncSession) -> object:
            return await refresh.rotate(session, currency_id=currency_id, token=token, now=NOW)

        results = await racing(sessions, rotate, 2)
        won = [r for r in results if isinstance(r, refresh.Rotated)]
        lost = [r for r in results if isinstance(r, Unauthenticated)]
        assert (len(won), len(lost)) == (1, 1)

        async def rotate_winner(session: AsyncSession) -> object:
            new = won[0].new_token
            return await refresh.rotate(session, currency_id=currency_id, token=new, now=NOW)

        assert isinstance(await committed(sessions, rotate_winner), Unauthenticated)

    async def test_a_burst_of_attempts_never_slips_past_the_limit(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        currency_id, _, _ = await setup(sessions)

        async def attempt(session: AsyncSession) -> object:
            await ratelimit.hit(
                session, currency_id=currency_id, bucket="login:ip:203.0.113.7", limit=5,
                window=timedelta(minutes=15), now=NOW,
            )  # fmt: skip
            return "allowed"

        results = await racing(sessions, attempt, 20)
        assert results.count("allowed") == 5
        assert sum(isinstance(r, RateLimited) for r in results) == 15

    async def test_concurrent_wrong_pins_lock_after_exactly_five(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        currency_id, _, person = await setup(sessions)

        async def guess(session: AsyncSession) -> object:
            return await login.login_resident(
                session, currency_id=currency_id, resident_number=person.number, pin="1357",
                ip="203.0.113.7", now=NOW, key=the_key(),
            )  # fmt: skip

        results = await racing(sessions, guess, 5)
        assert sum(type(r) is Unauthenticated for r in results) == 4
        assert sum(isinstance(r, PinLocked) for r in results) == 1
        async with sessions() as session:
            books = Books(session, currency_id)
            assert (await resident_row(books, person.id))["pin_failures"] == 5
