"""Moving value without buying anything: a resident sending to another resident (within
the send policy in force), and a shop paying a local supplier (merchant to merchant)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.errors import AccountUnavailable, InsufficientBalance, InvalidOperation, NotFound
from currency.issuance import rulebook
from currency.issuance.policy import check_send, refuse_if
from currency.issuance.rules import SendPolicy
from currency.ledger import operations, posting
from currency.ledger.models import transfer
from currency.ledger.operations import Context
from currency.ledger.types import Draft, Idempotency, Leg, Locked, Posted
from currency.merchants.models import merchant
from currency.payments.service import check_amount
from currency.residents import numbers
from currency.residents.models import resident


async def send(
    session: AsyncSession,
    *,
    currency_id: int,
    sender_wallet: int,
    to_resident_number: str,
    amount: int,
    actor: str,
    idempotency: Idempotency | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Posted:
    """Wallet to wallet. The receiver gets lots with the same kind, expiry and restrictions;
    only the kinds the send policy allows move, within its per-send and daily limits."""
    check_amount(amount)
    receiver = await _receiver(session, currency_id, to_resident_number)
    if receiver == sender_wallet:
        raise InvalidOperation("you cannot send to your own wallet")
    policy = await rulebook.standing(
        session, currency_id=currency_id, kind="send_policy", model=SendPolicy,
        now=now or datetime.now(UTC),
    )  # fmt: skip
    on = today or clock.today()
    details = {"to": to_resident_number, "amount": amount}
    ctx = Context(actor=actor, idempotency=idempotency, details=details, response=details)

    async def build(locked: Locked) -> Draft:
        sent = await _sent_today(session, currency_id, sender_wallet)
        refuse_if(check_send(policy, lot_kinds=policy.lot_kinds, amount=amount, sent_today=sent))
        kinds = policy.lot_kinds
        return operations.send_draft(locked, sender_wallet, receiver, amount, on, kinds, ctx)

    return await posting.post(
        session,
        currency_id=currency_id,
        actor=actor,
        lock=[sender_wallet, receiver],
        lots_of=[sender_wallet],
        build=build,
        idempotency=idempotency,
    )


async def merchant_pay(
    session: AsyncSession,
    *,
    currency_id: int,
    payer_merchant_id: int,
    payee_code: str,
    amount: int,
    actor: str,
    idempotency: Idempotency | None = None,
) -> Posted:
    """A shop pays a local supplier in coins, from its own (plain) balance."""
    check_amount(amount)
    payer = await _shop(session, currency_id, merchant.c.id == payer_merchant_id)
    payee = await _shop(session, currency_id, merchant.c.code == payee_code)
    if payer["account_id"] == payee["account_id"]:
        raise InvalidOperation("a shop cannot pay itself")
    details = {"to": payee_code, "amount": amount}

    def build(locked: Locked) -> Draft:
        held = locked.accounts[payer["account_id"]].balance
        if held < amount:
            raise InsufficientBalance(requested=amount, total=held, spendable=held)
        legs = [Leg(payer["account_id"], payee["account_id"], amount, "merchant_pay")]
        return Draft(kind="merchant_pay", legs=legs, details=details, response=details)

    return await posting.post(
        session,
        currency_id=currency_id,
        actor=actor,
        lock=[payer["account_id"]],
        build=build,
        idempotency=idempotency,
    )


async def _receiver(session: AsyncSession, currency_id: int, number: str) -> int:
    row = (
        await session.execute(
            sa.select(resident.c.wallet_account_id, resident.c.status).where(
                resident.c.currency_id == currency_id,
                resident.c.resident_number == numbers.canonical(number),
            )
        )
    ).first()
    if row is None:
        raise NotFound("no resident has this number; please check it and try again")
    if row.status != "active":
        raise AccountUnavailable("this resident cannot receive coins now")
    return int(row.wallet_account_id)


async def _shop(session: AsyncSession, currency_id: int, which: Any) -> Any:
    row = (
        await session.execute(
            sa.select(merchant.c.account_id, merchant.c.name, merchant.c.status).where(
                merchant.c.currency_id == currency_id, which
            )
        )
    ).first()
    if row is None:
        raise NotFound("no shop has this code")
    if row.status != "active":
        raise AccountUnavailable(f"{row.name} cannot take part in payments now")
    return row._mapping


async def _sent_today(session: AsyncSession, currency_id: int, wallet: int) -> int:
    """Sent from this wallet since midnight in the currency's time zone (read under lock)."""
    midnight = sa.text(
        "date_trunc('day', now() AT TIME ZONE (SELECT timezone FROM currency WHERE id = :c))"
        " AT TIME ZONE (SELECT timezone FROM currency WHERE id = :c)"
    ).bindparams(c=currency_id)
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(transfer.c.amount), 0)).where(
            transfer.c.currency_id == currency_id,
            transfer.c.debit_account_id == wallet,
            transfer.c.kind.like("send.%"),
            transfer.c.created_at >= midnight,
        )
    )
    return int(total or 0)
