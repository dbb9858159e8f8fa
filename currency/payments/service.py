"""Paying a shop: a resident's wallet → a merchant, spending what that shop may accept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.errors import AccountUnavailable, NotFound
from currency.ledger import operations
from currency.ledger.operations import Context
from currency.ledger.spending import Payee
from currency.ledger.types import Idempotency, Posted
from currency.merchants.models import merchant


@dataclass(frozen=True)
class Shop:
    id: int
    account_id: int
    name: str
    payee: Payee


async def shop(session: AsyncSession, *, currency_id: int, merchant_id: int) -> Shop:
    row = (
        await session.execute(
            sa.select(
                merchant.c.account_id,
                merchant.c.name,
                merchant.c.tags,
                merchant.c.district,
                merchant.c.status,
            ).where(merchant.c.currency_id == currency_id, merchant.c.id == merchant_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"merchant {merchant_id} does not exist")
    if row.status != "active":
        raise AccountUnavailable(f"{row.name} cannot take payments now")
    return Shop(merchant_id, row.account_id, row.name, Payee(frozenset(row.tags), row.district))


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
    """One payment: FEFO over the lots this shop accepts; points before coins on a tie."""
    to = await shop(session, currency_id=currency_id, merchant_id=merchant_id)
    details = {"merchant_id": to.id, "amount": amount}
    return await operations.spend(
        session,
        currency_id=currency_id,
        wallet=wallet_account_id,
        to_account=to.account_id,
        amount=amount,
        kind="payment",
        today=today or clock.today(),
        payee=to.payee,
        ctx=Context(actor=actor, idempotency=idempotency, details=details, response=details),
    )
