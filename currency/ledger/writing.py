"""Drafts as the typed column arrays ``ledger_write`` takes (see sql_many.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from currency.ledger.types import Draft, Idempotency, Leg, LotChange, Move, NewLot

Entry = tuple[Draft, str, Idempotency | None]


def write_arguments(currency_id: int, entries: Sequence[Entry]) -> list[object]:
    """The 28 arguments of ``ledger_write``: 9 per operation, 7 per leg, 11 per movement."""
    ops = [_operation(d, actor, idem) for d, actor, idem in entries]
    legs = [_leg(n, i, g) for n, (d, _, _) in enumerate(entries, 1) for i, g in enumerate(d.legs)]
    moves = [_move(n, m) for n, (d, _, _) in enumerate(entries, 1) for m in d.moves]
    return [currency_id, *_columns(ops, 9), *_columns(legs, 7), *_columns(moves, 11)]


def _columns(rows: list[tuple[object, ...]], width: int) -> list[list[object]]:
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def _operation(draft: Draft, actor: str, idem: Idempotency | None) -> tuple[object, ...]:
    return (
        draft.kind,
        actor,
        draft.reason,
        draft.reverses,
        _json(dict(draft.details)),
        idem.principal if idem else None,
        idem.key if idem else None,
        idem.fingerprint if idem else None,
        _json(dict(draft.response)) if idem else None,
    )


def _leg(op: int, index: int, leg: Leg) -> tuple[object, ...]:
    return (op, index, leg.debit, leg.credit, leg.amount, leg.kind, leg.reverses)


def _move(op: int, move: Move) -> tuple[object, ...]:
    if isinstance(move, LotChange):
        return (op, move.leg, move.lot_id, move.wallet, move.amount, *(None,) * 6)
    new: NewLot = move
    return (
        op,
        new.leg,
        None,
        new.wallet,
        new.amount,
        new.kind,
        new.programme_id,
        new.expires_on,
        _json(sorted(new.allowed_tags)) if new.allowed_tags is not None else None,
        _json(sorted(new.allowed_districts)) if new.allowed_districts is not None else None,
        new.origin_lot_id,
    )


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
