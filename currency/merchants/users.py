"""A shop's sign-in users (owners and clerks) and the owner's refund PIN.

A clerk refunds only with an owner's PIN typed on the clerk's device: the owner need not
be at the till, but agrees to each refund. PIN failures are counted per shop (five in 15
minutes, then 429) and the count must be COMMITTED although the refund is refused, so
callers check the PIN in a short transaction of their own, as with card PINs.

Passwords and PINs are argon2 hashes (currency/security.py); neither ever reaches the
audit log. A new user's initial password is returned once, to be handed over in person.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.auth import ratelimit
from currency.auth.models import rate_limit
from currency.errors import InvalidOperation, NotFound, NotPermitted, RateLimited, WrongPin
from currency.merchants.models import merchant
from currency.security import hash_secret, verify_secret
from currency.users.models import user

ShopRole = Literal["merchant_owner", "merchant_clerk"]
OWNER_PIN_LIMIT = ratelimit.Limit(5, timedelta(minutes=15))
INITIAL_PASSWORD_CHARS = "23456789abcdefghjkmnpqrstuvwxyz"  # noqa: S105  no 0/o, 1/l/i
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}", re.ASCII)
_PIN = re.compile(r"[0-9]{4,6}", re.ASCII)
COMMON_PINS = frozenset({"2580", "0852", "1004", "6969", "1122", "112233", "123123", "147258"})
NO_OWNER_PIN = "The shop's owner has not set a refund PIN yet; the owner can refund, or set one."
WRONG_OWNER_PIN = "The owner's PIN is not right. Please ask the owner to enter it again."


@dataclass(frozen=True, slots=True)
class ShopUser:
    id: int
    username: str
    display_name: str
    role: str
    status: str
    has_pin: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewUser:
    id: int
    username: str
    display_name: str
    role: str
    initial_password: str  # shown once; only its hash is kept


def initial_password() -> str:
    """Four groups of four (about 79 bits), easy to copy from a printed slip."""
    chars = "".join(secrets.choice(INITIAL_PASSWORD_CHARS) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


async def add_user(
    session: AsyncSession,
    *,
    currency_id: int,
    merchant_id: int,
    role: ShopRole,
    display_name: str,
    username: str | None = None,
    actor: str,
    now: datetime,
) -> NewUser:
    """An owner or clerk login for the shop, with a one-time initial password."""
    if role not in ("merchant_owner", "merchant_clerk"):
        raise InvalidOperation("A shop's user is an owner (merchant_owner) or a clerk.")
    code = await _open_shop_code(session, currency_id, merchant_id)
    name = _display_name(display_name)
    password = initial_password()
    hashed = await asyncio.to_thread(hash_secret, password)
    row = {"display_name": name, "role": role, "merchant_id": merchant_id,
           "password_hash": hashed}  # fmt: skip
    user_id, login = await _insert(session, currency_id, row, username, code)
    summary = {"username": login, "display_name": name, "role": role}
    await audit.record(
        session, currency_id=currency_id, actor=actor, action="merchant_user.add",
        target=f"merchant:{code}", after=summary,
    )  # fmt: skip
    return NewUser(user_id, login, name, role, password)


async def users_of(session: AsyncSession, *, currency_id: int, merchant_id: int) -> list[ShopUser]:
    """The shop's users, oldest first (never a hash: only whether a PIN is set)."""
    u = user.c
    rows = await session.execute(
        sa.select(u.id, u.username, u.display_name, u.role, u.status,
                  u.pin_hash.is_not(None), u.created_at)
        .where(u.currency_id == currency_id, u.merchant_id == merchant_id)
        .order_by(u.id)
    )  # fmt: skip
    return [ShopUser(*row) for row in rows]


async def set_owner_pin(
    session: AsyncSession,
    *,
    currency_id: int,
    user_id: int,
    current_password: str,
    pin: str,
    now: datetime,
) -> None:
    """Set or change an owner's refund PIN, on the owner's current password.

    A wrong password counts like a failed sign-in (commit even when it raises)."""
    row = await _owner(session, currency_id, user_id)
    await ratelimit.hit(
        session, currency_id=currency_id, bucket=ratelimit.bucket("login", "user", row["username"]),
        limit=5, window=timedelta(minutes=15), now=now,
    )  # fmt: skip
    if not await asyncio.to_thread(verify_secret, row["password_hash"], current_password):
        raise InvalidOperation("Your current password is not right; the PIN was not changed.")
    hashed = await asyncio.to_thread(hash_secret, checked_pin(pin))
    await session.execute(
        sa.update(user).where(user.c.currency_id == currency_id, user.c.id == user_id)
        .values(pin_hash=hashed)
    )  # fmt: skip
    await audit.record(
        session, currency_id=currency_id, actor=f"user:{user_id}", action="merchant_user.pin_set",
        target=f"user:{user_id}", before={"pin": "set" if row["pin_hash"] else "none"},
        after={"pin": "set"},
    )  # fmt: skip


