"""The one write path: ``post`` locks, lets the caller plan under the lock, checks, writes.

Two round trips: ``ledger_begin`` (idempotency, locks in id order, live lots) and
``ledger_post`` (everything the operation writes). See currency/ledger/sql.py.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    IdempotencyInFlight,
    InsufficientBalance,
    LedgerBusy,
)
from currency.ledger.checks import check
from currency.ledger.spending import SpendableLot
from currency.ledger.types import (
    Account,
    Builder,
    Draft,
    Idempotency,
    Locked,
    LotChange,
    Move,
    Posted,
    WalletLot,
)


async def post(
    session: AsyncSession,
    *,
    currency_id: int,
    actor: str,
    lock: Iterable[int],
    build: Builder,
    lots_of: Iterable[int] = (),
    idempotency: Idempotency | None = None,
) -> Posted:
    """Write one operation. ``lock`` names every wallet and every debited merchant."""
    lock_ids = sorted(set(lock))
    begun = await _begin(session, currency_id, lock_ids, sorted(set(lots_of)), idempotency)
    if begun["status"] == "replay":
        return _posted(begun["response"], replayed=True)
    if begun["status"] == "in_flight":
        raise IdempotencyInFlight("a request with this Idempotency-Key is still in progress")
    if begun["status"] == "conflict":
        raise IdempotencyConflict("this Idempotency-Key was already used for another request")
    locked = _locked(begun)
    built = build(locked)
    draft = await built if inspect.isawaitable(built) else built
    check(draft, locked, set(lock_ids))
    payload = _payload(draft, actor=actor, idempotency=idempotency)
    return _posted(await _write(session, currency_id, payload, draft))


async def _begin(
    session: AsyncSession,
    currency_id: int,
    lock_ids: list[int],
    lots_of: list[int],
    idempotency: Idempotency | None,
) -> dict[str, Any]:
    call = sa.func.ledger_begin(
        sa.literal(currency_id, sa.SmallInteger),
        sa.literal(idempotency.principal if idempotency else None, sa.Text),
        sa.literal(idempotency.key if idempotency else None, sa.Text),
        sa.literal(idempotency.fingerprint if idempotency else None, BYTEA),
        sa.literal(lock_ids, ARRAY(sa.BigInteger)),
        sa.literal(lots_of, ARRAY(sa.BigInteger)),
        type_=JSONB,
    )
    try:
        result: dict[str, Any] = (await session.execute(sa.select(call))).scalar_one()
    except DBAPIError as exc:
        raise _domain_error(exc) from exc
    return result


async def _write(
    session: AsyncSession, currency_id: int, payload: dict[str, Any], draft: Draft
) -> dict[str, Any]:
    call = sa.func.ledger_post(
        sa.literal(currency_id, sa.SmallInteger), sa.literal(payload, JSONB), type_=JSONB
    )
    try:
        result: dict[str, Any] = (await session.execute(sa.select(call))).scalar_one()
    except DBAPIError as exc:
        raise _domain_error(exc, draft) from exc
    return result


def _domain_error(exc: DBAPIError, draft: Draft | None = None) -> Exception:
    """Map by SQLSTATE and table, never by constraint name (Citus renames them)."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if state == "MG503" or state in ("40P01", "40001"):
        return LedgerBusy("the ledger is busy; please try again")
    if state == "MG409":
        amount = sum(leg.amount for leg in draft.legs) if draft else 0
        return InsufficientBalance(requested=amount, total=0, spendable=0)
    if state == "23505" and draft is not None and draft.reverses is not None:
        return AlreadyReversed(f"operation {draft.reverses} has already been reversed")
    return exc


def _locked(begun: Mapping[str, Any]) -> Locked:
    accounts = {
        a[0]: Account(id=a[0], kind=a[1], status=a[2], balance=a[3]) for a in begun["accounts"]
    }
    lots = [
        WalletLot(
            wallet_account_id=row[1],
            lot=SpendableLot(
                id=row[0],
                kind=row[2],
                amount_remaining=row[3],
                expires_on=date.fromisoformat(row[4]),
                allowed_tags=None if row[5] is None else frozenset(row[5]),
                allowed_districts=None if row[6] is None else frozenset(row[6]),
                programme_id=row[7],
            ),
        )
        for row in begun["lots"]
    ]
    return Locked(accounts=accounts, lots=lots)


def _posted(result: Mapping[str, Any], *, replayed: bool = False) -> Posted:
    transfers = result.get("transfers") or {}
    return Posted(
        operation_id=int(result["operation_id"]),
        transfer_ids=tuple(int(transfers[k]) for k in sorted(transfers, key=int)),
        lot_ids=tuple(int(i) for i in result.get("lots") or ()),
        replayed=replayed,
        response=dict(result),
    )


def _payload(draft: Draft, *, actor: str, idempotency: Idempotency | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": draft.kind,
        "actor": actor,
        "reason": draft.reason,
        "reverses": draft.reverses,
        "details": dict(draft.details),
        "legs": [
            {
                "leg": i,
                "debit": g.debit,
                "credit": g.credit,
                "amount": g.amount,
                "kind": g.kind,
                "reverses": g.reverses,
            }
            for i, g in enumerate(draft.legs)
        ],
        "moves": [_move(m) for m in draft.moves],
    }
    if idempotency is not None:
        payload["key"] = idempotency.key
        payload["idempotency"] = {
            "principal": idempotency.principal,
            "key": idempotency.key,
            "fingerprint": idempotency.fingerprint.hex(),
            "response": dict(draft.response),
        }
    return payload


def _move(move: Move) -> dict[str, Any]:
    if isinstance(move, LotChange):
        return {"leg": move.leg, "lot": move.lot_id, "wallet": move.wallet, "amount": move.amount}
    return {
        "leg": move.leg,
        "lot": None,
        "wallet": move.wallet,
        "amount": move.amount,
        "kind": move.kind,
        "programme": move.programme_id,
        "expires_on": move.expires_on.isoformat(),
        "tags": None if move.allowed_tags is None else sorted(move.allowed_tags),
        "districts": None if move.allowed_districts is None else sorted(move.allowed_districts),
        "origin": move.origin_lot_id,
    }
