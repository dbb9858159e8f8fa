"""A wallet's history as its owner reads it: each operation that touched the wallet, newest
first, with what it did to the wallet and whom it was with. Read-only.

One statement per page. The page's operations come from the wallet's transfers on either
side, each side read backwards along its ``(currency_id, debit|credit_account_id,
created_at)`` index and stopped after a page, so a long history costs no more than a short
one. The position is a keyset on ``(created_at, operation_id)`` (the operation id breaks
ties between operations of one transaction); it names a point in time, not a wallet, so a
cursor copied from someone else's listing only continues this wallet's own list.

What a resident sees of the other side: a shop's registered name; never another
resident's name or number (only "another resident"); nothing for the city's own accounts.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import InvalidOperation, NotFound
from currency.ledger.models import operation
from currency.residents.models import resident

ANOTHER_RESIDENT = "another resident"
MAX_LIMIT = 100
BAD_CURSOR = "This page link is not valid (it may be cut short); please start from the first page."
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NEWEST = (datetime.max.replace(tzinfo=UTC), 2**63 - 1)

Side = Literal["shop", "resident", "city"]

# Each side read backwards along its (currency_id, side_account_id, created_at) index.
PAGE = """
WITH page AS (
  SELECT operation_id, created_at FROM (
    (SELECT DISTINCT t.operation_id, t.created_at FROM ledger_transfer t
      WHERE t.currency_id = :c AND t.debit_account_id = :w
        AND t.created_at <= :at AND (t.created_at < :at OR t.operation_id < :op)
      ORDER BY t.created_at DESC, t.operation_id DESC LIMIT :n)
    UNION
    (SELECT DISTINCT t.operation_id, t.created_at FROM ledger_transfer t
      WHERE t.currency_id = :c AND t.credit_account_id = :w
        AND t.created_at <= :at AND (t.created_at < :at OR t.operation_id < :op)
      ORDER BY t.created_at DESC, t.operation_id DESC LIMIT :n)
  ) AS either_side
  ORDER BY created_at DESC, operation_id DESC LIMIT :n
)
-- one primary-key or unique-index probe per line, whatever the planner thinks of the page
SELECT p.operation_id, p.created_at, t.leg, t.kind AS leg_kind, x.signed_amount,
       (SELECT o.kind FROM ledger_operation o
         WHERE o.currency_id = :c AND o.id = p.operation_id) AS operation_kind,
       (SELECT r.kind FROM ledger_transfer r
         WHERE r.currency_id = :c AND r.id = t.reverses_transfer_id) AS reversed_leg_kind,
       (SELECT a.kind FROM ledger_account a
         WHERE a.currency_id = :c AND a.id = x.other) AS other_kind,
       (SELECT m.name FROM merchant m
         WHERE m.currency_id = :c AND m.account_id = x.other) AS shop_name
  FROM page p
  CROSS JOIN LATERAL (  -- the page's own legs, by (currency_id, operation_id, leg);
    SELECT * FROM ledger_transfer t  -- OFFSET 0 keeps it a lookup per operation
     WHERE t.currency_id = :c AND t.operation_id = p.operation_id
       AND (t.debit_account_id = :w OR t.credit_account_id = :w)
    OFFSET 0
  ) AS t
  CROSS JOIN LATERAL (
    SELECT CASE WHEN t.credit_account_id = :w THEN t.amount ELSE -t.amount END,
           CASE WHEN t.credit_account_id = :w THEN t.debit_account_id
                ELSE t.credit_account_id END
  ) AS x(signed_amount, other)
 ORDER BY p.created_at DESC, p.operation_id DESC, t.leg
"""


@dataclass
class Entry:
    """One operation as the wallet saw it: ``amount`` is signed (+ in, − out)."""

    operation_id: int
    kind: str
    amount: int
    by_kind: dict[str, int]
    counterpart_kind: Side
    counterpart: str | None
    created_at: datetime


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_cursor: str | None = None


@dataclass(frozen=True)
class Receipt:
    operation_id: int
    kind: str
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Owner:
    """Whose wallet it is, as the wallet's header shows it."""

    resident_number: str
    name: str
    district: str
    verification_level: int


