"""Browser sessions of the pages: an opaque token in an HttpOnly cookie, stored hashed.

A sign-in on a page starts a session (``start``); every request with the cookie resolves
it (``resolve``) and gets the principal checked now, exactly as an access token's is
(login.py): a block, a PIN reset or a role change bumps the token version and ends the
session at once. Requests that change something also carry the session's CSRF token
(``check_csrf``); it is derived from the session token, so a page can be given it again at
any time, and only its hash is stored.

How long a session lasts depends on who uses it:

- residents (phones, often elderly): 30 days from the last use, sliding, so the PIN is
  not asked for at every visit to the shop; a phone unused for a month signs in again.
- shop users (a shared till): a shop day, 12 hours at most, ended after 2 idle hours.
- city staff (personal data): ended after 30 idle minutes, 10 hours at most (a shift).

A page can show the idle time left and extend it (``extend``): no timeout that cannot be
extended before it ends. ``last_seen_at`` moves at most once a minute, to keep writes low.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth import login
from currency.auth.models import web_session as t
from currency.auth.refresh import revoke_rows
from currency.auth.tokens import SIGN_IN_AGAIN
from currency.errors import NotPermitted, Unauthenticated
from currency.residents.models import resident
from currency.users.models import user

TOKEN_BYTES = 32  # 256 bits
SLIDE_EVERY = timedelta(minutes=1)
CSRF_REFUSED = (
    "This page is out of date or was not opened from Meguri, so nothing was changed. "
    "Please reload the page and try again."
)

Audience = Literal["resident", "shop", "staff"]


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta
    absolute: timedelta | None  # None: slides with each use (residents)


LIFETIMES: dict[Audience, Lifetime] = {
    "resident": Lifetime(idle=timedelta(days=30), absolute=None),
    "shop": Lifetime(idle=timedelta(hours=2), absolute=timedelta(hours=12)),
    "staff": Lifetime(idle=timedelta(minutes=30), absolute=timedelta(hours=10)),
}


class CsrfRefused(NotPermitted):
    """A cookie-authenticated change without this session's CSRF token (or from elsewhere)."""


@dataclass(frozen=True)
class Started:
    token: str
    csrf_token: str
    expires_at: datetime
    idle_seconds: int


@dataclass(frozen=True)
class WebSession:
    id: int
    principal: str
    csrf_hash: bytes
    last_seen_at: datetime
    expires_at: datetime
    life: Lifetime

    @property
    def ends_at(self) -> datetime:
        """When it ends unless used (or extended) before: idle or absolute, whichever first."""
        return min(self.last_seen_at + self.life.idle, self.expires_at)

    def idle_seconds_left(self, now: datetime) -> int:
        return max(0, int((self.ends_at - now).total_seconds()))


def audience(who: login.Principal) -> Audience:
    if who.kind == "resident":
        return "resident"
    return "shop" if who.merchant_id is not None else "staff"


def csrf_token_for(token: str) -> str:
    """The CSRF token of the session ``token`` (a keyed hash: it reveals nothing of it)."""
    return hmac.new(token.encode(), b"meguri-csrf", hashlib.sha256).hexdigest()


