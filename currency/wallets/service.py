"""A wallet as its owner sees it: the balance, what is in it by kind and expiry, and
where each lot may be spent. Read-only; the ledger is the source of every figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.ledger import accounts
from currency.ledger.models import lot


@dataclass(frozen=True)
class LotView:
    kind: str
    amount: int
    expires_on: date
    allowed_tags: list[str] | None
    allowed_districts: list[str] | None


@dataclass(frozen=True)
class WalletView:
    balance: int
    by_kind: dict[str, int]
    lots: list[LotView]


async def summary(
    session: AsyncSession, *, currency_id: int, wallet_account_id: int, today: date
) -> WalletView:
    """Live lots soonest-expiring first (the order a payment spends them in)."""
    rows = await session.execute(
        sa.select(
            lot.c.kind,
            lot.c.amount_remaining,
            lot.c.expires_on,
            lot.c.allowed_tags,
            lot.c.allowed_districts,
        )
        .where(
            lot.c.currency_id == currency_id,
            lot.c.wallet_account_id == wallet_account_id,
            lot.c.amount_remaining > 0,
            lot.c.expires_on >= today,
        )
        .order_by(lot.c.expires_on, lot.c.kind.desc(), lot.c.id)
    )
    lots = [LotView(r[0], int(r[1]), r[2], r[3], r[4]) for r in rows]
    by_kind = {k: sum(x.amount for x in lots if x.kind == k) for k in ("coin", "point")}
    balance = await accounts.balance(session, currency_id=currency_id, account_id=wallet_account_id)
    return WalletView(balance=balance, by_kind=by_kind, lots=lots)
