"""The pages' browser session: its cookie, and what page routes depend on.

The cookie (``meguri_session``; ``__Host-meguri_session`` in production) holds an opaque
token: HttpOnly (no script can read it), SameSite=Strict (no other site's page can make the
browser send it), Path=/, Secure in production. Pages get the session's CSRF token from the
sign-in answer, from ``GET /v1/auth/web-session``, or in a template (``page_csrf_token``),
and send it back as the ``X-CSRF-Token`` header (fetch) or a ``csrf_token`` form field.

Reading the cookie on a request is api/v1/deps.py's (``cookie_session``), so /v1 routes and
pages check a session in one way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from api.v1 import deps
from currency.auth import login, web_sessions
from currency.errors import Unauthenticated
from currency.settings import Settings

CSRF_FIELD = "csrf_token"
BROWSER_LONGEST = 400 * 24 * 3600  # browsers cap a cookie's life here; the server decides


def set_cookie(response: Response, token: str, *, max_age: int, settings: Settings) -> None:
    response.set_cookie(
        deps.session_cookie_name(settings), token, max_age=max_age, path="/",
        secure=settings.production, httponly=True, samesite="strict",
    )  # fmt: skip


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        deps.session_cookie_name(settings), path="/", secure=settings.production,
        httponly=True, samesite="strict",
    )  # fmt: skip


async def start_cookie_session(
    response: Response,
    session: AsyncSession,
    currency_id: int,
    principal: login.Principal,
    settings: Settings,
    now: datetime,
) -> web_sessions.Started:
    """Sign ``principal`` in on this browser (after a password, PIN or passkey check)."""
    started = await web_sessions.start(
        session, currency_id=currency_id, principal=principal, now=now
    )
    life = web_sessions.LIFETIMES[web_sessions.audience(principal)]
    max_age = int(life.absolute.total_seconds()) if life.absolute else BROWSER_LONGEST
    set_cookie(response, started.token, max_age=max_age, settings=settings)
    return started


async def browser_session(
    request: Request, session: AsyncSession = Depends(get_session, scope="function")
) -> tuple[login.Principal, web_sessions.WebSession]:
    """The cookie's live session (401 without one); a change also needs its CSRF token.
    Reading the session's state (GET) is not activity: a page polling how long it has
    left does not keep an unattended session alive."""
    token = deps.session_cookie(request)
    if token is None:
        raise Unauthenticated("please sign in")
    touch = request.method != "GET"
    return await deps.cookie_session(request, session, token, touch=touch)


# --- for page routes --------------------------------------------------------------------


class SignInRequired(Exception):
    """A page that needs a signed-in principal: answered by a 303 to the sign-in page."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(exc.location, status_code=303)


def install(app: FastAPI) -> None:
    """Let page routes answer "please sign in" with a redirect (``require_page_principal``)."""
    app.add_exception_handler(SignInRequired, _to_sign_in)


async def page_principal(
    request: Request, session: AsyncSession = Depends(get_session, scope="function")
) -> login.Principal | None:
    """Who is signed in on this browser, or None. A form post must carry the CSRF token
    (field ``csrf_token`` or header ``X-CSRF-Token``) and come from our pages (else 403)."""
    token = deps.session_cookie(request)
    if token is None:
        return None
    csrf = await _form_csrf(request) if request.method in deps.UNSAFE_METHODS else None
    try:
        who, _ = await deps.cookie_session(request, session, token, csrf)
    except Unauthenticated:
        return None
    return who


def require_page_principal(
    *roles: str, sign_in: str | None = None
) -> Callable[..., Awaitable[login.Principal]]:
    """A page dependency: the principal (with one of ``roles``, if given), or a 303 to
    ``sign_in`` (default: the section's first page, "/wallet/" for "/wallet/history")."""

    async def required(
        request: Request, who: login.Principal | None = Depends(page_principal)
    ) -> login.Principal:
        if who is None or (roles and who.role not in roles):
            raise SignInRequired(_sign_in_location(request, sign_in))
        return who

    return required


csrf_protect = require_page_principal()  # a form post: signed in, from our page, with its token


def page_csrf_token(request: Request) -> str | None:
    """The CSRF token to put in a page's forms (hidden field ``csrf_token``)."""
    token = deps.session_cookie(request)
    return web_sessions.csrf_token_for(token) if token else None


async def _form_csrf(request: Request) -> str | None:
    if request.headers.get(deps.CSRF_HEADER):
        return None  # cookie_session reads the header
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def _sign_in_location(request: Request, sign_in: str | None) -> str:
    section = request.url.path.strip("/").split("/")[0]
    location = sign_in or (f"/{section}/" if section else "/")
    if request.method != "GET" or request.url.path == location:
        return location
    return f"{location}?next={quote(request.url.path, safe='/')}"
