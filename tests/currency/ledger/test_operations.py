"""The ledger's operations, one behaviour each, on a real PostgreSQL (rolled back)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidOperation,
)
from currency.ledger import corrections, expiry, operations
from currency.ledger.models import lot, operation
from currency.ledger.operations import Context
from currency.ledger.spending import Payee
from currency.ledger.types import Idempotency, Posted
from tests.factories import Books

SMALL_SHOP = Payee(frozenset({"small-business"}), "佐伯")
CHAIN_STORE = Payee(frozenset(), "蒲江")


async def pay(
    books: Books,
    wallet: int,
    shop: int,
    amount: int,
    payee: Payee | None = None,
    key: str | None = None,
) -> Posted:
    idem = Idempotency("resident:1", key, {"shop": shop, "amount": amount}) if key else None
    return await operations.spend(
        books.session,
        currency_id=books.currency_id,
        wallet=wallet,
        to_account=shop,
        amount=amount,
        kind="payment",
        today=books.today,
        payee=payee,
        ctx=Context(actor="resident:1", idempotency=idem),
    )


async def refund(books: Books, payment: Posted, amount: int, days_later: int = 0) -> Posted:
    return await corrections.refund(
        books.session,
        currency_id=books.currency_id,
        payment_id=payment.operation_id,
        amount=amount,
        today=books.today + timedelta(days=days_later),
        grace_days=30,
        ctx=Context(actor="merchant:1"),
    )


async def lots_of(books: Books, wallet: int) -> list[tuple[str, int, int]]:
    rows = await books.session.execute(
        sa.select(lot.c.kind, lot.c.amount_remaining, lot.c.expires_on)
        .where(lot.c.currency_id == books.currency_id, lot.c.wallet_account_id == wallet)
        .order_by(lot.c.id)
    )
    return [(r.kind, r.amount_remaining, (r.expires_on - books.today).days) for r in rows]


@pytest.fixture
async def books(session: AsyncSession) -> Books:
    return await Books.open(session)


class TestPay:
    async def test_points_expiring_first_are_spent_before_coins(self, books: Books) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 1000, days=180)
        await books.grant(wallet, 300, days=30)
        await pay(books, wallet, shop, 500)
        assert await lots_of(books, wallet) == [("coin", 800, 180), ("point", 0, 30)]
        assert await books.balance(shop) == 500

    async def test_restricted_points_are_counted_but_not_spendable_at_a_chain_store(
        self, books: Books
    ) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 200)
        await books.grant(wallet, 300, tags=frozenset({"small-business"}))
        with pytest.raises(InsufficientBalance) as refused:
            await pay(books, wallet, shop, 400, payee=CHAIN_STORE)
        assert (refused.value.total, refused.value.spendable, refused.value.restricted) == (
            500,
            200,
            300,
        )

    async def test_restricted_points_are_accepted_where_they_are_allowed(
        self, books: Books
    ) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.grant(
            wallet, 300, tags=frozenset({"small-business"}), districts=frozenset({"佐伯"})
        )
        await pay(books, wallet, shop, 300, payee=SMALL_SHOP)
        assert await books.balance(wallet) == 0

    async def test_value_past_its_expiry_date_cannot_be_spent(self, books: Books) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 100, days=-1)
        with pytest.raises(InsufficientBalance) as refused:
            await pay(books, wallet, shop, 50)
        assert refused.value.spendable == 0

    async def test_a_replayed_payment_returns_the_first_result_and_charges_once(
        self, books: Books
    ) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 1000)
        first = await pay(books, wallet, shop, 300, key="abc")
        again = await pay(books, wallet, shop, 300, key="abc")
        assert again.replayed and again.operation_id == first.operation_id
        assert again.transfer_ids == first.transfer_ids
        assert await books.balance(wallet) == 700

    async def test_the_same_key_for_a_different_payment_is_refused(self, books: Books) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 1000)
        await pay(books, wallet, shop, 300, key="abc")
        with pytest.raises(IdempotencyConflict):
            await pay(books, wallet, shop, 301, key="abc")
        assert await books.balance(wallet) == 700

    @pytest.mark.parametrize("amount", [0, -5, 1.5, True])
    async def test_amounts_must_be_whole_and_positive(self, books: Books, amount: object) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 1000)
        with pytest.raises(InvalidOperation):
            await pay(books, wallet, shop, amount)  # type: ignore[arg-type]


class TestRefund:
    async def test_a_refund_restores_the_lots_the_payment_consumed(self, books: Books) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 1000, days=180)
        await books.grant(wallet, 300, days=30)
        payment = await pay(books, wallet, shop, 500)
        await refund(books, payment, 500)
        assert await lots_of(books, wallet) == [("coin", 1000, 180), ("point", 300, 30)]
        assert await books.balance(shop) == 0

    async def test_a_partial_refund_gives_back_the_last_spent_first(self, books: Books) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 1000, days=180)
        await books.grant(wallet, 300, days=30)
        payment = await pay(books, wallet, shop, 500)
        await refund(books, payment, 150)
        assert await lots_of(books, wallet) == [("coin", 950, 180), ("point", 0, 30)]
        await refund(books, payment, 350)
        assert await lots_of(books, wallet) == [("coin", 1000, 180), ("point", 300, 30)]

    async def test_refunding_more_than_is_left_of_the_payment_is_refused(
        self, books: Books
    ) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 1000)
        payment = await pay(books, wallet, shop, 500)
        await refund(books, payment, 400)
        with pytest.raises(InvalidOperation, match="only 100"):
            await refund(books, payment, 101)

    async def test_value_whose_expiry_passed_comes_back_with_a_grace_period(
        self, books: Books
    ) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.grant(wallet, 300, days=5)
        payment = await pay(books, wallet, shop, 300)
        await refund(books, payment, 300, days_later=10)
        assert await lots_of(books, wallet) == [("point", 0, 5), ("point", 300, 40)]


class TestSend:
    async def test_the_receiver_gets_lots_with_the_same_kind_expiry_and_restrictions(
        self, books: Books
    ) -> None:
        alice, bob = await books.wallet(), await books.wallet()
        await books.charge(alice, 1000, days=100)
        await books.grant(alice, 300, days=10)
        await operations.send(
            books.session,
            currency_id=books.currency_id,
            sender=alice,
            receiver=bob,
            amount=400,
            today=books.today,
            ctx=Context(actor="resident:1"),
        )
        assert await lots_of(books, bob) == [("coin", 400, 100)]
        assert await books.balance(alice) == 900

    async def test_points_cannot_be_sent_by_default(self, books: Books) -> None:
        alice, bob = await books.wallet(), await books.wallet()
        await books.grant(alice, 300)
        with pytest.raises(InsufficientBalance):
            await operations.send(
                books.session,
                currency_id=books.currency_id,
                sender=alice,
                receiver=bob,
                amount=100,
                today=books.today,
                ctx=Context(actor="resident:1"),
            )


class TestReverse:
    async def test_a_reversed_payment_puts_everything_back_once(self, books: Books) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 1000)
        payment = await pay(books, wallet, shop, 600)
        ctx = Context(actor="staff:1", reason="charged the wrong shop")
        reversal = await corrections.reverse(
            books.session,
            currency_id=books.currency_id,
            operation_id=payment.operation_id,
            today=books.today,
            grace_days=30,
            ctx=ctx,
        )
        assert (await books.balance(wallet), await books.balance(shop)) == (1000, 0)
        linked = await books.session.scalar(
            sa.select(operation.c.reverses_operation_id).where(
                operation.c.currency_id == books.currency_id,
                operation.c.id == reversal.operation_id,
            )
        )
        assert linked == payment.operation_id
        with pytest.raises(AlreadyReversed):
            await corrections.reverse(
                books.session,
                currency_id=books.currency_id,
                operation_id=payment.operation_id,
                today=books.today,
                grace_days=30,
                ctx=ctx,
            )

    async def test_a_charge_already_spent_cannot_be_reversed(self, books: Books) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        charge = await books.charge(wallet, 1000)
        await pay(books, wallet, shop, 600)
        with pytest.raises(InsufficientBalance):
            await corrections.reverse(
                books.session,
                currency_id=books.currency_id,
                operation_id=charge.operation_id,
                today=books.today,
                grace_days=30,
                ctx=Context(actor="staff:1", reason="test"),
            )

    async def test_a_reversal_needs_a_reason(self, books: Books) -> None:
        wallet = await books.wallet()
        charge = await books.charge(wallet, 1000)
        with pytest.raises(InvalidOperation, match="reason"):
            await corrections.reverse(
                books.session,
                currency_id=books.currency_id,
                operation_id=charge.operation_id,
                today=books.today,
                grace_days=30,
                ctx=Context(actor="staff:1"),
            )


class TestExpire:
    async def test_expired_remainders_move_to_the_expired_account_once(self, books: Books) -> None:
        wallet, shop = await books.wallet(), await books.merchant()
        await books.charge(wallet, 1000, days=180)
        await books.grant(wallet, 300, days=30)
        await pay(books, wallet, shop, 100)
        later = books.today + timedelta(days=31)
        first = await expiry.expire_due(books.session, currency_id=books.currency_id, as_of=later)
        again = await expiry.expire_due(books.session, currency_id=books.currency_id, as_of=later)
        assert (len(first), len(again)) == (1, 0)
        assert await lots_of(books, wallet) == [("coin", 1000, 180), ("point", 0, 30)]
        assert await books.balance(wallet) == 1000


async def test_a_first_answer_and_its_replay_have_the_same_shape(session: AsyncSession) -> None:
    """An API answers a retry with what it answered first: both carry the caller's
    response and the ids."""
    books = await Books.open(session)
    wallet = await books.wallet()
    await books.charge(wallet, 1_000)
    shop = await books.merchant()
    idem = Idempotency("resident", "same-key", {"amount": 300})

    async def spend() -> Posted:
        return await operations.spend(
            session, currency_id=books.currency_id, wallet=wallet, to_account=shop,
            amount=300, kind="payment", today=books.today,
            ctx=Context(actor="test", idempotency=idem, response={"shown": "receipt"}),
        )  # fmt: skip

    first, again = await spend(), await spend()
    assert again.replayed and not first.replayed
    assert first.response == again.response
    assert first.response["shown"] == "receipt"
