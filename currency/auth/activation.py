"""Activation letters: how a resident enrolled at the city counter first opens the wallet.

Staff print a letter with a one-time activation code (``create``); the resident types the
resident number, the code and a new PIN (``activate``), and is signed in. The code is
15 characters in three groups ("K7QXM-4PR9T-WD5HC") from an alphabet without look-alikes
(no 0/O, 1/I/l): about 74 bits, stored only as an HMAC, valid for 30 days, used once.
A new letter supersedes the resident's older unused ones.

Activating again with a new letter is a fresh start (a lost phone, a forgotten PIN):
the old PIN, every sign-in and every passkey of the old phone stop working.

Activation counts attempts per resident number and per address, like PIN sign-in;
commit even when it raises (ratelimit.py explains why).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.auth import login
from currency.auth.models import activation as t
from currency.auth.models import passkey
from currency.auth.ratelimit import Limit
from currency.errors import AccountUnavailable, InvalidCode, NotFound
from currency.residents import numbers
from currency.residents.card_codes import PinRule
from currency.residents.models import resident
from currency.residents.service import normalise_number
from currency.security import hash_secret

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: no 0/O, 1/I/L
GROUPS, GROUP_LENGTH = 3, 5
VALID_FOR = timedelta(days=30)
WRONG_CODE = (
    "The resident number or activation code is not right, or the code is no longer valid. "
    "Check the letter, or ask the city office for a new one."
)
NOT_IN_USE = "This wallet is suspended; please ask the city office."
RESIDENT_LIMIT = Limit(5, timedelta(minutes=15))
IP_LIMIT = Limit(30, timedelta(minutes=15))  # a counter or a family shares one address
APP_PIN = PinRule(re.compile(r"[0-9]{4,6}", re.ASCII), "A PIN is 4 to 6 digits (numbers only).")
check_pin = APP_PIN.check  # 4–6 digits, not easy to guess (0000, 1234, 111111, 121212 …)
pin_weakness = APP_PIN.weakness


@dataclass(frozen=True)
class Letter:
    resident_id: int
    resident_number: str
    name: str
    code: str  # shown once, on the letter; only its HMAC is kept
    expires_at: datetime


async def create(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    staff_user_id: int,
    now: datetime,
    secret: bytes,
) -> Letter:
    """A new activation code for the resident; their older unused codes stop working."""
    row = await _resident(session, currency_id, normalise_number(resident_number))
    if row is None:
        raise NotFound(f"There is no resident {resident_number.strip()}.")
    if row["status"] != "active":
        raise AccountUnavailable(
            f"Resident {row['resident_number']} is suspended; lift the suspension first."
        )
    superseded = await _supersede(session, currency_id, row["id"], now)
    code = new_code()
    expires_at = now + VALID_FOR
    await session.execute(
        sa.insert(t).values(
            currency_id=currency_id, resident_id=row["id"], created_by=staff_user_id,
            code_hash=code_hash(secret, row["id"], code), expires_at=expires_at,
        )
    )  # fmt: skip
    await audit.record(
        session, currency_id=currency_id, actor=f"staff:{staff_user_id}",
        action="resident.activation_letter", target=f"resident:{row['id']}",
        after={"expires_at": expires_at, "superseded": superseded},
    )  # fmt: skip
    return Letter(row["id"], row["resident_number"], row["name"], code, expires_at)


async def activate(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    code: str,
    new_pin: str,
    now: datetime,
    ip: str,
    secret: bytes,
) -> login.Principal:
    """Check the code, set the PIN, and answer who is now signed in. Commit even if it raises."""
    number = numbers.attempted(resident_number)
    await IP_LIMIT.hit(session, "activation", "ip", ip, currency_id=currency_id, now=now)
    await RESIDENT_LIMIT.hit(
        session, "activation", "resident", number, currency_id=currency_id, now=now
    )
    row = await _resident(session, currency_id, number, lock=True)
    letter = None if row is None else await _letter(session, row, code, now, secret)
    if row is None or letter is None:
        raise InvalidCode(WRONG_CODE)
    pin = check_pin(new_pin, birth_year=row["birth_year"])
    if row["status"] != "active":
        raise AccountUnavailable(NOT_IN_USE)
    await session.execute(sa.update(t).where(t.c.id == letter).values(used_at=now))
    removed = await _start_afresh(session, row, await asyncio.to_thread(hash_secret, pin))
    await audit.record(
        session, currency_id=currency_id, actor=f"resident:{row['id']}",
        action="resident.activate", target=f"resident:{row['id']}",
        before={"pin_set": row["pin_hash"] is not None},
        after={"pin_set": True, "passkeys_removed": removed},
    )  # fmt: skip
    who = await _resident(session, currency_id, number)
    assert who is not None
    return login.as_principal("resident", who)


def new_code() -> str:
    """``K7QXM-4PR9T-WD5HC``: 15 symbols of 31, about 74 bits."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    return "-".join(symbols[i : i + GROUP_LENGTH] for i in range(0, len(symbols), GROUP_LENGTH))


def normal_code(code: str) -> str:
    """As typed: full-width, lower case, spaces and hyphens of any kind are forgiven."""
    text = unicodedata.normalize("NFKC", code).upper() if isinstance(code, str) else ""
    return "".join(ch for ch in text if ch.isalnum())


def code_hash(secret: bytes, resident_id: int, code: str) -> bytes:
    message = f"meguri/activation/v1:{resident_id}:{normal_code(code)}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


# --- helpers ----------------------------------------------------------------------------


async def _resident(
    session: AsyncSession, currency_id: int, number: str, *, lock: bool = False
) -> sa.RowMapping | None:
    query = login.principal_query("resident", currency_id, resident.c.resident_number == number)
    if lock:
        query = query.with_for_update(of=resident)
    row: sa.RowMapping | None = (await session.execute(query)).mappings().one_or_none()
    return row


async def _supersede(
    session: AsyncSession, currency_id: int, resident_id: int, now: datetime
) -> int:
    result = await session.execute(
        sa.update(t)
        .where(t.c.currency_id == currency_id, t.c.resident_id == resident_id)
        .where(t.c.used_at.is_(None), t.c.expires_at > now)
        .values(expires_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _letter(
    session: AsyncSession, row: sa.RowMapping, code: str, now: datetime, secret: bytes
) -> int | None:
    """The id of the resident's usable letter with this code, locked."""
    found = await session.scalar(
        sa.select(t.c.id)
        .where(t.c.currency_id == row["currency_id"], t.c.resident_id == row["id"])
        .where(t.c.code_hash == code_hash(secret, row["id"], code))
        .where(t.c.used_at.is_(None), t.c.expires_at > now)
        .with_for_update()
    )
    return None if found is None else int(found)


async def _start_afresh(session: AsyncSession, row: sa.RowMapping, pin_hash: str) -> int:
    """The new PIN; a second activation also ends the old phone's sign-ins and passkeys."""
    values: dict[str, object] = {"pin_hash": pin_hash, "pin_failures": 0}
    removed = 0
    if row["pin_hash"] is not None:
        values["token_version"] = resident.c.token_version + 1
        result = await session.execute(
            sa.delete(passkey).where(
                passkey.c.currency_id == row["currency_id"], passkey.c.resident_id == row["id"]
            )
        )
        removed = int(getattr(result, "rowcount", 0) or 0)
    await session.execute(
        sa.update(resident)
        .where(resident.c.currency_id == row["currency_id"], resident.c.id == row["id"])
        .values(values)
    )
    return removed
