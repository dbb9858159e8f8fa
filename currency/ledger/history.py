"""Reading an operation back: its transfers, the lots it touched, what came after it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import NotFound
from currency.ledger.models import account, lot, lot_movement, operation, transfer
from currency.ledger.spending import SpendableLot


@dataclass(frozen=True)
class PastTransfer:
    id: int
    leg: int
    debit: int
    credit: int
    amount: int
    kind: str
    debit_kind: str
    credit_kind: str


@dataclass(frozen=True)
class PastMove:
    leg: int
    wallet: int
    lot: SpendableLot
    amount: int


@dataclass(frozen=True)
class PastOperation:
    id: int
    kind: str
    reverses: int | None
    details: dict[str, Any]
    transfers: list[PastTransfer]
    moves: list[PastMove]

    def accounts_of_kind(self, *kinds: str) -> set[int]:
        found = {t.debit for t in self.transfers if t.debit_kind in kinds}
        return found | {t.credit for t in self.transfers if t.credit_kind in kinds}


async def load(session: AsyncSession, *, currency_id: int, operation_id: int) -> PastOperation:
    row = (
        await session.execute(
            sa.select(
                operation.c.kind, operation.c.reverses_operation_id, operation.c.details
            ).where(operation.c.currency_id == currency_id, operation.c.id == operation_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"operation {operation_id} does not exist")
    return PastOperation(
        id=operation_id,
        kind=row.kind,
        reverses=row.reverses_operation_id,
        details=row.details,
        transfers=await _transfers(session, currency_id, operation_id),
        moves=await _moves(session, currency_id, operation_id),
    )


async def _transfers(
    session: AsyncSession, currency_id: int, operation_id: int
) -> list[PastTransfer]:
    debit, credit = account.alias("d"), account.alias("c")
    t = transfer
    rows = await session.execute(
        sa.select(
            t.c.id,
            t.c.leg,
            t.c.debit_account_id,
            t.c.credit_account_id,
            t.c.amount,
            t.c.kind,
            debit.c.kind.label("debit_kind"),
            credit.c.kind.label("credit_kind"),
        )
        .join(
            debit,
            sa.and_(debit.c.currency_id == t.c.currency_id, debit.c.id == t.c.debit_account_id),
        )
        .join(
            credit,
            sa.and_(credit.c.currency_id == t.c.currency_id, credit.c.id == t.c.credit_account_id),
        )
        .where(t.c.currency_id == currency_id, t.c.operation_id == operation_id)
        .order_by(t.c.leg)
    )
    return [PastTransfer(*r) for r in rows]


async def _moves(session: AsyncSession, currency_id: int, operation_id: int) -> list[PastMove]:
    m, t, lt = lot_movement, transfer, lot
    rows = await session.execute(
        sa.select(
            t.c.leg,
            lt.c.wallet_account_id,
            lt.c.id,
            lt.c.kind,
            lt.c.amount_remaining,
            lt.c.expires_on,
            lt.c.allowed_tags,
            lt.c.allowed_districts,
            lt.c.programme_id,
            m.c.amount,
        )
        .join(t, sa.and_(t.c.currency_id == m.c.currency_id, t.c.id == m.c.transfer_id))
        .join(lt, sa.and_(lt.c.currency_id == m.c.currency_id, lt.c.id == m.c.lot_id))
        .where(m.c.currency_id == currency_id, t.c.operation_id == operation_id)
        .order_by(m.c.id)
    )
    return [
        PastMove(
            leg=r[0],
            wallet=r[1],
            amount=r[9],
            lot=SpendableLot(
                id=r[2],
                kind=r[3],
                amount_remaining=r[4],
                expires_on=r[5],
                allowed_tags=None if r[6] is None else frozenset(r[6]),
                allowed_districts=None if r[7] is None else frozenset(r[7]),
                programme_id=r[8],
            ),
        )
        for r in rows
    ]


async def refunded_per_lot(
    session: AsyncSession, *, currency_id: int, payment_id: int
) -> dict[int, int]:
    """How much of each consumed lot earlier refunds of this payment gave back.

    A refund that was itself reversed gave nothing back in the end, so it does not count.
    """
    reversal = operation.alias("reversal")
    reversed_ = sa.exists().where(
        reversal.c.currency_id == operation.c.currency_id,
        reversal.c.reverses_operation_id == operation.c.id,
    )
    rows = await session.execute(
        sa.select(operation.c.details["restored"]).where(
            operation.c.currency_id == currency_id,
            operation.c.kind == "refund",
            operation.c.details["refund_of"].astext.cast(sa.BigInteger) == payment_id,
            ~reversed_,
        )
    )
    restored: dict[int, int] = defaultdict(int)
    for (per_lot,) in rows:
        for lot_id, amount in (per_lot or {}).items():
            restored[int(lot_id)] += int(amount)
    return dict(restored)


async def reversal_of(session: AsyncSession, *, currency_id: int, operation_id: int) -> int | None:
    found: int | None = await session.scalar(
        sa.select(operation.c.id).where(
            operation.c.currency_id == currency_id,
            operation.c.reverses_operation_id == operation_id,
        )
    )
    return found
