"""The demo town's day of trade, through the real services: purchases (spending points
where the shop accepts them, then coins), a shop's partial refund, a grandson's send, a
restaurant paying its fish shop, and a staff correction left waiting for approval."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from currency.corrections import service as corrections
from currency.demo import story
from currency.demo.town import Town
from currency.payments import service as payments
from currency.payments import transfers

Payments = dict[tuple[str, str], int]
"""Operation ids by (resident, shop key)."""


async def trade(session: AsyncSession, town: Town) -> None:
    paid = await shop(session, town)
    await refund(session, town, paid)
    await send(session, town)
    await merchant_pay(session, town)
    await ask_for_reversal(session, town, paid)


async def shop(session: AsyncSession, town: Town) -> Payments:
    """Every payment of ``story.PAYMENTS``, made by the resident (phone or card)."""
    paid: Payments = {}
    for name, shop_key, amount in story.PAYMENTS:
        payer = town.people[name]
        posted = await payments.pay(
            session,
            currency_id=town.currency_id,
            wallet_account_id=payer.wallet,
            merchant_id=town.shops[shop_key].id,
            amount=amount,
            actor=payer.actor,
            today=town.today,
        )
        paid[(name, shop_key)] = posted.operation_id
    return paid


async def refund(session: AsyncSession, town: Town, paid: Payments) -> None:
    name, shop_key, amount = story.REFUND
    shop = town.shops[shop_key]
    await payments.refund(
        session,
        currency_id=town.currency_id,
        merchant_account_id=shop.account_id,
        payment_id=paid[(name, shop_key)],
        amount=amount,
        actor=shop.actor,
        grace_days=town.settings.refund_grace_days,
        today=town.today,
    )


async def send(session: AsyncSession, town: Town) -> None:
    sender, receiver, amount = story.SEND
    await transfers.send(
        session,
        currency_id=town.currency_id,
        sender_wallet=town.people[sender].wallet,
        to_resident_number=town.people[receiver].number,
        amount=amount,
        actor=town.people[sender].actor,
        today=town.today,
        now=town.now,
    )


async def merchant_pay(session: AsyncSession, town: Town) -> None:
    payer, payee, amount = story.MERCHANT_PAY
    await transfers.merchant_pay(
        session,
        currency_id=town.currency_id,
        payer_merchant_id=town.shops[payer].id,
        payee_code=town.shops[payee].code,
        amount=amount,
        actor=town.shops[payer].actor,
    )


async def ask_for_reversal(session: AsyncSession, town: Town, paid: Payments) -> None:
    """staff2 asks; nobody has decided yet, so staff1 finds it in the console's queue."""
    name, shop_key, reason = story.REVERSAL
    await corrections.request_reversal(
        session,
        currency_id=town.currency_id,
        operation_id=paid[(name, shop_key)],
        reason=reason,
        staff_id=town.approver,
    )
