"""Paying a shop: a resident's wallet → a merchant, spending what that shop may accept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.errors import AccountUnavailable, NotFound
from currency.ledger import operations, posting
from currency.ledger.operations import Context
from currency.ledger.spending import Payee
from currency.ledger.types import Idempotency, Posted


@dataclass(frozen=True)
class Shop:
    id: int
    account_id: int
    name: str
    payee: Payee


_SHOP = (
    "SELECT account_id, name, tags, district, status FROM merchant "
    "WHERE currency_id = $1 AND id = $2"
)


async def shop(session: AsyncSession, *, currency_id: int, merchant_id: int) -> Shop:
    """The shop as a payment needs it (on the payment's hot path: one prepared statement)."""
    driver = await posting.driver_in_transaction(session)
    row = await driver.fetchrow(_SHOP, currency_id, merchant_id)
    if row is None:
        raise NotFound(f"merchant {merchant_id} does not exist")
    if row["status"] != "active":
        raise AccountUnavailable(f"{row['name']} cannot take payments now")
    payee = Payee(frozenset(row["tags"]), row["district"])
    return Shop(merchant_id, row["account_id"], row["name"], payee)


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
