"""The one write path: ``post`` locks, lets the caller plan under the lock, checks, writes.

Two round trips: ``ledger_begin`` (idempotency, locks in id order, live lots) and
``ledger_post`` (everything the operation writes). See currency/ledger/sql.py.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    IdempotencyInFlight,
    InsufficientBalance,
    InvalidOperation,
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


_BEGIN = (
    "SELECT ledger_begin($1::smallint, $2::text, $3::text, $4::bytea, $5::bigint[], $6::bigint[])"
)
_POST = "SELECT ledger_post($1::smallint, $2::jsonb)"


async def _begin(
    session: AsyncSession,
    currency_id: int,
    lock_ids: list[int],
    lots_of: list[int],
    idempotency: Idempotency | None,
) -> dict[str, Any]:
    idem = (
        (idempotency.principal, idempotency.key, idempotency.fingerprint)
        if idempotency
        else (None, None, None)
    )
    return await _call(session, _BEGIN, currency_id, *idem, lock_ids, lots_of)


async def _write(
    session: AsyncSession, currency_id: int, payload: dict[str, Any], draft: Draft
) -> dict[str, Any]:
    return await _call(session, _POST, currency_id, json.dumps(payload), draft=draft)


async def _call(
    session: AsyncSession, sql: str, *args: object, draft: Draft | None = None
) -> dict[str, Any]:
    """The hot path talks to asyncpg directly, on the session's own connection and
    transaction: the ORM layer cost more than the database itself (see bench --profile)."""
    driver = await driver_in_transaction(session)
    try:
        answer = await driver.fetchval(sql, *args)
    except asyncpg.PostgresError as exc:
        raise _domain_error(exc, draft) from exc
    # SQLAlchemy's asyncpg dialect installs a jsonb decoder on its connections.
    result: dict[str, Any] = json.loads(answer) if isinstance(answer, str) else answer
    return result


async def driver_in_transaction(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, with the session's transaction begun on it.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement; talking to
    the driver directly we must start it the same way, or the locks would not outlive
    the statement. The final check makes a change in SQLAlchemy fail loudly, never
    silently in autocommit.
    """
    raw = await (await session.connection()).get_raw_connection()
    adapter: Any = raw.dbapi_connection
    if getattr(adapter, "_transaction", None) is None:
        await adapter._start_transaction()
    driver: asyncpg.Connection = raw.driver_connection
    if not driver.is_in_transaction():
        raise RuntimeError("the ledger must run inside a transaction")
    return driver


def _domain_error(exc: asyncpg.PostgresError, draft: Draft | None = None) -> Exception:
    """Map by SQLSTATE, never by constraint name (Citus renames them); the rest is a bug."""
    state = exc.sqlstate
    if state == "MG503" or state in ("40P01", "40001"):
        return LedgerBusy("the ledger is busy; please try again")
    if state == "MG409":
        amount = sum(leg.amount for leg in draft.legs) if draft else 0
        return InsufficientBalance(requested=amount, total=0, spendable=0)
    if state == "23505" and draft is not None and draft.reverses is not None:
        return AlreadyReversed(f"operation {draft.reverses} has already been reversed")
    if state == "MG422":
        return InvalidOperation("the lot movements do not match the transfers")
    unknown: Exception = exc
    return unknown


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
