"""Settling merchants: what a cut-off takes, the fee, once per period, zero settlements.

Transfers are stamped with the database's clock, so no test names a calendar date: the
period is computed from the transfers' own ``created_at`` under the schedule in force,
and settling is done with a ``now`` after that period closes. Transfers "before an
earlier cut-off" are moved back in time as a superuser, in tests with real commits.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.audit import service as audit
from currency.clock import JAPAN
from currency.errors import InvalidOperation
from currency.issuance import rulebook
from currency.issuance.rules import Rule
from currency.issuance.schedule import settlement_period
from currency.issuance.standing_rules import MerchantFee, SettlementSchedule
from currency.ledger import accounts, chain, corrections
from currency.ledger.models import operation, transfer
from currency.ledger.operations import Context
from currency.ledger.types import Posted
from currency.ledger.verify import verify
from currency.merchants.models import merchant
from currency.payments import service as payments
from currency.settlement import service as settlements
from currency.settlement.models import settlement
from tests.conftest import DatabaseUnderTest
from tests.factories import Books, Shop, as_superuser

ACTOR = "staff:1"


async def pay(books: Books, shop: Shop, *amounts: int) -> list[Posted]:
    """A resident with enough coins pays the shop each amount."""
    wallet = await books.wallet()
    await books.charge(wallet, sum(amounts))
    paid = []
    for amount in amounts:
        paid.append(
            await payments.pay(
                books.session,
                currency_id=books.currency_id,
                wallet_account_id=wallet,
                merchant_id=shop.id,
                amount=amount,
                actor=f"wallet:{wallet}",
                today=books.today,
            )
        )
    return paid


async def refund(books: Books, payment: Posted, amount: int) -> Posted:
    return await corrections.refund(
        books.session, currency_id=books.currency_id, payment_id=payment.operation_id,
        amount=amount, today=books.today, grace_days=30, ctx=Context(actor="merchant:test"),
    )  # fmt: skip


def closes_at(period_end: date) -> datetime:
    return datetime.combine(period_end + timedelta(days=1), time(), JAPAN)


async def latest_transfer_at(books: Books) -> datetime:
    stamped = await books.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(transfer.c.created_at), sa.func.now())).where(
            transfer.c.currency_id == books.currency_id
        )
    )
    assert isinstance(stamped, datetime)
    return stamped


async def period_of_sales(
    books: Books, schedule: SettlementSchedule | None = None
) -> tuple[date, datetime]:
    """The cut-off of the period the latest transfer fell in, and an hour after it closed."""
    day = (await latest_transfer_at(books)).astimezone(JAPAN).date()
    end = settlement_period(schedule or SettlementSchedule(), day=day).ends_on
    return end, closes_at(end) + timedelta(hours=1)


async def settle(
    books: Books, shop: Shop, period_end: date, now: datetime
) -> settlements.Settlement:
    return await settlements.settle(
        books.session, currency_id=books.currency_id, merchant_id=shop.id,
        period_end=period_end, actor=ACTOR, now=now,
    )  # fmt: skip


async def in_force(books: Books, rule: Rule) -> None:
    alice, bob = await books.staff(), await books.staff()
    drafted = await rulebook.draft(
        books.session, currency_id=books.currency_id, staff_id=alice, rule=rule,
        starts_at=datetime.now(UTC) - timedelta(days=40),
    )  # fmt: skip
    await rulebook.approve(
        books.session, currency_id=books.currency_id, staff_id=bob, rule_id=drafted.id
    )


async def system(books: Books, code: str) -> int:
    account = await accounts.system_account(books.session, currency_id=books.currency_id, code=code)
    return await books.balance(account)


async def settlement_operations(books: Books) -> int:
    count = await books.session.scalar(
        sa.select(sa.func.count()).where(
            operation.c.currency_id == books.currency_id, operation.c.kind == "settlement"
        )
    )
    return int(count or 0)


async def merchant_code(books: Books, shop: Shop) -> str:
    code = await books.session.scalar(sa.select(merchant.c.code).where(merchant.c.id == shop.id))
    assert code is not None
    return str(code)


async def books_are_clean(books: Books) -> None:
    await chain.seal_all(books.session, currency_id=books.currency_id)
    report = await verify(books.session, currency_id=books.currency_id)
    assert report.ok, report.problem


class TestSettle:
    async def test_a_merchant_is_paid_its_takings_less_the_fee_and_the_books_balance(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop = await books.shop()
        await pay(books, shop, 3_000, 5_000)
        period_end, now = await period_of_sales(books)
        settled = await settle(books, shop, period_end, now)
        assert (settled.amount, settled.fee_rate_bp, settled.fee, settled.payout) == (
            8_000, 150, 120, 7_880,
        )  # fmt: skip
        period = settlement_period(SettlementSchedule(), day=period_end)
        assert (settled.period_start, settled.payout_on) == (period.starts_on, period.payout_on)
        assert await books.balance(shop.account_id) == 0
        assert await system(books, accounts.REDEEMED) == 7_880
        assert await system(books, accounts.FEES) == 120
        assert await settlement_operations(books) == 1 and settled.operation_id is not None
        await books_are_clean(books)
        code = await merchant_code(books, shop)
        [record] = await audit.entries(
            session, currency_id=books.currency_id, target=f"merchant:{code}"
        )
        assert (record["action"], record["actor"]) == ("settle", ACTOR)
        assert record["after"]["payout"] == 7_880

    async def test_an_override_rate_applies_to_its_merchant_and_the_fee_is_floored(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        special, ordinary = await books.shop(), await books.shop()
        code = await merchant_code(books, special)
        await in_force(books, MerchantFee(default_rate_bp=180, overrides={code: 50}))
        await pay(books, special, 10_000)
        await pay(books, ordinary, 999)
        period_end, now = await period_of_sales(books)
        cheap = await settle(books, special, period_end, now)
        usual = await settle(books, ordinary, period_end, now)
        assert (cheap.fee_rate_bp, cheap.fee, cheap.payout) == (50, 50, 9_950)
        assert (usual.fee_rate_bp, usual.fee, usual.payout) == (180, 17, 982)  # 17.982 → 17
        assert await system(books, accounts.FEES) == 67

    async def test_settling_again_returns_the_first_settlement_and_takes_nothing_more(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop = await books.shop()
        await pay(books, shop, 4_000)
        period_end, now = await period_of_sales(books)
        first = await settle(books, shop, period_end, now)
        await pay(books, shop, 700)
        again = await settle(books, shop, period_end, now + timedelta(days=3))
        assert again == first
        assert await settlement_operations(books) == 1
        assert await books.balance(shop.account_id) == 700
        code = await merchant_code(books, shop)
        trail = await audit.entries(
            session, currency_id=books.currency_id, target=f"merchant:{code}"
        )
        assert len(trail) == 1

    async def test_a_merchant_with_nothing_to_settle_gets_a_zero_settlement(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        quiet = await books.shop()
        period_end, now = await period_of_sales(books)
        settled = await settle(books, quiet, period_end, now)
        assert (settled.amount, settled.fee, settled.payout, settled.operation_id) == (
            0,
            0,
            0,
            None,
        )
        assert await settlement_operations(books) == 0
        assert await settle(books, quiet, period_end, now) == settled

    async def test_a_day_that_is_not_a_cut_off_is_refused_and_nothing_is_recorded(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop = await books.shop()
        await pay(books, shop, 1_000)
        period_end, now = await period_of_sales(books)
        with pytest.raises(InvalidOperation, match="is not a cut-off day"):
            await settle(books, shop, period_end - timedelta(days=1), now)
        assert await books.balance(shop.account_id) == 1_000
        assert (
            await settlements.for_period(
                session, currency_id=books.currency_id, period_end=period_end - timedelta(days=1)
            )
            == []
        )

    async def test_a_cut_off_is_settled_only_once_its_day_has_ended_in_japan(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop = await books.shop()
        await pay(books, shop, 1_000)
        period_end, _ = await period_of_sales(books)
        midnight = closes_at(period_end)
        with pytest.raises(InvalidOperation, match="closes at midnight"):
            await settle(books, shop, period_end, midnight - timedelta(seconds=1))
        assert await settlement_operations(books) == 0
        assert await books.balance(shop.account_id) == 1_000
        settled = await settle(books, shop, period_end, midnight.astimezone(UTC))
        assert settled.amount == 1_000

    async def test_the_schedule_in_force_decides_the_cut_off_days_and_the_payout_date(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop = await books.shop()
        await pay(books, shop, 2_000)
        today = (await latest_transfer_at(books)).astimezone(JAPAN).date()
        schedule = SettlementSchedule(cutoff_days=(today.day,), payout_after_days=3)
        await in_force(books, schedule)
        period_end, now = await period_of_sales(books, schedule)
        assert period_end == today
        settled = await settle(books, shop, period_end, now)
        assert settled.payout_on == today + timedelta(days=3)
        assert settled.amount == 2_000

    async def test_settle_all_settles_every_active_merchant_and_city_facility(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        busy, quiet, hall = await books.shop(), await books.shop(), await books.shop()
        closed = await books.shop(status="suspended")
        await session.execute(
            sa.update(merchant).where(merchant.c.id == hall.id).values(is_public_body=True)
        )
        await pay(books, busy, 2_000)
        await pay(books, hall, 500)
        period_end, now = await period_of_sales(books)
        seen: list[tuple[int, int]] = []
        done = await settlements.settle_all(
            session, currency_id=books.currency_id, period_end=period_end, actor=ACTOR,
            now=now, progress=lambda n, total: seen.append((n, total)),
        )  # fmt: skip
        assert [s.merchant_id for s in done] == [busy.id, quiet.id, hall.id]
        assert [s.amount for s in done] == [2_000, 0, 500]
        assert seen == [(1, 3), (2, 3), (3, 3)]
        assert closed.id not in {s.merchant_id for s in done}
        statement = await settlements.for_period(
            session, currency_id=books.currency_id, period_end=period_end
        )
        assert statement == done
        again = await settlements.settle_all(
            session, currency_id=books.currency_id, period_end=period_end, actor=ACTOR, now=now
        )
        assert again == done and await settlement_operations(books) == 2


def backdate_sql(currency_id: int, days: int) -> str:
    """All the currency's operations so far happened ``days`` earlier (before the chain
    is sealed, so the chain links the dates as moved)."""
    shift = (
        f"SET created_at = created_at - interval '{days} days' WHERE currency_id = {currency_id}"
    )
    return f"UPDATE ledger_transfer {shift}; UPDATE ledger_operation {shift};"


@pytest.mark.committing
class TestSettleAcrossCutOffs:
    async def test_only_sales_up_to_the_cut_off_settle_and_the_next_period_takes_the_rest(
        self, committing_engine: AsyncEngine, test_db: DatabaseUnderTest
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        async with sessions() as session, session.begin():
            books = await Books.open(session)
            shop = await books.shop()
            first, _ = await pay(books, shop, 3_000, 2_000)
            await refund(books, first, 500)
        await as_superuser(test_db, backdate_sql(books.currency_id, days=20))
        async with sessions() as session, session.begin():
            books = replace(books, session=session)
            cut_off, _ = await period_of_sales(books)
            await pay(books, shop, 1_000)  # after the cut-off
            settled = await settle(books, shop, cut_off, datetime.now(UTC))
            assert (settled.amount, settled.fee, settled.payout) == (4_500, 67, 4_433)
            assert await books.balance(shop.account_id) == 1_000
            next_end, after_close = await period_of_sales(books)
            assert next_end > cut_off
            following = await settle(books, shop, next_end, after_close)
            assert (following.amount, following.fee, following.payout) == (1_000, 15, 985)
            assert await books.balance(shop.account_id) == 0
            await books_are_clean(books)

    async def test_a_refund_after_the_cut_off_is_never_paid_out(
        self, committing_engine: AsyncEngine, test_db: DatabaseUnderTest
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        async with sessions() as session, session.begin():
            books = await Books.open(session)
            shop = await books.shop()
            [sale] = await pay(books, shop, 5_000)
        await as_superuser(test_db, backdate_sql(books.currency_id, days=20))
        async with sessions() as session, session.begin():
            books = replace(books, session=session)
            cut_off, _ = await period_of_sales(books)
            await refund(books, sale, 4_000)  # after the cut-off, before settling
            settled = await settle(books, shop, cut_off, datetime.now(UTC))
            assert settled.amount == 1_000, "capped at what the shop still holds"
            next_end, after_close = await period_of_sales(books)
            following = await settle(books, shop, next_end, after_close)
            assert following.amount == 0 and following.operation_id is None
            assert await books.balance(shop.account_id) == 0
            await books_are_clean(books)

    async def test_two_settlements_racing_for_one_merchant_make_one_operation(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        async with sessions() as session, session.begin():
            books = await Books.open(session)
            shop = await books.shop()
            await pay(books, shop, 4_000)
            period_end, now = await period_of_sales(books)

        async def one() -> settlements.Settlement:
            async with sessions() as session, session.begin():
                return await settle(replace(books, session=session), shop, period_end, now)

        first, second = await asyncio.gather(one(), one())
        assert first == second and first.amount == 4_000
        async with sessions() as session, session.begin():
            books = replace(books, session=session)
            assert await settlement_operations(books) == 1
            rows = await session.scalar(
                sa.select(sa.func.count()).where(settlement.c.currency_id == books.currency_id)
            )
            assert rows == 1
            assert await books.balance(shop.account_id) == 0
            await books_are_clean(books)
