"""Static MPM: the shop's printed QR is a link, ``<base url>/m/<shop code>?s=<mac>``.

Stickers pasted over a shop's code have diverted payments elsewhere, so the link carries
a MAC (an altered code or MAC is refused) and the wallet shows the shop's registered name
and district, from our records, before the resident confirms and pays.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from currency.ledger.types import Idempotency, Posted
from currency.payments import service as payments
from currency.payments.codes import common, text
from currency.payments.codes.common import ShopInfo


async def shop_for_link(
    session: AsyncSession, *, currency_id: int, merchant_code: str, s: str, secret: bytes
) -> ShopInfo:
    """The shop a genuine link leads to (InvalidCode if altered; NotFound if not ours).

    A shop that cannot take payments now is returned too, with its status, so the page
    can say so instead of "not found"."""
    text.check_shop_link(merchant_code, s, secret)
    return await common.shop(session, currency_id=currency_id, code=merchant_code)


async def pay_shop(
    session: AsyncSession,
    *,
    currency_id: int,
    merchant_code: str,
    wallet_account_id: int,
    amount: int,
    actor: str,
    idempotency: Idempotency | None = None,
    today: date | None = None,
) -> Posted:
    """The resident pays the amount they typed to the shop they confirmed."""
    found = await common.shop(session, currency_id=currency_id, code=merchant_code)
    return await payments.pay(
        session, currency_id=currency_id, wallet_account_id=wallet_account_id,
        merchant_id=found.id, amount=amount, actor=actor, idempotency=idempotency, today=today,
    )  # fmt: skip
