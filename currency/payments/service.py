"""Paying a shop: a resident's wallet → a merchant, spending what that shop may accept,
within the wallet limits in force; and a shop refunding (part of) a payment.

``payment`` describes one payment as a ledger request; ``pay`` posts it in the caller's
session, and the API posts it through the group committer (currency/ledger/group.py) so
that payments arriving together share one transaction and one commit.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.errors import InvalidOperation, NotFound
from currency.issuance.policy import check_payment, refuse_if
from currency.ledger import corrections, history, operations, posting, spending
from currency.ledger.operations import Context
from currency.ledger.posting import Request
from currency.ledger.types import Draft, Idempotency, Locked, Posted
from currency.payments import context

MAX_AMOUNT = 10_000_000  # far above any wallet limit: a typo, not a purchase


def payment(
    *,
    wallet_account_id: int,
    merchant_id: int,
    amount: int,
    actor: str,
    idempotency: Idempotency | None = None,
    today: date | None = None,
) -> Request:
    """One payment: FEFO over the lots this shop accepts; points before coins on a tie."""
    check_amount(amount)
    on = today or clock.today()
    details = {"merchant_id": merchant_id, "amount": amount}
    ctx = Context(actor=actor, idempotency=idempotency, details=details, response=details)

    def build(locked: Locked) -> Draft:
        found = context.read(locked.found, merchant_id)
        limits = found.limits
        refuse_if(
            check_payment(limits, level=found.level, amount=amount, spent_today=found.spent_today)
        )
        accept = spending.for_payee(found.shop.payee)
        return operations.spend_draft(
            locked, wallet_account_id, found.shop.account_id, amount, "payment", on, accept, ctx
        )

    return Request(
        actor=actor,
        lock=(wallet_account_id,),
        lots_of=(wallet_account_id,),
        build=build,
        idempotency=idempotency,
        prefetch=context.prefetch(wallet_account_id, merchant_id),
    )


async def pay(
    session: AsyncSession,
    *,
    currency_id: int,
    wallet_account_id: int,
    merchant_id: int,
    amount: int,
    actor: str,
    idempotency: Idempotency | None = None,
    today: date | None = None,
) -> Posted:
    """One payment in the caller's session and transaction."""
    request = payment(
        wallet_account_id=wallet_account_id,
        merchant_id=merchant_id,
        amount=amount,
        actor=actor,
        idempotency=idempotency,
        today=today,
    )
    return await posting.post_request(session, currency_id=currency_id, request=request)


async def refund(
    session: AsyncSession,
    *,
    currency_id: int,
    merchant_account_id: int,
    payment_id: int,
    amount: int,
    actor: str,
    grace_days: int,
    idempotency: Idempotency | None = None,
    today: date | None = None,
    approved_by: str | None = None,
) -> Posted:
    """A shop gives back (part of) one of its own payments, restoring the payer's lots.

    Another shop's payment is "not found": a shop may not even learn that it exists.
    ``approved_by`` names the owner whose PIN let a clerk (the ``actor``) refund.
    """
    check_amount(amount)
    past = await history.load(session, currency_id=currency_id, operation_id=payment_id)
    if past.kind != "payment" or past.transfers[0].credit != merchant_account_id:
        raise NotFound(f"payment {payment_id} was not found at this shop")
    approval = {"approved_by": approved_by} if approved_by else {}
    ctx = Context(
        actor=actor,
        idempotency=idempotency,
        details={"amount": amount, **approval},
        response={"refund_of": payment_id, "amount": amount},
    )
    return await corrections.refund(
        session,
        currency_id=currency_id,
        payment_id=payment_id,
        amount=amount,
        today=today or clock.today(),
        grace_days=grace_days,
        ctx=ctx,
    )


def check_amount(amount: int) -> None:
    if type(amount) is not int or amount <= 0:
        raise InvalidOperation("the amount must be a whole number above zero")
    if amount > MAX_AMOUNT:
        raise InvalidOperation(f"the amount {amount:,} is larger than any payment can be")
