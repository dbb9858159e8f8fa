"""Residents at the city counter: enrolment, identity verification, suspension.

Every change is a staff action with an audit record. Personal data is kept to what the
service needs (name, kana, district, birth year for the age bands of open data); no
national identifier (マイナンバー) is ever stored.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.clock import today
from currency.errors import AlreadyDone, InvalidOperation, NotFound
from currency.ledger import accounts
from currency.ledger.models import account
from currency.residents import numbers
from currency.residents.models import card, resident

VERIFIED = 2
Status = Literal["active", "suspended"]


@dataclass(frozen=True)
class Enrolled:
    id: int
    resident_number: str
    wallet_account_id: int
    verification_level: int


async def enrol(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    name: str,
    name_kana: str | None,
    district: str,
    birth_year: int | None,
    has_smartphone: bool,
    staff_id: int,
) -> Enrolled:
    """A new resident with an empty wallet (verification level 1 until checked)."""
    number = normalise_number(resident_number)
    _check_person(name, birth_year)
    if await _find(session, currency_id, number) is not None:
        raise AlreadyDone(f"resident number {number} is already enrolled")
    wallet = await accounts.open_account(session, currency_id=currency_id, kind="wallet")
    values = {
        "resident_number": number,
        "name": name.strip(),
        "name_kana": (name_kana or "").strip() or None,
        "district": district,
        "birth_year": birth_year,
        "has_smartphone": has_smartphone,
    }
    resident_id = await session.scalar(
        sa.insert(resident)
        .values(currency_id=currency_id, wallet_account_id=wallet, **values)
        .returning(resident.c.id)
    )
    assert resident_id is not None
    await _audit(session, currency_id, staff_id, "resident.enrol", number, None, values)
    return Enrolled(resident_id, number, wallet, 1)


async def verify_identity(
    session: AsyncSession, *, currency_id: int, resident_number: str, staff_id: int, method: str
) -> Enrolled:
    """Identity checked at the counter (a document seen): the higher wallet limits apply."""
    if not method.strip():
        raise InvalidOperation("say how the identity was checked (e.g. driving licence)")
    row = await _require(session, currency_id, normalise_number(resident_number))
    if row["verification_level"] >= VERIFIED:
        raise AlreadyDone(f"resident {row['resident_number']} is already verified")
    await _update(session, currency_id, row["id"], verification_level=VERIFIED)
    await _audit(
        session, currency_id, staff_id, "resident.verify", row["resident_number"],
        {"verification_level": row["verification_level"]},
        {"verification_level": VERIFIED, "method": method.strip()},
    )  # fmt: skip
    return Enrolled(row["id"], row["resident_number"], row["wallet_account_id"], VERIFIED)


async def set_status(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    status: Status,
    reason: str,
    staff_id: int,
) -> None:
    """Suspend a resident (and block the wallet: nothing can be paid from it) or restore.

    The value stays in the wallet; its lots still expire on their dates.
    """
    if not reason.strip():
        raise InvalidOperation("a change of status needs a reason")
    row = await _require(session, currency_id, normalise_number(resident_number))
    if row["status"] == status:
        raise AlreadyDone(f"resident {row['resident_number']} is already {status}")
    # token_version: a suspension ends every sign-in at once, not when its token expires
    await _update(
        session, currency_id, row["id"], status=status, token_version=row["token_version"] + 1
    )
    wallet_status = "open" if status == "active" else "blocked"
    await session.execute(
        sa.update(account)
        .where(account.c.currency_id == currency_id, account.c.id == row["wallet_account_id"])
        .values(status=wallet_status)
    )
    await _audit(
        session, currency_id, staff_id, f"resident.{status}", row["resident_number"],
        {"status": row["status"]}, {"status": status, "on": today().isoformat()}, reason,
    )  # fmt: skip


def normalise_number(text: str) -> str:
    return numbers.normalise(text)


def _check_person(name: str, birth_year: int | None) -> None:
    if not name.strip() or len(name) > 100:
        raise InvalidOperation("a name of 1 to 100 characters is needed")
    if birth_year is not None and not 1900 <= birth_year <= today().year:
        raise InvalidOperation(f"{birth_year} is not a possible birth year")


async def _find(session: AsyncSession, currency_id: int, number: str) -> Any:
    found = await session.execute(
        sa.select(resident).where(
            resident.c.currency_id == currency_id, resident.c.resident_number == number
        )
    )
    row = found.mappings().first()
    return row


async def _require(session: AsyncSession, currency_id: int, number: str) -> Any:
    row = await _find(session, currency_id, number)
    if row is None:
        raise NotFound(f"no resident has the number {number}")
    return row


async def _update(session: AsyncSession, currency_id: int, resident_id: int, **values: Any) -> None:
    await session.execute(
        sa.update(resident)
        .where(resident.c.currency_id == currency_id, resident.c.id == resident_id)
        .values(**values)
    )


async def _audit(
    session: AsyncSession,
    currency_id: int,
    staff_id: int,
    action: str,
    number: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    reason: str | None = None,
) -> None:
    await audit.record(
        session, currency_id=currency_id, actor=f"staff:{staff_id}", action=action,
        target=f"resident:{number}", before=before, after=after, reason=reason,
    )  # fmt: skip


# --- looking residents up at the counter ---------------------------------------------------

PAGE = 50
_HIRAGANA = range(ord("ぁ"), ord("ゖ") + 1)


@dataclass(frozen=True)
class Found:
    """What a counter clerk needs to pick the right person: no birth year, no wallet."""

    id: int
    resident_number: str
    name: str
    name_kana: str | None
    district: str
    status: str
    verification_level: int
    card_status: str | None  # of the latest card: active, blocked, replaced; None: no card


@dataclass(frozen=True)
class Page:
    items: list[Found]
    next_cursor: str | None  # None on the last page


def folded(text: str) -> str:
    """How names are compared: NFKC (full/half width as one), no blanks, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def katakana(text: str) -> str:
    """Hiragana as katakana, so 「さいき」 finds the kana 「サイキ」."""
    return "".join(chr(ord(ch) + 0x60) if ord(ch) in _HIRAGANA else ch for ch in text)


