"""Refunds (merchant gives back part or all of a payment) and reversals (staff corrections).

Both give value back to the very lots it came from, so a refunded point stays a point
with its restrictions and expiry (or a grace period when that expiry has passed).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import AlreadyReversed, InsufficientBalance, InvalidOperation
from currency.ledger import history
from currency.ledger.operations import Context, restore, with_details
from currency.ledger.posting import post
from currency.ledger.types import MERCHANT, WALLET, Draft, Leg, Locked, LotChange, Move, Posted


async def refund(
    session: AsyncSession,
    *,
    currency_id: int,
    payment_id: int,
    amount: int,
    today: date,
    grace_days: int,
    ctx: Context,
) -> Posted:
    """Merchant → resident, restoring the payment's lots, the last spent first."""
    payment = await history.load(session, currency_id=currency_id, operation_id=payment_id)
    if payment.kind != "payment":
        raise InvalidOperation(f"operation {payment_id} is not a payment")
    wallet = payment.transfers[0].debit
    merchant = payment.transfers[0].credit

    async def build(locked: Locked) -> Draft:
        # Checked under the lock, after the idempotency key: a retried refund gets its answer.
        if await history.reversal_of(session, currency_id=currency_id, operation_id=payment_id):
            raise InvalidOperation(f"payment {payment_id} was reversed; nothing is left to refund")
        done = await history.refunded_per_lot(
            session, currency_id=currency_id, payment_id=payment_id
        )
        picks = _pick_lots(payment, done, amount)
        _check_merchant_can_pay(locked, merchant, amount)
        legs: list[Leg] = []
        moves: list[Move] = []
        leg_of: dict[str, int] = {}
        for move, take in picks:
            if move.lot.kind not in leg_of:
                leg_of[move.lot.kind] = len(legs)
                legs.append(Leg(merchant, wallet, 0, f"refund.{move.lot.kind}"))
            i = leg_of[move.lot.kind]
            legs[i] = Leg(merchant, wallet, legs[i].amount + take, legs[i].kind)
            moves.append(restore(i, wallet, move.lot, take, today=today, grace_days=grace_days))
        restored = {str(m.lot.id): t for m, t in picks}
        detailed = with_details(ctx, refund_of=payment_id, restored=restored)
        return Draft(
            kind="refund",
            legs=legs,
            moves=moves,
            reason=ctx.reason,
            details=detailed.details,
            response=ctx.response,
        )

    return await post(
        session,
        currency_id=currency_id,
        actor=ctx.actor,
        lock=[wallet, merchant],
        build=build,
        idempotency=ctx.idempotency,
    )


def _check_merchant_can_pay(locked: Locked, merchant: int, amount: int) -> None:
    """A shop that has already been paid out may not have enough left to refund."""
    held = locked.accounts[merchant].balance
    if held < amount:
        raise InsufficientBalance(requested=amount, total=held, spendable=held)


def _pick_lots(
    payment: history.PastOperation, done: dict[int, int], amount: int
) -> list[tuple[history.PastMove, int]]:
    if type(amount) is not int or amount <= 0:
        raise InvalidOperation("a refund needs a whole amount above zero")
    consumed = [m for m in payment.moves if m.amount < 0]
    left = sum(-m.amount for m in consumed) - sum(done.values())
    if amount > left:
        raise InvalidOperation(f"only {left} of this payment is left to refund")
    picks: list[tuple[history.PastMove, int]] = []
    for move in reversed(consumed):
        available = -move.amount - done.get(move.lot.id, 0)
        take = min(available, amount - sum(t for _, t in picks))
        if take > 0:
            picks.append((move, take))
    return picks


async def reverse(
    session: AsyncSession,
    *,
    currency_id: int,
    operation_id: int,
    today: date,
    grace_days: int,
    ctx: Context,
) -> Posted:
    """Post the mirror of an operation, linked to it. A second reversal is refused."""
    if not ctx.reason:
        raise InvalidOperation("a reversal needs a reason")
    original = await history.load(session, currency_id=currency_id, operation_id=operation_id)
    lock = original.accounts_of_kind(WALLET, MERCHANT)

    async def build(locked: Locked) -> Draft:
        # Checked after the idempotency key: a retried reversal gets its stored answer.
        await check_reversible(session, currency_id, original)
        legs = [
            Leg(t.credit, t.debit, t.amount, "reversal", reverses=t.id) for t in original.transfers
        ]
        moves = [_mirror(m, locked, today, grace_days) for m in original.moves]
        return Draft(
            kind="reversal",
            legs=legs,
            moves=moves,
            reason=ctx.reason,
            reverses=original.id,
            details={**ctx.details, "reverses": original.id},
            response=ctx.response,
        )

    return await post(
        session,
        currency_id=currency_id,
        actor=ctx.actor,
        lock=lock,
        lots_of=original.accounts_of_kind(WALLET),
        build=build,
        idempotency=ctx.idempotency,
    )


async def check_reversible(
    session: AsyncSession, currency_id: int, original: history.PastOperation
) -> None:
    if original.reverses is not None:
        raise InvalidOperation("a reversal cannot itself be reversed; post a new operation")
    if await history.reversal_of(session, currency_id=currency_id, operation_id=original.id):
        raise AlreadyReversed(f"operation {original.id} has already been reversed")
    if original.kind == "payment" and await history.refunded_per_lot(
        session, currency_id=currency_id, payment_id=original.id
    ):
        raise InvalidOperation("this payment was refunded in part; refund the rest instead")


def _mirror(move: history.PastMove, locked: Locked, today: date, grace_days: int) -> Move:
    if move.amount < 0:
        return restore(
            move.leg, move.wallet, move.lot, -move.amount, today=today, grace_days=grace_days
        )
    live = locked.lot(move.lot.id)
    left = live.lot.amount_remaining if live else 0
    if left < move.amount:
        total = sum(
            w.lot.amount_remaining for w in locked.lots if w.wallet_account_id == move.wallet
        )
        raise InsufficientBalance(requested=move.amount, total=total, spendable=left)
    return LotChange(move.leg, move.wallet, move.lot.id, -move.amount)
