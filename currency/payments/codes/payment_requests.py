"""Dynamic MPM: the shop's screen shows a code for a fixed amount; the resident scans it,
sees the shop's registered name and the amount, and pays.

The code ``MGR1.<id>.<nonce>.<mac>`` is signed over the currency, the request, its nonce
and its amount, valid 5 minutes, and used once: like a CPM token, its row is locked and
marked used inside the payment's transaction, so two residents paying one request at the
same moment make exactly one payment. A refused payment leaves the request open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import InvalidCode
from currency.ledger.types import Idempotency, Posted
from currency.payments import service as payments
from currency.payments.codes import common, text
from currency.payments.codes.common import ShopInfo
from currency.payments.models import payment_request

REQUEST_LIFETIME = timedelta(minutes=5)
EXPIRED = f"This payment code has expired (codes last 5 minutes). {text.ASK_SHOP}"
USED = f"This payment code was already paid. {text.ASK_SHOP}"


@dataclass(frozen=True)
class PaymentRequest:
    text: str  # what the shop's QR holds
    expires_at: datetime
    id: int
    amount: int


@dataclass(frozen=True)
class RequestInfo:
    """What the wallet shows before the resident confirms."""

    id: int
    amount: int
    expires_at: datetime
    shop: ShopInfo


async def create_payment_request(
    session: AsyncSession,
    *,
    currency_id: int,
    merchant_id: int,
    amount: int,
    created_by: int,
    secret: bytes,
    now: datetime,
) -> PaymentRequest:
    """A one-time code for ``amount`` to this shop, for the shop's screen."""
    common.require_aware(now)
    payments.check_amount(amount)
    common.require_open(
        await common.shop(session, currency_id=currency_id, merchant_id=merchant_id)
    )
    nonce, expires_at = text.new_nonce(), now + REQUEST_LIFETIME
    request_id = await session.scalar(
        sa.insert(payment_request)
        .values(
            currency_id=currency_id, merchant_id=merchant_id, amount=amount, nonce=nonce,
            expires_at=expires_at, created_by=created_by,
        )
        .returning(payment_request.c.id)
    )  # fmt: skip
    assert request_id is not None
    signed = text.request_text(
        secret, currency_id=currency_id, request_id=request_id, nonce=nonce, amount=amount
    )
    return PaymentRequest(signed, expires_at, request_id, amount)


async def describe_request(
    session: AsyncSession, *, currency_id: int, request_text: str, secret: bytes, now: datetime
) -> RequestInfo:
    """The shop and amount of a scanned code that can still be paid, or InvalidCode."""
    common.require_aware(now)
    code = text.read_request(request_text)
    row = await _find(session, currency_id, code, secret, lock=False)
    if row.used_at is not None:
        raise InvalidCode(USED)
    _check_fresh(row, now)
    found = await common.shop(session, currency_id=currency_id, merchant_id=row.merchant_id)
    return RequestInfo(row.id, row.amount, row.expires_at, found)


async def pay_request(
    session: AsyncSession,
    *,
    currency_id: int,
    request_text: str,
    wallet_account_id: int,
    actor: str,
    idempotency: Idempotency | None = None,
    today: date | None = None,
    now: datetime,
    secret: bytes,
) -> Posted:
    """The resident pays the request's fixed amount to its shop, once."""
    common.require_aware(now)
    code = text.read_request(request_text)
    row = await _find(session, currency_id, code, secret, lock=True)

    async def pay() -> Posted:
        return await payments.pay(
            session, currency_id=currency_id, wallet_account_id=wallet_account_id,
            merchant_id=row.merchant_id, amount=row.amount, actor=actor,
            idempotency=idempotency, today=today,
        )  # fmt: skip

    if row.used_at is not None:
        return await common.replay_or_refuse(
            session, currency_id=currency_id, idempotency=idempotency,
            operation_id=row.operation_id, pay=pay, used=USED,
        )  # fmt: skip
    _check_fresh(row, now)
    posted = await pay()
    if not posted.replayed:
        await common.mark_used(
            session, payment_request, currency_id=currency_id, row_id=row.id,
            operation_id=posted.operation_id, now=now,
        )  # fmt: skip
    return posted


async def _find(
    session: AsyncSession, currency_id: int, code: text.RequestCode, secret: bytes, *, lock: bool
) -> Any:
    """The request a genuine code names. Looking it up by id *and* nonce means a guessed
    or foreign code finds nothing (and locks nothing); the MAC then vouches for the amount."""
    r = payment_request.c
    where = (r.currency_id == currency_id, r.id == code.request_id, r.nonce == code.nonce)
    if lock:
        row = await common.lock_row(session, payment_request, *where)
    else:
        row = (await session.execute(sa.select(payment_request).where(*where))).first()
    if row is None:
        raise InvalidCode(text.NOT_A_REQUEST)
    text.check_request_mac(secret, code, currency_id=currency_id, amount=row.amount)
    return row


def _check_fresh(row: Any, now: datetime) -> None:
    if now >= row.expires_at:
        raise InvalidCode(EXPIRED)
