"""CPM: the resident's phone shows a one-time code, the shop scans it and charges it.

A token is 128 random bits, valid 2 minutes, stored as its sha256 only. It is used inside
the payment's own transaction: its row is locked (``FOR UPDATE``), the payment posted,
and the row marked with the payment's operation, all in one commit. A second shop with
the same token waits on the row lock and then finds it used: a copy never pays twice.

A refused payment (not enough balance, over a limit, a closed shop) leaves the token
unused: it costs nothing, and the resident may still pay a smaller amount with the code on
the screen until it expires (a new one appears every 2 minutes anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import AccountUnavailable, InvalidCode, NotFound
from currency.ledger.models import account
from currency.ledger.types import Idempotency, Posted
from currency.payments import service as payments
from currency.payments.codes import common, text
from currency.payments.models import payment_token

TOKEN_LIFETIME = timedelta(seconds=120)
EXPIRED = f"This payment code has expired (codes last 2 minutes). {text.ASK_CUSTOMER}"
USED = f"This payment code was already used. {text.ASK_CUSTOMER}"


@dataclass(frozen=True)
class PaymentToken:
    text: str  # what the QR holds; never stored
    expires_at: datetime


async def issue_payment_token(
    session: AsyncSession, *, currency_id: int, wallet_account_id: int, now: datetime
) -> PaymentToken:
    """A fresh one-time code for the wallet's screen."""
    common.require_aware(now)
    await _check_wallet(session, currency_id, wallet_account_id)
    token, digest = text.new_token()
    expires_at = now + TOKEN_LIFETIME
    await session.execute(
        sa.insert(payment_token).values(
            currency_id=currency_id, wallet_account_id=wallet_account_id, token_hash=digest,
            expires_at=expires_at,
        )
    )  # fmt: skip
    return PaymentToken(token, expires_at)


async def pay_with_token(
    session: AsyncSession,
    *,
    currency_id: int,
    token_text: str,
    merchant_id: int,
    amount: int,
    actor: str,
    idempotency: Idempotency | None = None,
    today: date | None = None,
    now: datetime,
) -> Posted:
    """The shop charges ``amount`` to the wallet whose code it scanned.

    Unknown, altered, expired, used or another currency's codes are InvalidCode and
    nothing is charged. A retry under the key of the payment that used the code gets that
    payment back."""
    common.require_aware(now)
    t = payment_token.c
    digest = text.read_token(token_text)
    row = await common.lock_row(
        session, payment_token, t.currency_id == currency_id, t.token_hash == digest
    )
    if row is None:
        raise InvalidCode(text.NOT_A_TOKEN)

    async def pay() -> Posted:
        return await payments.pay(
            session, currency_id=currency_id, wallet_account_id=row.wallet_account_id,
            merchant_id=merchant_id, amount=amount, actor=actor, idempotency=idempotency,
            today=today,
        )  # fmt: skip

    if row.used_at is not None:
        return await common.replay_or_refuse(
            session, currency_id=currency_id, idempotency=idempotency,
            operation_id=row.operation_id, pay=pay, used=USED,
        )  # fmt: skip
    if now >= row.expires_at:
        raise InvalidCode(EXPIRED)
    posted = await pay()
    if not posted.replayed:
        await common.mark_used(
            session, payment_token, currency_id=currency_id, row_id=row.id,
            operation_id=posted.operation_id, now=now,
        )  # fmt: skip
    return posted


async def _check_wallet(session: AsyncSession, currency_id: int, wallet_account_id: int) -> None:
    a = account.c
    status = await session.scalar(
        sa.select(a.status).where(
            a.currency_id == currency_id, a.id == wallet_account_id, a.kind == "wallet"
        )
    )
    if status is None:
        raise NotFound(f"wallet {wallet_account_id} does not exist")
    if status != "open":
        raise AccountUnavailable("This wallet cannot pay now; please ask the city office.")
