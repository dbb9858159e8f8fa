"""Refresh tokens: used once, rotated, a reused one revokes its whole sign-in."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth import refresh
from currency.auth.models import refresh_token
from currency.errors import Unauthenticated
from tests.currency.auth.support import NOW
from tests.factories import Books


async def start(books: Books, principal: str = "user:1", version: int = 0) -> str:
    return await refresh.start_family(
        books.session, currency_id=books.currency_id, principal=principal,
        token_version=version, now=NOW,
    )  # fmt: skip


async def rotate(books: Books, token: str, days: float = 0) -> refresh.Rotated:
    at = NOW + timedelta(days=days)
    return await refresh.rotate(books.session, currency_id=books.currency_id, token=token, now=at)


async def refused(books: Books, token: str, days: float = 0) -> None:
    with pytest.raises(Unauthenticated, match="please sign in again"):
        await rotate(books, token, days)


class TestRotation:
    async def test_a_refresh_gives_the_next_token_for_the_same_person(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        first = await start(books, "resident:34", version=2)
        second = await rotate(books, first)
        assert (second.principal, second.token_version) == ("resident:34", 2)
        assert second.new_token != first and len(second.new_token) >= 43
        third = await rotate(books, second.new_token, days=1)
        assert third.family == second.family

    async def test_only_a_hash_of_the_token_is_stored(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        token = await start(books)
        rows = (await session.execute(sa.select(refresh_token))).mappings().all()
        mine = [r for r in rows if r["currency_id"] == books.currency_id]
        assert [r["token_hash"] for r in mine] == [hashlib.sha256(token.encode()).digest()]
        assert token not in repr([dict(r) for r in mine])

    async def test_a_token_lasts_thirty_days_from_the_last_refresh(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        token = (await rotate(books, await start(books), days=29)).new_token
        kept = await rotate(books, token, days=58)  # 29 days after the refresh
        await refused(books, kept.new_token, days=88)  # 30 days after: signed out

    async def test_an_unknown_token_is_refused(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        await start(books)
        await refused(books, "not-a-token-we-ever-gave")

    async def test_a_token_of_another_currency_is_refused(self, session: AsyncSession) -> None:
        saiki, other = await Books.open(session), await Books.open(session)
        token = await start(saiki)
        await refused(other, token)
        assert (await rotate(saiki, token)).principal == "user:1"


class TestReuse:
    async def test_a_used_token_presented_again_revokes_the_whole_sign_in(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        stolen = await start(books)
        owners = (await rotate(books, stolen)).new_token
        newest = (await rotate(books, owners)).new_token
        await refused(books, stolen)  # the thief (or the owner) replays an old token
        await refused(books, newest)  # the newest of the family stops too

    async def test_other_sign_ins_of_the_same_person_are_untouched(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        phone, tablet = await start(books), await start(books)
        await rotate(books, phone)
        await refused(books, phone)
        assert (await rotate(books, tablet)).principal == "user:1"


class TestRevoke:
    async def test_signing_out_revokes_that_sign_in_only(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        phone, tablet = await start(books), await start(books)
        phone = (await rotate(books, phone)).new_token
        await refresh.revoke_family(session, currency_id=books.currency_id, token=phone, now=NOW)
        await refused(books, phone)
        assert (await rotate(books, tablet)).principal == "user:1"

    async def test_signing_out_with_an_unknown_token_changes_nothing(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        token = await start(books)
        await refresh.revoke_family(session, currency_id=books.currency_id, token="x", now=NOW)
        assert (await rotate(books, token)).principal == "user:1"

    async def test_revoking_a_person_signs_out_every_device(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        phone, tablet = await start(books, "user:7"), await start(books, "user:7")
        colleague = await start(books, "user:8")
        revoked = await refresh.revoke_principal(
            session, currency_id=books.currency_id, principal="user:7", now=NOW
        )
        assert revoked == 2
        await refused(books, phone)
        await refused(books, tablet)
        assert (await rotate(books, colleague)).principal == "user:8"

    async def test_expired_tokens_are_purged(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        await start(books)
        later = NOW + timedelta(days=31)
        assert await refresh.purge_expired(session, currency_id=books.currency_id, now=NOW) == 0
        assert await refresh.purge_expired(session, currency_id=books.currency_id, now=later) == 1
