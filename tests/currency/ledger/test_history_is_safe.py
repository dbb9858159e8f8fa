"""History cannot be rewritten unnoticed: the chain, the triggers, the grants, verify."""

from __future__ import annotations

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.db.engine import plain_url
from currency.ledger import chain
from currency.ledger.models import chain_link
from currency.ledger.verify import verify
from tests.conftest import DatabaseUnderTest
from tests.factories import Books, as_superuser


async def _books_with_history(sessions: async_sessionmaker[AsyncSession]) -> tuple[Books, int]:
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        wallet = await books.wallet()
        await books.charge(wallet, 1000)
        await books.charge(wallet, 500)
    return books, wallet


@pytest.mark.committing
class TestChain:
    async def test_a_transfer_committing_late_with_a_smaller_id_is_chained_once(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, wallet = await _books_with_history(sessions)
        other = await _new_wallet(sessions, books)
        async with sessions() as early, sessions() as late:
            await early.begin()
            first = await Books(early, books.currency_id).charge(wallet, 11)
            async with late.begin():
                second = await Books(late, books.currency_id).charge(other, 22)
            assert first.transfer_ids[0] < second.transfer_ids[0]
            async with sessions() as s, s.begin():
                await chain.seal_all(s, currency_id=books.currency_id)
            await early.commit()
        async with sessions() as s, s.begin():
            await chain.seal_all(s, currency_id=books.currency_id)
            chained = list(
                await s.scalars(
                    sa.select(chain_link.c.transfer_id)
                    .where(chain_link.c.currency_id == books.currency_id)
                    .order_by(chain_link.c.sequence)
                )
            )
            report = await verify(s, currency_id=books.currency_id)
        assert report.ok, report.problem
        assert chained.count(first.transfer_ids[0]) == 1
        assert chained.index(first.transfer_ids[0]) > chained.index(second.transfer_ids[0])

    async def test_rewriting_a_transfer_behind_the_triggers_is_named_by_verify(
        self, committing_engine: AsyncEngine, test_db: DatabaseUnderTest
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, _ = await _books_with_history(sessions)
        async with sessions() as s, s.begin():
            await chain.seal_all(s, currency_id=books.currency_id)
            victim = await s.scalar(
                sa.text("SELECT max(id) FROM ledger_transfer WHERE currency_id = :c"),
                {"c": books.currency_id},
            )
        await as_superuser(
            test_db,
            "UPDATE ledger_transfer SET amount = amount + 1 "
            f"WHERE currency_id = {books.currency_id} AND id = {victim}",
        )
        async with sessions() as s, s.begin():
            report = await verify(s, currency_id=books.currency_id)
        assert not report.ok
        assert f"transfer {victim}" in (report.problem or "")

    async def test_a_broken_link_is_named_by_verify(
        self, committing_engine: AsyncEngine, test_db: DatabaseUnderTest
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, _ = await _books_with_history(sessions)
        async with sessions() as s, s.begin():
            await chain.seal_all(s, currency_id=books.currency_id)
        await as_superuser(
            test_db,
            "UPDATE ledger_chain_link SET hash = sha256(hash) "
            f"WHERE currency_id = {books.currency_id} AND sequence = 1",
        )
        async with sessions() as s, s.begin():
            report = await verify(s, currency_id=books.currency_id)
        assert not report.ok
        assert "chain link" in (report.problem or "")

    async def test_a_cached_balance_that_drifts_is_named_by_verify(
        self, committing_engine: AsyncEngine, test_db: DatabaseUnderTest
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, wallet = await _books_with_history(sessions)
        await as_superuser(
            test_db,
            f"UPDATE ledger_account SET balance = 999 WHERE id = {wallet}"
            f" AND currency_id = {books.currency_id}",
        )
        async with sessions() as s, s.begin():
            report = await verify(s, currency_id=books.currency_id)
        assert report.problem == (
            f"account {wallet} (wallet): balance 999 recorded, 1500 expected from its transfers"
        )


async def _new_wallet(sessions: async_sessionmaker[AsyncSession], books: Books) -> int:
    async with sessions() as s, s.begin():
        return await Books(s, books.currency_id).wallet()


class TestAppendOnly:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE ledger_transfer SET amount = 1",
            "DELETE FROM ledger_transfer",
            "UPDATE ledger_operation SET reason = 'x'",
            "DELETE FROM ledger_lot_movement",
            "DELETE FROM ledger_chain_link",
        ],
    )
    async def test_the_runtime_role_cannot_rewrite_history(
        self, session: AsyncSession, statement: str
    ) -> None:
        books = await Books.open(session)
        await books.charge(await books.wallet(), 100)
        with pytest.raises(sa.exc.DBAPIError, match="permission denied"):
            async with session.begin_nested():
                await session.execute(sa.text(statement))

    async def test_even_the_owner_is_stopped_by_the_triggers(
        self, test_db: DatabaseUnderTest
    ) -> None:
        conn = await asyncpg.connect(plain_url(test_db.owner_url))
        try:
            for rewrite in ("DELETE FROM ledger_operation", "TRUNCATE ledger_transfer CASCADE"):
                tx = conn.transaction()
                await tx.start()
                cid = await conn.fetchval(
                    "INSERT INTO currency (code, name, coin_unit, point_unit) "
                    "VALUES ('owner-test', 'x', 'c', 'p') RETURNING id"
                )
                await conn.execute(
                    "INSERT INTO ledger_operation (currency_id, kind, actor) "
                    "VALUES ($1, 'charge', 'test')",
                    cid,
                )
                with pytest.raises(asyncpg.PostgresError, match="append-only"):
                    await conn.execute(rewrite)
                await tx.rollback()
        finally:
            await conn.close()