async def search(
    session: AsyncSession,
    *,
    currency_id: int,
    q: str | None = None,
    district: str | None = None,
    status: Status | None = None,
    cursor: str | None = None,
    limit: int = PAGE,
) -> Page:
    """Residents whose number is ``q`` (exactly, as typed at the counter) or whose name or
    kana contains it (width, case and blanks ignored), in enrolment order, a page at a time."""
    after = _after(cursor)
    r = resident.c
    query = sa.select(*_found_columns()).where(r.currency_id == currency_id, r.id > after)
    if q and q.strip():
        query = query.where(_matches(q))
    if district:
        query = query.where(r.district == district.strip())
    if status:
        query = query.where(r.status == status)
    rows = (await session.execute(query.order_by(r.id).limit(limit + 1))).mappings().all()
    items = [Found(**row) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(items, str(items[-1].id) if more else None)


async def record_view(
    session: AsyncSession, *, currency_id: int, resident_number: str, actor: str
) -> None:
    """Who opened whose record: a city answers a resident who asks who looked them up."""
    await audit.record(
        session, currency_id=currency_id, actor=actor, action="resident.viewed",
        target=f"resident:{numbers.canonical(resident_number)}",
    )  # fmt: skip


def _after(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 18:
        raise InvalidOperation("This page cursor is not one of ours; start from the first page.")
    return int(cursor)


def _fold(column: Any) -> Any:
    nfkc = sa.func.normalize(column, sa.literal_column("NFKC"))
    return sa.func.lower(sa.func.regexp_replace(nfkc, r"\s", "", "g"))


def _matches(q: str) -> Any:
    r = resident.c
    wanted = folded(q)
    by_name = _fold(r.name).contains(wanted, autoescape=True)
    by_kana = sa.or_(
        _fold(r.name_kana).contains(wanted, autoescape=True),
        _fold(r.name_kana).contains(katakana(wanted), autoescape=True),
    )
    return sa.or_(r.resident_number == numbers.canonical(q), by_name, by_kana)


def _found_columns() -> list[Any]:
    r = resident.c
    latest = (
        sa.select(card.c.status)
        .where(card.c.currency_id == r.currency_id, card.c.resident_id == r.id)
        .order_by(card.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return [
        r.id, r.resident_number, r.name, r.name_kana, r.district, r.status,
        r.verification_level, latest.label("card_status"),
    ]  # fmt: skip
