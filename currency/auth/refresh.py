"""Refresh tokens: opaque, stored as a SHA-256 hash, used once, in families.

Each sign-in starts a family. Every refresh uses its token once (``used_at``) and gets the
next token of the same family. A token presented after it was used means two parties
hold it, one of them not the owner: the whole family is revoked, so the thief's newest
token stops working too, and the owner signs in again.

Lifetime: 30 days from the last refresh. A resident who shops once a week with the
phone wallet stays signed in without typing the PIN again at the till; a phone left
unused for a month (lost, sold) has to sign in again. The access token (ten minutes) is
what requests carry; the refresh token only ever goes to the refresh endpoint.

Only the hash is stored (a 256-bit random token needs no slow hash): a copy of the
database does not hold a usable token.

Reuse detection writes (the family's revocation) and then raises ``Unauthenticated``:
the caller must COMMIT even when it raises, as with card PINs (see cards.py)::

    async with sessions() as auth:
        try:
            tokens = await login.refresh(auth, currency_id=..., token=..., now=..., key=...)
        finally:
            await auth.commit()  # keeps the revocation of a reused token's family
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth.models import refresh_token as t
from currency.auth.tokens import SIGN_IN_AGAIN
from currency.errors import Unauthenticated

LIFETIME = timedelta(days=30)
TOKEN_BYTES = 32  # 256 bits


@dataclass(frozen=True)
class Rotated:
    principal: str
    new_token: str
    token_version: int
    family: str


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def start_family(
    session: AsyncSession, *, currency_id: int, principal: str, token_version: int, now: datetime
) -> str:
    """The first refresh token of a new sign-in."""
    family = uuid.uuid4().hex
    return await _new_token(session, currency_id, family, principal, token_version, now)


async def rotate(session: AsyncSession, *, currency_id: int, token: str, now: datetime) -> Rotated:
    """Use ``token`` once and return the next of its family. Commit even when it raises."""
    row = await _locked(session, currency_id, token)
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
        raise Unauthenticated(SIGN_IN_AGAIN)
    if row["used_at"] is not None:  # used before: a copy is in someone else's hands
        await revoke_rows(session, t, currency_id, t.c.family == row["family"], now)
        raise Unauthenticated(SIGN_IN_AGAIN)
    await session.execute(
        sa.update(t).where(t.c.currency_id == currency_id, t.c.id == row["id"]).values(used_at=now)
    )
    principal, version, family = row["principal"], row["token_version"], row["family"]
    new = await _new_token(session, currency_id, family, principal, version, now)
    return Rotated(principal, new, version, family)


async def revoke_family(
    session: AsyncSession, *, currency_id: int, token: str, now: datetime
) -> None:
    """Sign out the session ``token`` belongs to (an unknown token changes nothing)."""
    family = sa.select(t.c.family).where(
        t.c.currency_id == currency_id, t.c.token_hash == token_hash(token)
    )
    await revoke_rows(session, t, currency_id, t.c.family == family.scalar_subquery(), now)


async def revoke_named_family(
    session: AsyncSession, *, currency_id: int, family: str, now: datetime
) -> None:
    await revoke_rows(session, t, currency_id, t.c.family == family, now)


async def revoke_principal(
    session: AsyncSession, *, currency_id: int, principal: str, now: datetime
) -> int:
    """Sign out every session of a principal (blocked, password changed); how many."""
    return await revoke_rows(session, t, currency_id, t.c.principal == principal, now)


async def purge_expired(session: AsyncSession, *, currency_id: int, now: datetime) -> int:
    """Delete tokens past their lifetime (refused anyway); for a periodic job."""
    deleted = await session.scalars(
        sa.delete(t).where(t.c.currency_id == currency_id, t.c.expires_at <= now).returning(t.c.id)
    )
    return len(deleted.all())


async def _locked(session: AsyncSession, currency_id: int, token: str) -> sa.RowMapping | None:
    """The token's row, locked: a second rotation of it waits, then sees it used."""
    query = (
        sa.select(t)
        .where(t.c.currency_id == currency_id, t.c.token_hash == token_hash(token))
        .with_for_update()
    )
    return (await session.execute(query)).mappings().one_or_none()


async def _new_token(
    session: AsyncSession,
    currency_id: int,
    family: str,
    principal: str,
    token_version: int,
    now: datetime,
) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await session.execute(
        sa.insert(t).values(
            currency_id=currency_id,
            family=family,
            principal=principal,
            token_hash=token_hash(token),
            token_version=token_version,
            expires_at=now + LIFETIME,
        )
    )
    return token


async def revoke_rows(
    session: AsyncSession,
    table: sa.Table,
    currency_id: int,
    which: sa.ColumnElement[bool],
    now: datetime,
) -> int:
    """Revoke the live rows of ``table`` (refresh tokens, web sessions) that ``which``
    picks; how many."""
    revoked = await session.scalars(
        sa.update(table)
        .where(table.c.currency_id == currency_id, which, table.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(table.c.id)
    )
    return len(revoked.all())
