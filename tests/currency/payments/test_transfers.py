"""Sending between residents (send policy) and shops paying shops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import InsufficientBalance, InvalidOperation, LimitExceeded, NotFound
from currency.issuance import rulebook
from currency.issuance.rules import SendPolicy
from currency.ledger.types import Posted
from currency.payments import service as payments
from currency.payments import transfers
from tests.factories import Books, Resident


async def send(books: Books, sender: Resident, to: str, amount: int) -> Posted:
    return await transfers.send(
        books.session, currency_id=books.currency_id, sender_wallet=sender.wallet,
        to_resident_number=to, amount=amount, actor=f"resident:{sender.number}",
        today=books.today,
    )  # fmt: skip


async def policy(books: Books, rule: SendPolicy) -> None:
    alice, bob = await books.staff(), await books.staff()
    drafted = await rulebook.draft(
        books.session, currency_id=books.currency_id, staff_id=alice, rule=rule,
        starts_at=datetime.now(UTC) - timedelta(minutes=1),
    )  # fmt: skip
    await rulebook.approve(
        books.session, currency_id=books.currency_id, staff_id=bob, rule_id=drafted.id
    )


class TestSend:
    async def test_coins_move_with_their_expiry_and_points_stay(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        alice, bob = await books.resident(), await books.resident()
        await books.grant(alice.wallet, 500)
        await books.charge(alice.wallet, 1_000, days=60)
        await send(books, alice, bob.number, 700)
        assert await books.balance(bob.wallet) == 700
        assert await books.balance(alice.wallet) == 800  # 500 points stay: coins only
        with pytest.raises(InsufficientBalance) as short:
            await send(books, alice, bob.number, 400)
        assert (short.value.spendable, short.value.restricted) == (300, 500)

    async def test_the_daily_send_limit_and_a_disabled_policy(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        alice, bob = await books.resident(), await books.resident()
        await books.charge(alice.wallet, 5_000)
        await policy(books, SendPolicy(max_per_send=1_000, daily_max=1_500))
        with pytest.raises(LimitExceeded) as refused:
            await send(books, alice, bob.number, 1_001)
        assert refused.value.code == "max_per_send"
        await send(books, alice, bob.number, 1_000)
        with pytest.raises(LimitExceeded) as refused:
            await send(books, alice, bob.number, 600)
        assert (refused.value.code, refused.value.remaining) == ("daily_max", 500)
        await policy(books, SendPolicy(enabled=False))
        with pytest.raises(LimitExceeded):
            await send(books, alice, bob.number, 10)
        assert await books.balance(bob.wallet) == 1_000

    async def test_unknown_receiver_and_oneself_are_refused(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        alice = await books.resident()
        await books.charge(alice.wallet, 1_000)
        with pytest.raises(NotFound):
            await send(books, alice, "0000000000", 100)
        with pytest.raises(InvalidOperation):
            await send(books, alice, alice.number, 100)


class TestMerchantPay:
    async def test_a_shop_pays_a_supplier_from_what_it_has_taken(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident()
        await books.charge(payer.wallet, 3_000)
        cafe, farm = await books.shop(), await books.shop(tags=("retail",))
        await payments.pay(
            session, currency_id=books.currency_id, wallet_account_id=payer.wallet,
            merchant_id=cafe.id, amount=2_000, actor="resident", today=books.today,
        )  # fmt: skip
        await transfers.merchant_pay(
            session, currency_id=books.currency_id, payer_merchant_id=cafe.id,
            payee_code=farm.code, amount=1_500, actor="merchant",
        )  # fmt: skip
        assert [await books.balance(a) for a in (cafe.account_id, farm.account_id)] == [500, 1500]
        with pytest.raises(InsufficientBalance):
            await transfers.merchant_pay(
                session, currency_id=books.currency_id, payer_merchant_id=cafe.id,
                payee_code=farm.code, amount=501, actor="merchant",
            )  # fmt: skip