async def page(
    session: AsyncSession,
    *,
    currency_id: int,
    wallet_account_id: int,
    cursor: str | None = None,
    limit: int = 20,
) -> Page:
    """Up to ``limit`` operations older than ``cursor`` (the newest when none), newest first,
    and the cursor of the next page if there is one."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidOperation(f"a page holds 1 to {MAX_LIMIT} operations")
    at, op = read_cursor(cursor) if cursor else _NEWEST
    params = {"c": currency_id, "w": wallet_account_id, "at": at, "op": op, "n": limit + 1}
    rows = (await session.execute(sa.text(PAGE), params)).mappings().all()
    entries = _entries(rows)
    if len(entries) <= limit:
        return Page(entries)
    last = entries[limit - 1]
    return Page(entries[:limit], make_cursor(last.created_at, last.operation_id))


def make_cursor(created_at: datetime, operation_id: int) -> str:
    micros = (created_at - _EPOCH) // _MICROSECOND
    return base64.urlsafe_b64encode(f"{micros}.{operation_id}".encode()).decode().rstrip("=")


def read_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor names; InvalidOperation for anything we did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        micros, operation_id = (int(part) for part in raw.split("."))
        return _EPOCH + micros * _MICROSECOND, operation_id
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError) as error:
        raise InvalidOperation(BAD_CURSOR) from error


def _entries(rows: Sequence[Any]) -> list[Entry]:
    """The page's rows (one per leg touching the wallet) folded into one entry each."""
    found: dict[int, Entry] = {}
    for row in rows:
        entry = found.get(row["operation_id"])
        if entry is None:
            entry = Entry(row["operation_id"], row["operation_kind"], 0, {}, "city", None,
                          row["created_at"])  # fmt: skip
            found[entry.operation_id] = entry
        _add_leg(entry, row)
    return list(found.values())


def _add_leg(entry: Entry, row: Any) -> None:
    amount = int(row["signed_amount"])
    entry.amount += amount
    kind = _lot_kind(row["leg_kind"]) or _lot_kind(row["reversed_leg_kind"]) or "other"
    entry.by_kind[kind] = entry.by_kind.get(kind, 0) + amount
    side, name = _counterpart(row["other_kind"], row["shop_name"])
    # A shop or a resident tells more than the city's own accounts (issued, fees …).
    if side != "city" and entry.counterpart_kind == "city":
        entry.counterpart_kind, entry.counterpart = side, name


def _lot_kind(leg_kind: str | None) -> str | None:
    """A leg's kind ends in its lot kind ("payment.coin", "charge.premium.point")."""
    last = (leg_kind or "").rpartition(".")[2]
    return last if last in ("coin", "point") else None


def _counterpart(other_kind: str, shop_name: str | None) -> tuple[Side, str | None]:
    if other_kind == "merchant":
        return "shop", shop_name
    if other_kind == "wallet":
        return "resident", ANOTHER_RESIDENT
    return "city", None


async def receipt(session: AsyncSession, *, currency_id: int, operation_id: int) -> Receipt:
    """An operation as it was stored, for an answer that reads the same on every retry
    (``Posted.response`` holds the caller's response only when it is a replay)."""
    o = operation.c
    row = (
        await session.execute(
            sa.select(o.kind, o.details, o.created_at).where(
                o.currency_id == currency_id, o.id == operation_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"operation {operation_id} does not exist")
    return Receipt(operation_id, row.kind, dict(row.details), row.created_at)


async def owner(session: AsyncSession, *, currency_id: int, resident_id: int) -> Owner:
    """The signed-in resident's own particulars (nothing else of theirs, nobody else's)."""
    r = resident.c
    row = (
        await session.execute(
            sa.select(r.resident_number, r.name, r.district, r.verification_level).where(
                r.currency_id == currency_id, r.id == resident_id
            )
        )
    ).first()
    if row is None:
        raise NotFound("this resident is not registered")
    return Owner(row.resident_number, row.name, row.district, int(row.verification_level))
