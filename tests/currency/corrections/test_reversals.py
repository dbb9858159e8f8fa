"""Staff reversals: asked for by one staff member, approved or rejected by another."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.audit import service as audit
from currency.corrections import service as reversals
from currency.errors import (
    AlreadyDone,
    AlreadyReversed,
    InsufficientBalance,
    InvalidOperation,
    NotFound,
    NotPermitted,
)
from currency.ledger import chain, corrections
from currency.ledger.models import operation
from currency.ledger.operations import Context
from currency.ledger.types import Posted
from currency.ledger.verify import verify
from currency.payments import service as payments
from currency.settlement.models import settlement
from tests.factories import Books, Shop

GRACE = 30


@dataclass
class Desk:
    """A currency, a resident who paid a shop 300 of 1000, and two city staff members."""

    books: Books
    wallet: int
    shop: Shop
    payment: Posted
    alice: int
    bob: int

    async def ask(self, operation_id: int | None = None, reason: str = "二重決済") -> int:
        asked = await reversals.request_reversal(
            self.books.session, currency_id=self.books.currency_id,
            operation_id=operation_id or self.payment.operation_id, reason=reason,
            staff_id=self.alice,
        )  # fmt: skip
        return asked.id

    async def approve(self, request_id: int, staff_id: int) -> reversals.Decision:
        return await reversals.approve_reversal(
            self.books.session, currency_id=self.books.currency_id, request_id=request_id,
            staff_id=staff_id, today=self.books.today, grace_days=GRACE,
        )  # fmt: skip

    async def reject(self, request_id: int, staff_id: int, reason: str) -> reversals.Decision:
        return await reversals.reject_reversal(
            self.books.session, currency_id=self.books.currency_id, request_id=request_id,
            staff_id=staff_id, reason=reason,
        )  # fmt: skip

    async def refund(self, amount: int) -> Posted:
        return await corrections.refund(
            self.books.session, currency_id=self.books.currency_id,
            payment_id=self.payment.operation_id, amount=amount, today=self.books.today,
            grace_days=GRACE, ctx=Context(actor="merchant:1"),
        )  # fmt: skip


async def open_desk(session: AsyncSession) -> Desk:
    books = await Books.open(session)
    wallet, shop = await books.wallet(), await books.shop()
    await books.charge(wallet, 1000)
    paid = await payments.pay(
        session, currency_id=books.currency_id, wallet_account_id=wallet, merchant_id=shop.id,
        amount=300, actor=f"resident:{wallet}", today=books.today,
    )  # fmt: skip
    return Desk(books, wallet, shop, paid, await books.staff(), await books.staff())


@pytest.fixture
async def desk(session: AsyncSession) -> Desk:
    return await open_desk(session)


class TestFourEyes:
    async def test_an_approved_reversal_puts_the_money_back_and_the_books_still_verify(
        self, desk: Desk
    ) -> None:
        request_id = await desk.ask()
        [waiting] = await reversals.pending(desk.books.session, desk.books.currency_id)
        assert (waiting.id, waiting.operation_kind, waiting.amount) == (request_id, "payment", 300)
        decision = await desk.approve(request_id, desk.bob)
        assert decision.decision == "approved" and decision.decided_by == desk.bob
        mirror = (
            await desk.books.session.execute(
                sa.select(operation.c.kind, operation.c.reverses_operation_id, operation.c.reason)
                .where(operation.c.currency_id == desk.books.currency_id)
                .where(operation.c.id == decision.reversal_operation_id)
            )
        ).one()
        assert tuple(mirror) == ("reversal", desk.payment.operation_id, "二重決済")
        assert await desk.books.balance(desk.wallet) == 1000
        assert await desk.books.balance(desk.shop.account_id) == 0
        assert await reversals.pending(desk.books.session, desk.books.currency_id) == []
        await chain.seal_all(desk.books.session, currency_id=desk.books.currency_id)
        report = await verify(desk.books.session, currency_id=desk.books.currency_id)
        assert report.ok, report.problem
        trail = await audit.entries(
            desk.books.session, currency_id=desk.books.currency_id,
            target=f"operation:{desk.payment.operation_id}",
        )  # fmt: skip
        assert [(e["action"], e["actor"]) for e in trail] == [
            ("reversal.approve", f"staff:{desk.bob}"),
            ("reversal.request", f"staff:{desk.alice}"),
        ]

    async def test_the_person_who_asked_cannot_approve_it(self, desk: Desk) -> None:
        request_id = await desk.ask()
        with pytest.raises(NotPermitted, match="someone other than the person who asked"):
            await desk.approve(request_id, desk.alice)
        assert await desk.books.balance(desk.wallet) == 700
        assert len(await reversals.pending(desk.books.session, desk.books.currency_id)) == 1

    async def test_a_shop_user_cannot_ask_or_approve(self, desk: Desk) -> None:
        clerk = await desk.books.session.scalar(
            sa.text(
                "INSERT INTO app_user (currency_id, username, display_name, role, merchant_id,"
                " password_hash) VALUES (:c, 'clerk', 'clerk', 'merchant_clerk', :m, '!')"
                " RETURNING id"
            ),
            {"c": desk.books.currency_id, "m": desk.shop.id},
        )
        request_id = await desk.ask()
        with pytest.raises(NotPermitted, match="Only city staff"):
            await desk.approve(request_id, clerk)

    async def test_a_rejected_request_reverses_nothing_and_cannot_be_approved_later(
        self, desk: Desk
    ) -> None:
        request_id = await desk.ask()
        with pytest.raises(InvalidOperation, match="Say why"):
            await desk.reject(request_id, desk.bob, "  ")
        decision = await desk.reject(request_id, desk.bob, "the shop confirmed the sale")
        assert (decision.decision, decision.reversal_operation_id) == ("rejected", None)
        with pytest.raises(AlreadyDone, match="already rejected"):
            await desk.approve(request_id, desk.bob)
        assert await desk.books.balance(desk.wallet) == 700
        stored = await reversals.get(
            desk.books.session, currency_id=desk.books.currency_id, request_id=request_id
        )
        assert stored.decision_reason == "the shop confirmed the sale"
        trail = await audit.entries(
            desk.books.session, currency_id=desk.books.currency_id,
            target=f"operation:{desk.payment.operation_id}",
        )  # fmt: skip
        assert (trail[0]["action"], trail[0]["reason"]) == (
            "reversal.reject",
            "the shop confirmed the sale",
        )
        assert await desk.ask(reason="asked again with the receipt") != request_id

    async def test_the_one_who_asked_may_withdraw_the_request(self, desk: Desk) -> None:
        request_id = await desk.ask()
        await desk.reject(request_id, desk.alice, "wrong operation number")
        trail = await audit.entries(
            desk.books.session, currency_id=desk.books.currency_id,
            target=f"operation:{desk.payment.operation_id}",
        )  # fmt: skip
        assert trail[0]["action"] == "reversal.withdraw"

    async def test_approving_twice_reverses_once(self, desk: Desk) -> None:
        request_id = await desk.ask()
        await desk.approve(request_id, desk.bob)
        with pytest.raises(AlreadyDone, match="already approved"):
            await desk.approve(request_id, await desk.books.staff())
        assert await desk.books.balance(desk.wallet) == 1000


class TestWhatCanBeAskedFor:
    async def test_a_request_needs_a_reason_and_an_operation_that_exists(self, desk: Desk) -> None:
        with pytest.raises(InvalidOperation, match="Say why"):
            await desk.ask(reason=" ")
        with pytest.raises(NotFound, match="does not exist"):
            await desk.ask(operation_id=10**12)
        with pytest.raises(NotFound, match="no reversal request"):
            await desk.approve(10**12, desk.bob)

    async def test_one_request_waits_per_operation(self, desk: Desk) -> None:
        first = await desk.ask()
        with pytest.raises(AlreadyDone, match=f"request {first}"):
            await desk.ask()

    async def test_a_payment_refunded_in_part_is_refused_with_the_ledgers_reason(
        self, desk: Desk
    ) -> None:
        await desk.refund(100)
        with pytest.raises(InvalidOperation, match="refund the rest instead"):
            await desk.ask()

    async def test_a_refund_made_while_the_request_waited_stops_the_approval(
        self, desk: Desk
    ) -> None:
        request_id = await desk.ask()
        await desk.refund(300)
        with pytest.raises(InvalidOperation, match="refund the rest instead"):
            await desk.approve(request_id, desk.bob)
        assert [r.id for r in await reversals.pending(desk.books.session, desk.books.currency_id)]
        assert await desk.books.balance(desk.wallet) == 1000  # from the refund alone

    async def test_a_reversal_or_a_reversed_operation_cannot_be_asked_for(self, desk: Desk) -> None:
        decision = await desk.approve(await desk.ask(), desk.bob)
        with pytest.raises(AlreadyReversed):
            await desk.ask()
        with pytest.raises(InvalidOperation, match="cannot itself be reversed"):
            await desk.ask(operation_id=decision.reversal_operation_id)

    async def test_coins_already_spent_leave_the_request_waiting(self, desk: Desk) -> None:
        books = desk.books
        wallet = await books.wallet()
        charge = await books.charge(wallet, 500)
        await payments.pay(
            books.session, currency_id=books.currency_id, wallet_account_id=wallet,
            merchant_id=desk.shop.id, amount=400, actor="resident", today=books.today,
        )  # fmt: skip
        request_id = await desk.ask(operation_id=charge.operation_id, reason="charged twice")
        with pytest.raises(InsufficientBalance):
            await desk.approve(request_id, desk.bob)
        assert await books.balance(wallet) == 100
        assert len(await reversals.pending(books.session, books.currency_id)) == 1

    async def test_a_settlement_paid_by_bank_transfer_is_not_reversed(self, desk: Desk) -> None:
        books = desk.books
        await books.session.execute(
            sa.insert(settlement).values(
                currency_id=books.currency_id, merchant_id=desk.shop.id,
                period_start=books.today, period_end=books.today, amount=300, fee_rate_bp=0,
                fee=0, payout=300, payout_on=books.today, operation_id=desk.payment.operation_id,
                created_by="test",
            )
        )  # fmt: skip
        with pytest.raises(InvalidOperation, match="paid out by bank transfer"):
            await desk.ask()


@pytest.mark.committing
async def test_two_approvals_at_the_same_moment_reverse_once(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        desk = await open_desk(session)
        request_id = await desk.ask()
        carol = await desk.books.staff()

    async def approve(staff_id: int) -> object:
        async with sessions() as session, session.begin():
            desk.books.session = session
            try:
                return await reversals.approve_reversal(
                    session, currency_id=desk.books.currency_id, request_id=request_id,
                    staff_id=staff_id, today=desk.books.today, grace_days=GRACE,
                )  # fmt: skip
            except AlreadyDone as refused:
                return refused

    results = await asyncio.gather(approve(desk.bob), approve(carol))
    assert sorted(type(r).__name__ for r in results) == ["AlreadyDone", "Decision"]
    async with sessions() as session, session.begin():
        mirrors = await session.scalar(
            sa.select(sa.func.count()).where(
                operation.c.currency_id == desk.books.currency_id,
                operation.c.reverses_operation_id == desk.payment.operation_id,
            )
        )
        desk.books.session = session
        assert await desk.books.balance(desk.wallet) == 1000
        await chain.seal_all(session, currency_id=desk.books.currency_id)
        report = await verify(session, currency_id=desk.books.currency_id)
    assert mirrors == 1
    assert report.ok, report.problem