def _hash(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


async def start(
    session: AsyncSession, *, currency_id: int, principal: login.Principal, now: datetime
) -> Started:
    """A new session for a principal who has just proved who they are."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    csrf = csrf_token_for(token)
    life = LIFETIMES[audience(principal)]
    expires_at = now + (life.absolute or life.idle)
    await session.execute(
        sa.insert(t).values(
            currency_id=currency_id,
            principal=principal.name,
            token_hash=_hash(token),
            csrf_hash=_hash(csrf),
            token_version=principal.token_version,
            last_seen_at=now,
            expires_at=expires_at,
        )
    )
    return Started(token, csrf, expires_at, int(min(life.idle, expires_at - now).total_seconds()))


async def resolve(
    session: AsyncSession, *, currency_id: int, token: str, now: datetime, touch: bool = True
) -> tuple[login.Principal, WebSession]:
    """The principal of a live session, checked now; Unauthenticated otherwise. The use
    counts as activity (``touch``) except for a page only asking how long it has left."""
    row = await _row(session, currency_id, token)
    if row is None or row["revoked_at"] is not None:
        raise Unauthenticated(SIGN_IN_AGAIN)
    who = await _still_allowed(session, currency_id, row["principal"], row["token_version"])
    found = _as_session(row, LIFETIMES[audience(who)])
    if found.ends_at <= now:
        raise Unauthenticated(SIGN_IN_AGAIN)
    if touch and now - found.last_seen_at >= SLIDE_EVERY:
        found = await _touch(session, currency_id, found, now)
    return who, found


async def extend(
    session: AsyncSession, *, currency_id: int, token: str, now: datetime
) -> WebSession:
    """Restart the idle time now (the page's "I am still here"); not past the absolute end."""
    _, found = await resolve(session, currency_id=currency_id, token=token, now=now)
    if found.last_seen_at == now:
        return found
    return await _touch(session, currency_id, found, now)


def check_csrf(web_session: WebSession, csrf_token: str | None) -> None:
    """Refuse a change that does not carry this session's CSRF token (constant time)."""
    given = _hash(csrf_token) if isinstance(csrf_token, str) else b""
    if not hmac.compare_digest(given, web_session.csrf_hash):
        raise CsrfRefused(CSRF_REFUSED)


async def end(session: AsyncSession, *, currency_id: int, token: str, now: datetime) -> None:
    """Sign out this session (an unknown or ended one changes nothing)."""
    await revoke_rows(session, t, currency_id, t.c.token_hash == _hash(token), now)


async def end_all(
    session: AsyncSession, *, currency_id: int, principal: str, now: datetime
) -> int:  # principal: its name, "resident:34"
    """Sign out every browser of a principal (lost phone, password changed); how many."""
    return await revoke_rows(session, t, currency_id, t.c.principal == principal, now)


async def purge(session: AsyncSession, *, currency_id: int, now: datetime) -> int:
    """Delete sessions that can no longer be used (ended, revoked); for the hourly job."""
    longest_idle = max(life.idle for life in LIFETIMES.values())
    deleted = await session.scalars(
        sa.delete(t)
        .where(
            t.c.currency_id == currency_id,
            sa.or_(
                t.c.expires_at <= now,
                t.c.revoked_at.is_not(None),
                t.c.last_seen_at <= now - longest_idle,
            ),
        )
        .returning(t.c.id)
    )
    return len(deleted.all())


async def display_name(session: AsyncSession, *, currency_id: int, who: login.Principal) -> str:
    """The name a page greets the principal with (a resident's name, a user's display name)."""
    table, column = (
        (resident, resident.c.name) if who.kind == "resident" else (user, user.c.display_name)
    )
    name = await session.scalar(
        sa.select(column).where(table.c.currency_id == currency_id, table.c.id == who.id)
    )
    return str(name or "")


# --- helpers ----------------------------------------------------------------------------


async def _still_allowed(
    session: AsyncSession, currency_id: int, principal: str, token_version: int
) -> login.Principal:
    """login's own check of a sign-in (exists, active, same token version), as for tokens."""
    return await login.check_principal(
        session, currency_id=currency_id, principal=principal, token_version=token_version
    )


async def _row(session: AsyncSession, currency_id: int, token: str) -> sa.RowMapping | None:
    query = sa.select(t).where(t.c.currency_id == currency_id, t.c.token_hash == _hash(token))
    row: sa.RowMapping | None = (await session.execute(query)).mappings().one_or_none()
    return row


def _as_session(row: sa.RowMapping, life: Lifetime) -> WebSession:
    return WebSession(
        row["id"], row["principal"], row["csrf_hash"], row["last_seen_at"], row["expires_at"], life
    )


async def _touch(
    session: AsyncSession, currency_id: int, found: WebSession, now: datetime
) -> WebSession:
    """Mark the session used now; a resident's also moves its end (sliding)."""
    slides = found.life.absolute is None
    expires_at = max(found.expires_at, now + found.life.idle) if slides else found.expires_at
    await session.execute(
        sa.update(t)
        .where(t.c.currency_id == currency_id, t.c.id == found.id)
        .values(last_seen_at=now, expires_at=expires_at)
    )
    return replace(found, last_seen_at=now, expires_at=expires_at)
