"""Paying a shop: a resident's wallet → a merchant, spending what that shop may accept.

``payment`` describes one payment as a ledger request; ``pay`` posts it in the caller's
session, and the API posts it through the group committer (currency/ledger/group.py) so
that payments arriving together share one transaction and one commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.errors import AccountUnavailable, NotFound
from currency.ledger import operations, posting, spending
from currency.ledger.operations import Context
from currency.ledger.posting import Prefetch, Request
from currency.ledger.spending import Payee
from currency.ledger.types import Draft, Idempotency, Locked, Posted


@dataclass(frozen=True)
class Shop:
    id: int
    account_id: int
    name: str
    payee: Payee


SHOPS = (
    "SELECT id, account_id, name, tags, district, status FROM merchant "
    "WHERE currency_id = $1 AND id = ANY($2::bigint[])"
)


def shop_of(row: Mapping[str, Any] | None, merchant_id: int) -> Shop:
    """The shop as a payment needs it, or why it cannot be paid."""
    if row is None:
        raise NotFound(f"merchant {merchant_id} does not exist")
    if row["status"] != "active":
        raise AccountUnavailable(f"{row['name']} cannot take payments now")
    payee = Payee(frozenset(row["tags"]), row["district"])
    return Shop(merchant_id, row["account_id"], row["name"], payee)


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
    on = today or clock.today()
    details = {"merchant_id": merchant_id, "amount": amount}
    ctx = Context(actor=actor, idempotency=idempotency, details=details, response=details)

    def build(locked: Locked) -> Draft:
        shop = shop_of(locked.found, merchant_id)
        accept = spending.for_payee(shop.payee)
        return operations.spend_draft(
            locked, wallet_account_id, shop.account_id, amount, "payment", on, accept, ctx
        )

    return Request(
        actor=actor,
        lock=(wallet_account_id,),
        lots_of=(wallet_account_id,),
        build=build,
        idempotency=idempotency,
        prefetch=Prefetch(SHOPS, merchant_id),
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
