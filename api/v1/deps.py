"""What every /v1 route may depend on: the database session, the clock, the currency of
this deployment, and who is asking (a bearer access token, checked on every request
against the database so that a block or a role change takes effect at once)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from currency.auth import login, tokens
from currency.auth.keys import KeyRing, SigningKey
from currency.errors import NotFound, NotPermitted, Unauthenticated
from currency.ledger.models import currency
from currency.settings import Settings


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def now() -> datetime:
    return datetime.now(UTC)


def signing_key(request: Request) -> SigningKey:
    key: SigningKey = request.app.state.signing_key
    return key


def key_ring(request: Request) -> KeyRing:
    ring: KeyRing = request.app.state.key_ring
    return ring


def client_ip(request: Request) -> str:
    """The peer address. Behind a proxy, uvicorn's --forwarded-allow-ips sets it from
    X-Forwarded-For for trusted proxies only; the header itself is never trusted here."""
    return request.client.host if request.client else "unknown"


async def get_session_kept_on_error(request: Request) -> AsyncIterator[AsyncSession]:
    """For sign-in: rate-limit hits and PIN failures must be committed although the
    request fails (currency/auth/login.py). Nothing else is written in these routes."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        finally:
            try:
                await session.commit()
            except DBAPIError:  # the transaction was already broken: keep the first error
                await session.rollback()


async def currency_id_of(session: AsyncSession, code: str) -> int:
    found = await session.scalar(sa.select(currency.c.id).where(currency.c.code == code))
    if found is None:
        raise NotFound(f"this service has no currency {code}")
    return int(found)


async def principal(
    request: Request,
    session: AsyncSession = Depends(get_session, scope="function"),
    ring: KeyRing = Depends(key_ring),
) -> login.Principal:
    """The signed-in principal, or 401 (never saying why a token was refused)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("please sign in")
    claims = tokens.verify_access(token.strip(), ring=ring, now=now())
    try:
        currency_id = await currency_id_of(session, claims.currency)
    except NotFound:  # signed by us for a currency this service lacks: a bad token too
        raise Unauthenticated("please sign in again") from None
    return await login.current_principal(session, currency_id=currency_id, claims=claims)


def role_in(*roles: str) -> Callable[..., Awaitable[login.Principal]]:
    """A dependency that lets only these roles through (403 for the others)."""

    async def allowed(who: login.Principal = Depends(principal)) -> login.Principal:
        if who.role not in roles:
            raise NotPermitted("your role may not do this")
        return who

    return allowed
