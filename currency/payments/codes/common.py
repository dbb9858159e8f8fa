"""What the three kinds of payment code share: the shop a code leads to, the retry of a
payment whose code it already used, and marking a code used by its payment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import AccountUnavailable, InvalidCode, NotFound
from currency.ledger.models import idempotency as ledger_idempotency
from currency.ledger.types import Idempotency, Posted
from currency.merchants.models import merchant
from currency.payments.models import payment_request, payment_token

Pay = Callable[[], Awaitable[Posted]]


@dataclass(frozen=True)
class ShopInfo:
    """What the wallet shows before the resident confirms: the registered name and district."""

    id: int
    code: str
    name: str
    district: str
    status: str

    @property
    def takes_payments(self) -> bool:
        return self.status == "active"


async def shop(
    session: AsyncSession, *, currency_id: int, merchant_id: int | None = None, code: str = ""
) -> ShopInfo:
    """One shop of this currency, by id or by code; NotFound when there is none."""
    m = merchant.c
    found = m.id == merchant_id if merchant_id is not None else m.code == code
    rows = await session.execute(
        sa.select(m.id, m.code, m.name, m.district, m.status).where(
            m.currency_id == currency_id, found
        )
    )
    row = rows.first()
    if row is None:
        raise NotFound("This shop is not registered with Meguri in this city.")
    return ShopInfo(row.id, row.code, row.name, row.district, row.status)


def require_open(found: ShopInfo) -> ShopInfo:
    if not found.takes_payments:
        raise AccountUnavailable(f"{found.name} cannot take payments now.")
    return found


def require_aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    return now


async def replay_or_refuse(
    session: AsyncSession,
    *,
    currency_id: int,
    idempotency: Idempotency | None,
    operation_id: int | None,
    pay: Pay,
    used: str,
) -> Posted:
    """A used code: the retry of the payment that used it gets that payment back.

    The retry carries the idempotency key the payment was stored under, so the ledger
    answers with the stored payment (or refuses a different request under the same key).
    Anyone else is refused with ``used``: nothing is charged."""
    if not await _is_retry(session, currency_id, idempotency, operation_id):
        raise InvalidCode(used)
    return await pay()


async def _is_retry(
    session: AsyncSession,
    currency_id: int,
    idempotency: Idempotency | None,
    operation_id: int | None,
) -> bool:
    if idempotency is None or operation_id is None:
        return False
    i = ledger_idempotency.c
    stored = await session.scalar(
        sa.select(i.operation_id).where(
            i.currency_id == currency_id,
            i.principal == idempotency.principal,
            i.key == idempotency.key,
        )
    )
    return stored == operation_id


async def mark_used(
    session: AsyncSession,
    table: sa.Table,
    *,
    currency_id: int,
    row_id: int,
    operation_id: int,
    now: datetime,
) -> None:
    c = table.c
    await session.execute(
        sa.update(table)
        .where(c.currency_id == currency_id, c.id == row_id, c.used_at.is_(None))
        .values(used_at=now, operation_id=operation_id)
    )


async def lock_row(session: AsyncSession, table: sa.Table, *conditions: Any) -> Any:
    """The code's row, locked until the transaction ends: a second payer with the same
    code waits here and then sees it used."""
    rows = await session.execute(sa.select(table).where(*conditions).with_for_update())
    return rows.first()


async def forget_unused(
    session: AsyncSession, *, currency_id: int, expired_before: datetime
) -> int:
    """Delete codes that expired unused before ``expired_before`` (a housekeeping job).

    Used codes stay: they tell how each payment was made."""
    removed = 0
    for table in (payment_token, payment_request):
        c = table.c
        result = await session.execute(
            sa.delete(table).where(
                c.currency_id == currency_id,
                c.used_at.is_(None),
                c.expires_at < require_aware(expired_before),
            )
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed
