"""The ledger's building blocks: issue lots, spend, send, refund, reverse, expire.

Each is one call to ``posting.post``. Rules, limits and who may do what belong to the
services that call these (currency/payments, currency/issuance …).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from currency.errors import InvalidOperation
from currency.ledger import spending
from currency.ledger.posting import Request, post, post_request
from currency.ledger.spending import LotKind, Payee, SpendableLot
from currency.ledger.types import Draft, Idempotency, Leg, Locked, LotChange, Move, NewLot, Posted


@dataclass(frozen=True)
class Issue:
    """Value entering a wallet as a new lot, from a system account (issued coins, a programme)."""

    source: int
    amount: int
    kind: LotKind
    expires_on: date
    programme_id: int | None = None
    allowed_tags: frozenset[str] | None = None
    allowed_districts: frozenset[str] | None = None
    leg_kind: str = ""


@dataclass(frozen=True)
class Context:
    """Who asks, under which key, and what the operation records about itself."""

    actor: str
    idempotency: Idempotency | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    response: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None


async def issue(
    session: Any, *, currency_id: int, wallet: int, issues: Sequence[Issue], kind: str, ctx: Context
) -> Posted:
    """Charge or grant: one leg and one new lot per ``Issue``."""
    request = issue_request(wallet=wallet, issues=issues, kind=kind, ctx=ctx)
    return await post_request(session, currency_id=currency_id, request=request)


def issue_request(*, wallet: int, issues: Sequence[Issue], kind: str, ctx: Context) -> Request:
    """``issue`` as a request, for ``post_request`` or the group committer."""

    def build(locked: Locked) -> Draft:
        legs = [Leg(i.source, wallet, i.amount, i.leg_kind or f"{kind}.{i.kind}") for i in issues]
        moves = [_new_lot(n, wallet, i) for n, i in enumerate(issues)]
        return _draft(kind, legs, moves, ctx)

    return Request(ctx.actor, (wallet,), build, idempotency=ctx.idempotency)


def _new_lot(leg: int, wallet: int, i: Issue) -> NewLot:
    return NewLot(
        leg=leg,
        wallet=wallet,
        kind=i.kind,
        amount=i.amount,
        expires_on=i.expires_on,
        programme_id=i.programme_id,
        allowed_tags=i.allowed_tags,
        allowed_districts=i.allowed_districts,
    )


async def spend(
    session: Any,
    *,
    currency_id: int,
    wallet: int,
    to_account: int,
    amount: int,
    kind: str,
    today: date,
    ctx: Context,
    payee: Payee | None = None,
    kinds: Sequence[LotKind] | None = None,
    lock_payee: bool = False,
) -> Posted:
    """Spend lots FEFO from a wallet to a merchant (or another account)."""
    accept = _acceptor(payee, kinds)

    def build(locked: Locked) -> Draft:
        return spend_draft(locked, wallet, to_account, amount, kind, today, accept, ctx)

    lock = [wallet, to_account] if lock_payee else [wallet]
    return await post(
        session,
        currency_id=currency_id,
        actor=ctx.actor,
        lock=lock,
        lots_of=[wallet],
        build=build,
        idempotency=ctx.idempotency,
    )


def spend_draft(
    locked: Locked,
    wallet: int,
    to_account: int,
    amount: int,
    kind: str,
    today: date,
    accept: Callable[[SpendableLot], bool],
    ctx: Context,
) -> Draft:
    """FEFO over the wallet's acceptable lots (the pure planner), one leg per lot kind."""
    plan = spending.plan(locked.lots_of(wallet), amount=amount, today=today, accept=accept)
    legs, moves = _take(plan, wallet, to_account, kind)
    return _draft(kind, legs, moves, ctx)


def _acceptor(
    payee: Payee | None, kinds: Sequence[LotKind] | None
) -> Callable[[SpendableLot], bool]:
    by_payee = spending.for_payee(payee) if payee else None
    by_kind = spending.of_kinds(kinds) if kinds is not None else None
    return lambda lot: (by_payee is None or by_payee(lot)) and (by_kind is None or by_kind(lot))


def _take(
    plan: spending.Plan, wallet: int, to_account: int, kind: str
) -> tuple[list[Leg], list[Move]]:
    """One leg per lot kind (coins and points are reported apart), moves from each lot."""
    legs: list[Leg] = []
    index: dict[str, int] = {}
    for lot_kind, amount in plan.by_kind().items():
        index[lot_kind] = len(legs)
        legs.append(Leg(wallet, to_account, amount, f"{kind}.{lot_kind}"))
    moves: list[Move] = [
        LotChange(index[d.lot.kind], wallet, d.lot.id, -d.amount) for d in plan.draws
    ]
    return legs, moves


async def send(
    session: Any,
    *,
    currency_id: int,
    sender: int,
    receiver: int,
    amount: int,
    today: date,
    ctx: Context,
    kinds: Sequence[LotKind] = ("coin",),
) -> Posted:
    """Wallet to wallet: the receiver gets lots of the same kind, expiry and restrictions."""
    if sender == receiver:
        raise InvalidOperation("a wallet cannot send to itself")

    def build(locked: Locked) -> Draft:
        return send_draft(locked, sender, receiver, amount, today, kinds, ctx)

    return await post(
        session,
        currency_id=currency_id,
        actor=ctx.actor,
        lock=[sender, receiver],
        lots_of=[sender],
        build=build,
        idempotency=ctx.idempotency,
    )


def send_draft(
    locked: Locked,
    sender: int,
    receiver: int,
    amount: int,
    today: date,
    kinds: Sequence[LotKind],
    ctx: Context,
) -> Draft:
    """The receiver gets lots of the same kind, expiry and restrictions as those spent."""
    accept = spending.of_kinds(kinds)
    plan = spending.plan(locked.lots_of(sender), amount=amount, today=today, accept=accept)
    legs, moves = _take(plan, sender, receiver, "send")
    leg_of = {m.lot_id: m.leg for m in moves if isinstance(m, LotChange)}
    moves += [_copy_lot(leg_of[d.lot.id], receiver, d.lot, d.amount) for d in plan.draws]
    return _draft("send", legs, moves, ctx)


def _copy_lot(
    leg: int, wallet: int, lot: SpendableLot, amount: int, expires_on: date | None = None
) -> NewLot:
    return NewLot(
        leg=leg,
        wallet=wallet,
        kind=lot.kind,
        amount=amount,
        expires_on=expires_on or lot.expires_on,
        programme_id=lot.programme_id,
        allowed_tags=lot.allowed_tags,
        allowed_districts=lot.allowed_districts,
        origin_lot_id=lot.id,
    )


def restore(
    leg: int, wallet: int, lot: SpendableLot, amount: int, *, today: date, grace_days: int
) -> Move:
    """Give value back to the lot it came from; past its expiry, to a new lot with grace."""
    if lot.expires_on >= today:
        return LotChange(leg, wallet, lot.id, amount)
    return _copy_lot(leg, wallet, lot, amount, today + timedelta(days=grace_days))


def _draft(kind: str, legs: Sequence[Leg], moves: Sequence[Move], ctx: Context) -> Draft:
    return Draft(
        kind=kind,
        legs=legs,
        moves=moves,
        reason=ctx.reason,
        details=ctx.details,
        response=ctx.response,
    )


def with_details(ctx: Context, **details: Any) -> Context:
    return replace(ctx, details={**ctx.details, **details})
