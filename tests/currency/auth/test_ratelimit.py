"""Rate limits: fixed windows per bucket, with the wait in seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth import ratelimit
from currency.auth.models import rate_limit
from currency.errors import RateLimited
from tests.factories import Books

AT = datetime(2026, 11, 26, 1, 3, 20, tzinfo=UTC)  # 3 min 20 s into a 15-minute window
WINDOW = timedelta(minutes=15)


async def hit(books: Books, bucket: str = "login:user:hanako", at: datetime = AT) -> None:
    await ratelimit.hit(
        books.session, currency_id=books.currency_id, bucket=bucket, limit=3, window=WINDOW,
        now=at,
    )  # fmt: skip


class TestRateLimit:
    async def test_past_the_limit_the_caller_is_told_how_long_to_wait(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        for _ in range(3):
            await hit(books)
        with pytest.raises(RateLimited) as caught:
            await hit(books)
        assert caught.value.retry_after == 700  # 11 min 40 s to the end of the window
        assert "12 minutes" in str(caught.value)
        with pytest.raises(RateLimited):
            await hit(books, at=AT + timedelta(minutes=11))

    async def test_a_new_window_starts_afresh_and_the_old_one_is_forgotten(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        for _ in range(3):
            await hit(books)
        with pytest.raises(RateLimited):
            await hit(books)
        await hit(books, at=AT + timedelta(minutes=12))  # 15:20 into the day: a new window
        rows = await session.execute(
            sa.select(rate_limit.c.window_start, rate_limit.c.hits).where(
                rate_limit.c.currency_id == books.currency_id
            )
        )
        assert rows.all() == [(datetime(2026, 11, 26, 1, 15, tzinfo=UTC), 1)]

    async def test_buckets_and_currencies_are_counted_apart(self, session: AsyncSession) -> None:
        books, other = await Books.open(session), await Books.open(session)
        for _ in range(3):
            await hit(books)
        await hit(books, "login:user:taro")
        await hit(other)
        with pytest.raises(RateLimited):
            await hit(books)

    async def test_now_and_then_windows_older_than_a_day_are_swept(
        self, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        books = await Books.open(session)
        await hit(books, "login:ip:198.51.100.1", at=AT - timedelta(days=2))
        await hit(books, "login:ip:198.51.100.2", at=AT - timedelta(hours=2))
        monkeypatch.setattr(ratelimit, "SWEEP_ONE_IN", 1)
        await hit(books)
        buckets = await session.scalars(
            sa.select(rate_limit.c.bucket)
            .where(rate_limit.c.currency_id == books.currency_id)
            .order_by(rate_limit.c.bucket)
        )
        assert buckets.all() == ["login:ip:198.51.100.2", "login:user:hanako"]

    async def test_the_wait_is_at_least_a_second(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        edge = datetime(2026, 11, 26, 1, 14, 59, 999_000, tzinfo=UTC)
        for _ in range(3):
            await hit(books, at=edge)
        with pytest.raises(RateLimited) as caught:
            await hit(books, at=edge)
        assert caught.value.retry_after == 1

    async def test_a_window_longer_than_a_day_is_a_programming_error(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        with pytest.raises(ValueError, match="between a second and a day"):
            await ratelimit.hit(
                session, currency_id=books.currency_id, bucket="b", limit=1,
                window=timedelta(days=2), now=AT,
            )  # fmt: skip

    def test_buckets_built_from_typed_input_stay_short(self) -> None:
        assert ratelimit.bucket("login", "user", "x" * 10_000).startswith("login:user:xxx")
        assert len(ratelimit.bucket("login", "user", "x" * 10_000)) == ratelimit.BUCKET_CHARS
