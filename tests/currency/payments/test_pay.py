"""Paying a shop through the payment service: shop checks, wallet limits, refunds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import (
    AccountUnavailable,
    InsufficientBalance,
    InvalidOperation,
    LimitExceeded,
    NotFound,
)
from currency.issuance import rulebook
from currency.issuance.rules import LevelLimits, WalletLimits
from currency.ledger.types import Posted
from currency.payments import service as payments
from currency.residents.models import resident
from tests.factories import Books, Resident, Shop

LIMITS = WalletLimits(
    levels={
        "basic": LevelLimits(balance_cap=50_000, payment_cap=3_000, daily_spend_cap=5_000),
        "verified": LevelLimits(balance_cap=300_000, payment_cap=20_000, daily_spend_cap=40_000),
    }
)


async def in_force(books: Books, rule: WalletLimits) -> None:
    alice, bob = await books.staff(), await books.staff()
    drafted = await rulebook.draft(
        books.session,
        currency_id=books.currency_id,
        staff_id=alice,
        rule=rule,
        starts_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    await rulebook.approve(
        books.session, currency_id=books.currency_id, staff_id=bob, rule_id=drafted.id
    )


async def setup(session: AsyncSession, *, level: int = 1) -> tuple[Books, Resident, Shop]:
    books = await Books.open(session)
    await in_force(books, LIMITS)
    payer = await books.resident(level=level)
    await books.charge(payer.wallet, 30_000)
    return books, payer, await books.shop()


async def pay(books: Books, payer: Resident, shop: int, amount: int) -> Posted:
    return await payments.pay(
        books.session,
        currency_id=books.currency_id,
        wallet_account_id=payer.wallet,
        merchant_id=shop,
        amount=amount,
        actor=f"resident:{payer.number}",
        today=books.today,
    )


class TestWalletLimits:
    async def test_a_payment_over_the_per_payment_cap_is_refused_and_changes_nothing(
        self, session: AsyncSession
    ) -> None:
        books, payer, shop = await setup(session)
        with pytest.raises(LimitExceeded) as refused:
            await pay(books, payer, shop.id, 3_001)
        assert (refused.value.code, refused.value.limit) == ("payment_cap", 3_000)
        assert await books.balance(payer.wallet) == 30_000

    async def test_the_daily_cap_counts_what_was_spent_today(self, session: AsyncSession) -> None:
        books, payer, shop = await setup(session)
        await pay(books, payer, shop.id, 3_000)
        await pay(books, payer, shop.id, 1_500)
        with pytest.raises(LimitExceeded) as refused:
            await pay(books, payer, shop.id, 600)
        assert refused.value.code == "daily_spend_cap"
        assert refused.value.remaining == 500
        await pay(books, payer, shop.id, 500)
        assert await books.balance(payer.wallet) == 25_000

    async def test_a_verified_resident_has_the_higher_limits(self, session: AsyncSession) -> None:
        books, payer, shop = await setup(session, level=2)
        await pay(books, payer, shop.id, 15_000)
        assert await books.balance(shop.account_id) == 15_000

    async def test_a_newly_approved_rule_applies_to_the_next_payment(
        self, session: AsyncSession
    ) -> None:
        books, payer, shop = await setup(session)
        with pytest.raises(LimitExceeded):
            await pay(books, payer, shop.id, 4_000)
        generous = LevelLimits(balance_cap=50_000, payment_cap=10_000, daily_spend_cap=20_000)
        await in_force(books, WalletLimits(levels={"basic": generous, "verified": generous}))
        await pay(books, payer, shop.id, 4_000)

    async def test_the_payment_query_chooses_the_rule_the_rulebook_chooses(
        self, session: AsyncSession
    ) -> None:
        books, payer, shop = await setup(session)
        later = WalletLimits(
            levels={"basic": LevelLimits(balance_cap=1, payment_cap=1, daily_spend_cap=1)}
        )
        alice, bob = await books.staff(), await books.staff()
        future = await rulebook.draft(
            session, currency_id=books.currency_id, staff_id=alice, rule=later,
            starts_at=datetime.now(UTC) + timedelta(days=1),
        )  # fmt: skip
        await rulebook.approve(
            session, currency_id=books.currency_id, staff_id=bob, rule_id=future.id
        )
        chosen = await rulebook.standing(
            session, currency_id=books.currency_id, kind="wallet_limits", model=WalletLimits,
            now=datetime.now(UTC),
        )  # fmt: skip
        assert chosen == LIMITS
        await pay(books, payer, shop.id, 3_000)  # the future rule (cap 1) is not in force


class TestShopsAndWallets:
    async def test_unknown_and_suspended_shops_are_refused(self, session: AsyncSession) -> None:
        books, payer, _ = await setup(session)
        closed = await books.shop(status="suspended")
        with pytest.raises(NotFound):
            await pay(books, payer, 987_654, 100)
        with pytest.raises(AccountUnavailable):
            await pay(books, payer, closed.id, 100)
        assert await books.balance(payer.wallet) == 30_000

    async def test_a_blocked_resident_cannot_pay(self, session: AsyncSession) -> None:
        books, payer, shop = await setup(session)
        await session.execute(
            sa.update(resident).where(resident.c.id == payer.id).values(status="blocked")
        )
        with pytest.raises(AccountUnavailable):
            await pay(books, payer, shop.id, 100)

    @pytest.mark.parametrize("amount", [0, -100, 10**12])
    async def test_impossible_amounts_are_refused(self, session: AsyncSession, amount: int) -> None:
        books, payer, shop = await setup(session)
        with pytest.raises(InvalidOperation):
            await pay(books, payer, shop.id, amount)

    async def test_points_for_another_district_are_named_as_restricted(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident()
        await books.grant(payer.wallet, 800, districts=frozenset({"蒲江"}))
        await books.charge(payer.wallet, 200)
        shop = await books.shop(district="佐伯")
        with pytest.raises(InsufficientBalance) as short:
            await pay(books, payer, shop.id, 500)
        assert (short.value.total, short.value.spendable, short.value.restricted) == (
            1000,
            200,
            800,
        )


class TestRefunds:
    async def test_a_shop_refunds_its_own_payment_and_not_another_shops(
        self, session: AsyncSession
    ) -> None:
        books, payer, shop = await setup(session)
        other = await books.shop()
        paid = await pay(books, payer, shop.id, 2_000)
        with pytest.raises(NotFound):
            await payments.refund(
                session, currency_id=books.currency_id, merchant_account_id=other.account_id,
                payment_id=paid.operation_id, amount=500, actor="merchant", grace_days=30,
                today=books.today,
            )  # fmt: skip
        await payments.refund(
            session, currency_id=books.currency_id, merchant_account_id=shop.account_id,
            payment_id=paid.operation_id, amount=500, actor="merchant", grace_days=30,
            today=books.today,
        )  # fmt: skip
        assert await books.balance(payer.wallet) == 28_500
        with pytest.raises(InvalidOperation):
            await payments.refund(
                session, currency_id=books.currency_id, merchant_account_id=shop.account_id,
                payment_id=paid.operation_id, amount=1_501, actor="merchant", grace_days=30,
                today=books.today,
            )  # fmt: skip
