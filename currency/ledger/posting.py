"""The one write path: lock, let the caller plan under the lock, check, write.

``post`` writes one operation inside the caller's session; ``post_many`` writes several
independent operations in one transaction (see currency/ledger/group.py), with the same
two SQL calls: ``ledger_begin_many`` (idempotency, locks in id order, live lots) and
``ledger_write`` (everything the operations write). See currency/ledger/sql_many.py.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from currency.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    IdempotencyInFlight,
    InsufficientBalance,
    InvalidOperation,
    LedgerBusy,
)
from currency.ledger import broken_locks
from currency.ledger.checks import check
from currency.ledger.spending import SpendableLot
from currency.ledger.types import (
    Account,
    Builder,
    Draft,
    Idempotency,
    Locked,
    Posted,
    WalletLot,
)
from currency.ledger.writing import write_arguments


@dataclass(frozen=True)
class Prefetch:
    """What the builder needs besides accounts and lots, read in the same transaction after
    the locks are taken (so it sees what the locks protect, e.g. today's spending).

    ``sql`` takes the currency ($1) and one array per element of ``args`` ($2, $3 …), the
    same element of every request of a batch that shares this ``sql``; it returns at most
    one row per request, whose first column is the request's 1-based position in the
    arrays. One query per batch, however many requests it holds.
    """

    sql: str
    args: tuple[int, ...]


@dataclass(frozen=True)
class Request:
    """One operation to post. ``lock`` names every wallet and every debited merchant;
    ``lots_of`` the wallets whose live lots the builder needs."""

    actor: str
    lock: tuple[int, ...]
    build: Builder
    lots_of: tuple[int, ...] = ()
    idempotency: Idempotency | None = None
    prefetch: Prefetch | None = None
    accounts: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "accounts", frozenset(self.lock) | frozenset(self.lots_of))


Outcome = Posted | Exception


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
    """Write one operation in the session's transaction."""
    request = Request(actor, tuple(lock), build, tuple(lots_of), idempotency)
    return await post_request(session, currency_id=currency_id, request=request)


async def post_request(session: AsyncSession, *, currency_id: int, request: Request) -> Posted:
    driver = await driver_in_transaction(session)
    [outcome] = await post_many(driver, currency_id, [request])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


async def post_many(
    driver: asyncpg.Connection, currency_id: int, requests: Sequence[Request]
) -> list[Outcome]:
    """Post independent operations (no account in two of them) in the open transaction.

    A request refused while planning gets its exception in its place; the others are
    written. An error while writing raises: the transaction is then unusable.
    """
    _require_disjoint(requests)
    begun = await _call(driver, _BEGIN, *_begin_arguments(currency_id, requests))
    found = await _prefetch(driver, currency_id, requests)
    seen = _locked(begun)
    outcomes: dict[int, Outcome] = {}
    drafts: list[tuple[int, Draft]] = []
    for i, (request, status) in enumerate(zip(requests, begun["status"], strict=True)):
        planned = await _plan(request, status, seen, found.get(i))
        if isinstance(planned, Draft):
            drafts.append((i, planned))
        else:
            outcomes[i] = planned
    if drafts:
        if broken_locks.ENABLED:  # the chaos harness's broken build; never in normal runs
            await broken_locks.write_back_what_was_read(
                driver, currency_id, seen, [d for _, d in drafts]
            )
        written = await _write(driver, currency_id, requests, drafts)
        for (i, draft), result in zip(drafts, written, strict=True):
            # the same shape a replay returns: the caller's response with the ids over it
            outcomes[i] = _posted({**draft.response, **result})
    return [outcomes[i] for i in range(len(requests))]


_BEGIN = (
    "SELECT ledger_begin_many($1::smallint, $2::text[], $3::text[], $4::bytea[], "
    "$5::bigint[], $6::bigint[])"
)
_WRITE = "SELECT ledger_write(" + ", ".join(f"${n}" for n in range(1, 29)) + ")"


def _require_disjoint(requests: Sequence[Request]) -> None:
    seen: set[int] = set()
    for request in requests:
        if seen & request.accounts:
            raise ValueError("requests posted together must not share an account")
        seen |= request.accounts


async def _prefetch(
    driver: asyncpg.Connection, currency_id: int, requests: Sequence[Request]
) -> dict[int, Mapping[str, Any]]:
    """Each distinct prefetch query once, with its requests' arguments as arrays."""
    by_sql: dict[str, list[int]] = {}
    for i, request in enumerate(requests):
        if request.prefetch:
            by_sql.setdefault(request.prefetch.sql, []).append(i)
    found: dict[int, Mapping[str, Any]] = {}
    for sql, members in by_sql.items():
        columns = zip(*(_prefetch_args(requests[i]) for i in members), strict=True)
        for row in await driver.fetch(sql, currency_id, *(list(c) for c in columns)):
            found[members[row[0] - 1]] = row
    return found


def _prefetch_args(request: Request) -> tuple[int, ...]:
    assert request.prefetch is not None
    return request.prefetch.args


def _begin_arguments(currency_id: int, requests: Sequence[Request]) -> list[object]:
    idem = [r.idempotency for r in requests]
    lock = sorted({a for r in requests for a in r.lock})
    lots_of = sorted({w for r in requests for w in r.lots_of})
    if broken_locks.ENABLED:
        lock, lots_of = broken_locks.unlocked(lock, lots_of)
    return [
        currency_id,
        [i.principal if i else None for i in idem],
        [i.key if i else None for i in idem],
        [i.fingerprint if i else None for i in idem],
        lock,
        lots_of,
    ]


async def _plan(
    request: Request,
    status: Any,
    seen: Locked,
    found: Mapping[str, Any] | None,
) -> Draft | Outcome:
    if isinstance(status, dict):
        return _posted(status["replay"], replayed=True)
    if status == "in_flight":
        return IdempotencyInFlight("a request with this Idempotency-Key is still in progress")
    if status == "conflict":
        return IdempotencyConflict("this Idempotency-Key was already used for another request")
    locked = seen.only(request.accounts, request.lots_of, found)
    try:
        built = request.build(locked)
        draft = await built if inspect.isawaitable(built) else built
        check(draft, locked, set(request.lock))
    except Exception as exc:  # refused: this request only
        return exc
    return draft


async def _write(
    driver: asyncpg.Connection,
    currency_id: int,
    requests: Sequence[Request],
    drafts: list[tuple[int, Draft]],
) -> list[dict[str, Any]]:
    entries = [(d, requests[i].actor, requests[i].idempotency) for i, d in drafts]
    args = write_arguments(currency_id, entries)
    only = drafts[0][1] if len(drafts) == 1 else None
    written: list[dict[str, Any]] = await _call(driver, _WRITE, *args, draft=only)
    return written


async def _call(
    driver: asyncpg.Connection, sql: str, *args: object, draft: Draft | None = None
) -> Any:
    try:
        answer = await driver.fetchval(sql, *args)
    except asyncpg.PostgresError as exc:
        raise _domain_error(exc, draft) from exc
    return json.loads(answer)


async def driver_in_transaction(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, with the session's transaction begun on it.

    The hot path talks to asyncpg directly: the ORM layer cost more than the database
    itself (bench --profile). SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its
    first statement; talking to the driver directly we must start it the same way, or the
    locks would not outlive the statement. The final check makes a change in SQLAlchemy
    fail loudly, never silently in autocommit.
    """
    return await driver_of(await session.connection())


async def driver_of(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under ``conn``, with ``conn``'s transaction begun on it."""
    raw = await conn.get_raw_connection()
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
