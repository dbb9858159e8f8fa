"""Expiry: what is left of a lot after its expiry date moves to the ``expired`` account."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.ledger import accounts
from currency.ledger.models import lot
from currency.ledger.posting import post
from currency.ledger.types import Draft, Leg, Locked, LotChange, Move, Posted


class _NothingLeft(Exception):
    """Under the lock, the wallet had nothing left to expire (someone was first)."""


async def expire_due(
    session: AsyncSession,
    *,
    currency_id: int,
    as_of: date,
    batch: int = 500,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Posted]:
    """Expire every lot whose expiry date is before ``as_of``; once per lot, re-runs are no-ops.

    ``limit`` stops after that many wallets, so a caller can commit in steps and never
    hold thousands of wallet locks at once (the worker does; a later call carries on).
    """
    sinks = {
        kind: await accounts.system_account(
            session, currency_id=currency_id, code=accounts.expired(kind)
        )
        for kind in ("coin", "point")
    }
    posted: list[Posted] = []
    seen: set[int] = set()
    while wallets := [
        w for w in await _wallets_with_due_lots(session, currency_id, as_of, batch) if w not in seen
    ]:
        for wallet in wallets:
            if limit is not None and len(seen) >= limit:
                return posted
            seen.add(wallet)
            try:
                posted.append(await _expire_wallet(session, currency_id, wallet, as_of, sinks))
            except _NothingLeft:
                pass
            if progress:
                progress(1)
    return posted


async def _wallets_with_due_lots(
    session: AsyncSession, currency_id: int, as_of: date, batch: int
) -> list[int]:
    rows = await session.scalars(
        sa.select(lot.c.wallet_account_id)
        .where(
            lot.c.currency_id == currency_id, lot.c.expires_on < as_of, lot.c.amount_remaining > 0
        )
        .group_by(lot.c.wallet_account_id)
        .order_by(lot.c.wallet_account_id)
        .limit(batch)
    )
    return list(rows)


async def _expire_wallet(
    session: AsyncSession, currency_id: int, wallet: int, as_of: date, sinks: dict[str, int]
) -> Posted:
    def build(locked: Locked) -> Draft:
        due = [w.lot for w in locked.lots if w.lot.expires_on < as_of]
        if not due:
            raise _NothingLeft
        totals: dict[str, int] = defaultdict(int)
        for item in due:
            totals[item.kind] += item.amount_remaining
        kinds = sorted(totals)
        legs = [Leg(wallet, sinks[k], totals[k], f"expire.{k}") for k in kinds]
        moves: list[Move] = [
            LotChange(kinds.index(item.kind), wallet, item.id, -item.amount_remaining)
            for item in due
        ]
        return Draft(kind="expire", legs=legs, moves=moves, details={"as_of": as_of.isoformat()})

    return await post(
        session,
        currency_id=currency_id,
        actor="system:expiry",
        lock=[wallet],
        lots_of=[wallet],
        build=build,
    )
