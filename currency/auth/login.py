"""Signing in and staying signed in: staff and merchant users by username and password
(plus a TOTP code when they turned it on), residents by resident number and PIN.

A sign-in returns an access token (ten minutes) and a refresh token (refresh.py). Every
request checks its principal with ``current_principal``: it exists, is active, and its
token version is the token's. A block, a role change or a PIN reset calls
``bump_token_version``: old tokens stop at once.

Attempts are counted per account and per address before any hash is checked
(ratelimit.py). A wrong password and an unknown username take the same path, time (an
argon2 verification either way) and answer. A wrong PIN counts towards the lockout of the
card at the till (five in a row), because it is the same PIN.

Sign-in and refresh write even when they refuse (hits, PIN failures, a revoked family):
run them in a transaction of their own and COMMIT it whatever happens (ratelimit.py shows
how), so a failure counts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.auth import refresh as refresh_tokens
from currency.auth import totp
from currency.auth.keys import SigningKey
from currency.auth.ratelimit import Limit
from currency.auth.tokens import SIGN_IN_AGAIN, Claims, Kind, issue_access, parse_principal
from currency.errors import AccountUnavailable, NotFound, Unauthenticated
from currency.ledger.models import currency
from currency.residents import cards, numbers
from currency.residents.card_codes import MAX_PIN_FAILURES, PinLocked, normal_pin
from currency.residents.models import resident
from currency.security import hash_secret, needs_rehash, verify_secret
from currency.users.models import user

# app_user.role → the role in tokens. "city_auditor" is not yet allowed by app_user's CHECK.
TOKEN_ROLE = {
    "city_admin": "admin",
    "city_staff": "staff",
    "city_auditor": "auditor",
    "merchant_owner": "merchant_owner",
    "merchant_clerk": "merchant_clerk",
}
USER_REFUSED = "The username or password is not right."
RESIDENT_REFUSED = (
    "The resident number or PIN is not right. After 5 wrong PINs in a row the PIN is "
    "locked until the city office resets it."
)
PIN_LOCKED = "The PIN is locked after 5 wrong tries in a row; please ask the city office."
NOT_IN_USE = "This account is not in use at the moment; please ask the city office."

USER_LIMIT = Limit(5, timedelta(minutes=15))
USER_IP_LIMIT = Limit(20, timedelta(minutes=15))
RESIDENT_LIMIT = Limit(5, timedelta(minutes=15))
# Higher: residents at the city counter, a volunteer event's wifi or behind a mobile
# carrier's shared address sign in from one IP; each PIN is still locked after 5.
RESIDENT_IP_LIMIT = Limit(50, timedelta(minutes=15))


@dataclass(frozen=True)
class Principal:
    kind: Kind
    id: int
    role: str
    token_version: int
    currency: str  # its code, as in tokens
    merchant_id: int | None = None
    wallet_account_id: int | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str
    expires_in: int
    role: str
    principal: str


async def login_user(
    session: AsyncSession,
    *,
    currency_id: int,
    username: str,
    password: str,
    totp_code: str | None = None,
    ip: str,
    now: datetime,
    key: SigningKey,
    secret: bytes,
) -> Tokens:
    """Staff and merchant users get tokens. Commit even when it raises."""
    who = await authenticate_user(
        session, currency_id=currency_id, username=username, password=password,
        totp_code=totp_code, ip=ip, now=now, secret=secret,
    )  # fmt: skip
    return await sign_in_as(session, currency_id=currency_id, who=who, now=now, key=key)


async def authenticate_user(
    session: AsyncSession,
    *,
    currency_id: int,
    username: str,
    password: str,
    totp_code: str | None = None,
    ip: str,
    now: datetime,
    secret: bytes,
) -> Principal:
    """Who a username and password (and TOTP code) prove to be, within the rate limits.

    ``secret`` opens TOTP secrets. Commit even when it raises (the limits count)."""
    name = username.casefold()
    await USER_IP_LIMIT.hit(session, "login", "ip", ip, currency_id=currency_id, now=now)
    await USER_LIMIT.hit(session, "login", "user", name, currency_id=currency_id, now=now)
    row = await _one(session, principal_query("user", currency_id, user.c.username == username))
    if not await _verified(row["password_hash"] if row else None, password) or row is None:
        raise Unauthenticated(USER_REFUSED)
    if row["status"] != "active" or row["role"] not in TOKEN_ROLE:
        raise AccountUnavailable(NOT_IN_USE)
    if row["totp_enabled_at"] is not None:
        await totp.require(
            session, currency_id=currency_id, user_id=row["id"], code=totp_code, secret=secret,
            now=now,
        )  # fmt: skip
    if needs_rehash(row["password_hash"]):
        rehashed = await asyncio.to_thread(hash_secret, password)
        await _update(session, "user", currency_id, row["id"], password_hash=rehashed)
    return as_principal("user", row)


async def login_resident(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    pin: str,
    ip: str,
    now: datetime,
    key: SigningKey,
) -> Tokens:
    """Residents by number and PIN (the fallback to passkeys). Commit even when it raises."""
    who = await authenticate_resident(
        session, currency_id=currency_id, resident_number=resident_number, pin=pin, ip=ip, now=now
    )
    return await sign_in_as(session, currency_id=currency_id, who=who, now=now, key=key)


async def authenticate_resident(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    pin: str,
    ip: str,
    now: datetime,
) -> Principal:
    """Who a resident number and PIN prove to be, within the rate limits and the PIN lock.

    Commit even when it raises (failures and limits count)."""
    number = numbers.attempted(resident_number)
    await RESIDENT_IP_LIMIT.hit(session, "pin", "ip", ip, currency_id=currency_id, now=now)
    await RESIDENT_LIMIT.hit(session, "pin", "resident", number, currency_id=currency_id, now=now)
    query = principal_query("resident", currency_id, resident.c.resident_number == number)
    row = await _one(session, query.with_for_update(of=resident))  # guesses count one by one
    if row is not None and row["pin_failures"] >= MAX_PIN_FAILURES:
        raise PinLocked(PIN_LOCKED)
    if not await _verified(row["pin_hash"] if row else None, normal_pin(pin)) or row is None:
        await _count_pin_failure(session, currency_id, row)
        raise Unauthenticated(RESIDENT_REFUSED)
    if row["pin_failures"]:
        await _update(session, "resident", currency_id, row["id"], pin_failures=0)
    if row["status"] != "active":
        raise AccountUnavailable(NOT_IN_USE)
    return as_principal("resident", row)


async def refresh(
    session: AsyncSession, *, currency_id: int, token: str, now: datetime, key: SigningKey
) -> Tokens:
    """New tokens for a refresh token, if its principal may still sign in. Commit always."""
    rotated = await refresh_tokens.rotate(session, currency_id=currency_id, token=token, now=now)
    try:
        who = await check_principal(
            session,
            currency_id=currency_id,
            principal=rotated.principal,
            token_version=rotated.token_version,
        )
    except Unauthenticated:
        await refresh_tokens.revoke_named_family(
            session, currency_id=currency_id, family=rotated.family, now=now
        )
        raise
    return _tokens(who, rotated.new_token, now, key)


async def current_principal(
    session: AsyncSession, *, currency_id: int, claims: Claims
) -> Principal:
    """Who a verified access token speaks for, checked now (not when it was issued)."""
    who = await check_principal(
        session, currency_id=currency_id, principal=claims.sub, token_version=claims.tv
    )
    if who.role != claims.role or who.currency != claims.currency:
        raise Unauthenticated(SIGN_IN_AGAIN)
    return who


async def bump_token_version(session: AsyncSession, *, currency_id: int, principal: str) -> int:
    """Make every token of ``principal`` stop working now (block, role change, PIN reset)."""
    kind, principal_id = parse_principal(principal)
    table = _table(kind)
    version = await session.scalar(
        sa.update(table)
        .where(table.c.currency_id == currency_id, table.c.id == principal_id)
        .values(token_version=table.c.token_version + 1)
        .returning(table.c.token_version)
    )
    if version is None:
        raise NotFound(f"There is no {kind} {principal_id}.")
    return int(version)


# --- helpers ----------------------------------------------------------------------------


async def _verified(hashed: str | None, text: str) -> bool:
    """The same argon2 work whether or not there is an account (security.verify_secret)."""
    return await asyncio.to_thread(verify_secret, hashed, text)


async def _count_pin_failure(
    session: AsyncSession, currency_id: int, row: sa.RowMapping | None
) -> None:
    if row is None:
        return
    failures = await cards.record_pin_failure(
        session, currency_id=currency_id, resident_id=row["id"]
    )
    if failures >= MAX_PIN_FAILURES:
        await audit.record(
            session, currency_id=currency_id, actor="system:sign-in", action="resident.pin_lock",
            target=f"resident:{row['id']}", reason=f"{failures} wrong PINs in a row",
        )  # fmt: skip
        raise PinLocked(PIN_LOCKED)


async def sign_in_as(
    session: AsyncSession, *, currency_id: int, who: Principal, now: datetime, key: SigningKey
) -> Tokens:
    """Tokens for a principal already proven (by password, PIN, passkey or activation)."""
    token = await refresh_tokens.start_family(
        session, currency_id=currency_id, principal=who.name,
        token_version=who.token_version, now=now,
    )  # fmt: skip
    return _tokens(who, token, now, key)


def _tokens(who: Principal, refresh_token: str, now: datetime, key: SigningKey) -> Tokens:
    access = issue_access(
        key=key, principal=who.name, role=who.role, currency=who.currency,
        token_version=who.token_version, now=now,
    )  # fmt: skip
    return Tokens(access.token, refresh_token, access.expires_in, who.role, who.name)


async def check_principal(
    session: AsyncSession, *, currency_id: int, principal: str, token_version: int
) -> Principal:
    """The principal if it exists, is active and still has ``token_version``."""
    kind, principal_id = parse_principal(principal)
    query = principal_query(kind, currency_id, _table(kind).c.id == principal_id)
    row = await _one(session, query)
    if row is None or row["status"] != "active" or row["token_version"] != token_version:
        raise Unauthenticated(SIGN_IN_AGAIN)
    if kind == "user" and row["role"] not in TOKEN_ROLE:
        raise Unauthenticated(SIGN_IN_AGAIN)
    return as_principal(kind, row)


def as_principal(kind: Kind, row: sa.RowMapping) -> Principal:
    if kind == "resident":
        return Principal(
            kind, row["id"], "resident", row["token_version"], row["currency_code"],
            wallet_account_id=row["wallet_account_id"],
        )  # fmt: skip
    role = TOKEN_ROLE[row["role"]]
    merchant_id = row["merchant_id"]
    return Principal(kind, row["id"], role, row["token_version"], row["currency_code"], merchant_id)


def _table(kind: Kind) -> sa.Table:
    return user if kind == "user" else resident


def principal_query(kind: Kind, currency_id: int, which: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The user or resident with its currency's code (which tokens carry)."""
    table = _table(kind)
    return (
        sa.select(table, currency.c.code.label("currency_code"))
        .join(currency, currency.c.id == table.c.currency_id)
        .where(table.c.currency_id == currency_id, which)
    )


async def _one(session: AsyncSession, query: sa.Select[Any]) -> sa.RowMapping | None:
    row: sa.RowMapping | None = (await session.execute(query)).mappings().one_or_none()
    return row


async def _update(
    session: AsyncSession, kind: Kind, currency_id: int, principal_id: int, **values: Any
) -> None:
    table = _table(kind)
    await session.execute(
        sa.update(table)
        .where(table.c.currency_id == currency_id, table.c.id == principal_id)
        .values(**values)
    )