async def verify_owner_pin(
    session: AsyncSession, *, currency_id: int, merchant_id: int, pin: str, now: datetime
) -> int:
    """The id of the owner whose PIN this is; WrongPin (counted), or RateLimited after 5
    failures in 15 minutes for this shop. Commit even when it raises."""
    bucket = ratelimit.bucket("owner-pin", "merchant", str(merchant_id))
    await _refuse_if_limited(session, currency_id, bucket, now)
    owners = await _owner_pins(session, currency_id, merchant_id)
    if not owners:
        raise NotPermitted(NO_OWNER_PIN)
    typed = unicodedata.normalize("NFKC", pin).strip() if isinstance(pin, str) else ""
    for owner_id, hashed in owners:
        if await asyncio.to_thread(verify_secret, hashed, typed):
            return owner_id
    await OWNER_PIN_LIMIT.hit(session, "owner-pin", "merchant", str(merchant_id),
                              currency_id=currency_id, now=now)  # fmt: skip
    raise WrongPin(WRONG_OWNER_PIN)


def checked_pin(pin: str) -> str:
    """4–6 digits nobody would guess first; InvalidOperation saying why not."""
    pin = unicodedata.normalize("NFKC", pin).strip() if isinstance(pin, str) else ""
    if not _PIN.fullmatch(pin):
        raise InvalidOperation("A refund PIN has 4 to 6 digits.")
    weakness = pin_weakness(pin)
    if weakness:
        raise InvalidOperation(f"This PIN is too easy to guess: {weakness}. Choose other digits.")
    return pin


def pin_weakness(pin: str) -> str | None:
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps == {0}:
        return "all the digits are the same"
    if steps in ({1}, {9}):
        return "the digits run in order"
    if any(len(pin) % n == 0 and pin == pin[:n] * (len(pin) // n) for n in (2, 3)):
        return "it repeats a short group of digits"
    if pin in COMMON_PINS:
        return "it is one of the most common PINs"
    return None


# --- rows -------------------------------------------------------------------------------


async def _open_shop_code(session: AsyncSession, currency_id: int, merchant_id: int) -> str:
    m = merchant.c
    row = (
        await session.execute(
            sa.select(m.code, m.status).where(m.currency_id == currency_id, m.id == merchant_id)
        )
    ).first()
    if row is None:
        raise NotFound("There is no such shop in this city.")
    if row.status == "closed":
        raise InvalidOperation("This shop is closed; it gets no new users.")
    return str(row.code)


def _display_name(value: str) -> str:
    name = unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""
    if not name or len(name) > 60 or not name.isprintable():
        raise InvalidOperation("Give the person's name as the shop calls them (up to 60 letters).")
    return name


async def _insert(
    session: AsyncSession, currency_id: int, row: dict[str, object], wanted: str | None, code: str
) -> tuple[int, str]:
    """Insert under the wanted username (taken → refused) or ``<code>-<n>``."""
    if wanted is not None:
        wanted = wanted.strip().lower()
        if not _USERNAME.fullmatch(wanted):
            raise InvalidOperation("A username has 3 to 64 lower-case letters, digits, . _ or -.")
    for n in range(1, 1000):
        login = wanted or f"{code.lower()}-{n}"
        statement = insert(user).values(currency_id=currency_id, username=login, **row)
        statement = statement.on_conflict_do_nothing(index_elements=["currency_id", "username"])
        new_id = await session.scalar(statement.returning(user.c.id))
        if new_id is not None:
            return int(new_id), login
        if wanted:
            raise InvalidOperation(f"The username {wanted} is taken; choose another.")
    raise InvalidOperation("This shop has too many users; remove some first.")


async def _owner(session: AsyncSession, currency_id: int, user_id: int) -> sa.RowMapping:
    u = user.c
    row = (
        (
            await session.execute(
                sa.select(u.username, u.password_hash, u.pin_hash).where(
                    u.currency_id == currency_id, u.id == user_id, u.role == "merchant_owner"
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotPermitted("Only a shop's owner sets the refund PIN.")
    return row


async def _owner_pins(
    session: AsyncSession, currency_id: int, merchant_id: int
) -> list[tuple[int, str]]:
    u = user.c
    rows = await session.execute(
        sa.select(u.id, u.pin_hash).where(
            u.currency_id == currency_id, u.merchant_id == merchant_id,
            u.role == "merchant_owner", u.status == "active", u.pin_hash.is_not(None),
        ).order_by(u.id)
    )  # fmt: skip
    return [(int(i), str(h)) for i, h in rows]


async def _refuse_if_limited(
    session: AsyncSession, currency_id: int, bucket: str, now: datetime
) -> None:
    """Refuse before any hash is checked once the shop's failures reached the limit."""
    window = OWNER_PIN_LIMIT.window
    start = ratelimit.window_start(now, window)
    t = rate_limit.c
    hits = await session.scalar(
        sa.select(t.hits).where(
            t.currency_id == currency_id, t.bucket == bucket, t.window_start == start
        )
    )
    if hits is not None and hits >= OWNER_PIN_LIMIT.attempts:
        wait = max(1, int((start + window - now).total_seconds()))
        raise RateLimited(
            f"Too many wrong owner PINs at this shop. Please wait {-(-wait // 60)} minutes, "
            "or ask the owner to make the refund.",
            retry_after=wait,
        )
