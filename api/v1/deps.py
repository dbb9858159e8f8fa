"""What every /v1 route may depend on: the database session, the clock, the currency of
this deployment, and who is asking: a bearer access token, or else the pages' browser
session cookie, checked on every request against the database so that a block or a role
change takes effect at once.

A request authenticated by the cookie that changes something (POST, PUT, PATCH, DELETE)
must also come from our own pages: it carries the session's CSRF token in ``X-CSRF-Token``
and, when the browser says where it comes from (``Sec-Fetch-Site``, ``Origin``), that is
this site. Bearer requests need neither: a browser never adds a bearer token by itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from api.errors import ApiError
from currency.auth import login, tokens, web_sessions
from currency.auth.keys import KeyRing, SigningKey
from currency.errors import NotFound, NotPermitted, Unauthenticated
from currency.ledger.models import currency
from currency.settings import Settings

SESSION_COOKIE = "meguri_session"
# In production: only ever sent over HTTPS, to this host, for every path (the __Host- rules).
SECURE_SESSION_COOKIE = "__Host-meguri_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_TITLE = "This request did not come from a Meguri page"
CROSS_SITE = "A change can only be made from Meguri's own pages; nothing was changed."


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
    request fails (currency/auth/login.py). Nothing else is written in these routes.

    From the side pool (api/main.py): a route may hold a main-pool session at the same
    time (a card payment, a clerk's refund) without ever waiting on its own pool."""
    async with request.app.state.side_sessionmaker() as session:
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
    header = request.headers.get("authorization")
    cookie = session_cookie(request)
    if header is None and cookie:
        who, _ = await cookie_session(request, session, cookie)
        return who
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("please sign in")
    claims = tokens.verify_access(token.strip(), ring=ring, now=now())
    try:
        currency_id = await currency_id_of(session, claims.currency)
    except NotFound:  # signed by us for a currency this service lacks: a bad token too
        raise Unauthenticated("please sign in again") from None
    return await login.current_principal(session, currency_id=currency_id, claims=claims)


def session_cookie_name(settings: Settings) -> str:
    return SECURE_SESSION_COOKIE if settings.production else SESSION_COOKIE


def session_cookie(request: Request) -> str | None:
    return request.cookies.get(session_cookie_name(settings_of(request))) or None


async def cookie_session(
    request: Request,
    session: AsyncSession,
    token: str,
    csrf_token: str | None = None,
    *,
    touch: bool = True,
) -> tuple[login.Principal, web_sessions.WebSession]:
    """The browser session of ``token``; for a change, also from our pages with its CSRF
    token (the X-CSRF-Token header unless ``csrf_token`` is given, e.g. a form field).
    ``touch=False``: the request does not count as activity (web_sessions.resolve)."""
    settings = settings_of(request)
    currency_id = await currency_id_of(session, settings.currency_code)
    found = await web_sessions.resolve(
        session, currency_id=currency_id, token=token, now=now(), touch=touch
    )
    if request.method in UNSAFE_METHODS:
        refuse_cross_site(request, settings)
        try:
            web_sessions.check_csrf(found[1], csrf_token or request.headers.get(CSRF_HEADER))
        except web_sessions.CsrfRefused as refused:
            raise ApiError(403, "csrf", CSRF_TITLE, str(refused)) from None
    return found


def refuse_cross_site(request: Request, settings: Settings) -> None:
    """403 when the browser says the request comes from another site (defence in depth:
    SameSite=Strict already keeps the cookie off such requests)."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    ours = {request.headers.get("host", ""), urlsplit(settings.base_url).netloc} - {""}
    if (site is not None and site != "same-origin") or (
        origin is not None and urlsplit(origin).netloc not in ours
    ):
        raise ApiError(403, "csrf", CSRF_TITLE, CROSS_SITE)


def role_in(*roles: str) -> Callable[..., Awaitable[login.Principal]]:
    """A dependency that lets only these roles through (403 for the others)."""

    async def allowed(who: login.Principal = Depends(principal)) -> login.Principal:
        if who.role not in roles:
            raise NotPermitted("your role may not do this")
        return who

    return allowed
