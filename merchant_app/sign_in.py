"""Signing in at the till: username and password (and the 6-digit code when two-step
sign-in is on), then a cookie session. Refusals are plain and keep what was typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api import page_errors, web, web_session
from api.db import get_session
from api.errors import lookup
from api.v1 import deps
from api.v1.merchant.shop import STAFF
from currency.auth import login, web_sessions
from currency.auth.totp import TotpRequired
from currency.errors import CurrencyError, NotPermitted, Unauthenticated
from currency.settings import Settings
from merchant_app.shop import HOME

router = APIRouter()
START = "/merchant/start"
TEMPLATE = "merchant_app/sign_in.html"
NOT_A_SHOP = web.N_("This sign-in is for shop staff. City staff, please use the staff console.")
WRONG_PASSWORD = web.N_("The username or password is not right. Please check them and try again.")
Kept = Depends(deps.get_session_kept_on_error, scope="function")


def _next(request: Request) -> str:
    """Where to go after signing in: a page of this app only (never another site)."""
    wanted = request.query_params.get("next", "")
    inside = wanted.startswith(HOME) and not wanted.startswith("//") and "\\" not in wanted
    return wanted if inside else START


async def _signed_in(request: Request) -> login.Principal | None:
    if deps.session_cookie(request) is None:
        return None  # no database needed to show the form
    async with request.app.state.sessionmaker() as session:
        return await web_session.page_principal(request, session)


@router.get("/", name="merchant_home", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request) -> Response:
    who = await _signed_in(request)
    if who is not None and who.role in STAFF:
        return RedirectResponse(_next(request), status_code=303)
    return web.render(request, TEMPLATE, {"next": _next(request)})


@router.post("/", name="merchant_sign_in", response_class=HTMLResponse, include_in_schema=False)
async def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    totp_code: Annotated[str | None, Form(max_length=12)] = None,
    session: AsyncSession = Kept,
) -> Response:
    settings: Settings = request.app.state.settings
    deps.refuse_cross_site(request, settings)
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    now = deps.now()
    try:
        who = await login.authenticate_user(
            session, currency_id=currency_id, username=username.strip(), password=password,
            totp_code=totp_code or None, ip=deps.client_ip(request), now=now,
            secret=settings.secret_key,
        )  # fmt: skip
        if who.role not in STAFF or who.merchant_id is None:
            raise NotPermitted(NOT_A_SHOP)
    except CurrencyError as error:
        return _refused(request, error, username)
    response = RedirectResponse(_next(request), status_code=303)
    previous = deps.session_cookie(request)
    if previous is not None:
        await web_sessions.end(session, currency_id=currency_id, token=previous, now=now)
    await web_session.start_cookie_session(response, session, currency_id, who, settings, now)
    return response


def _refused(request: Request, error: CurrencyError, username: str) -> HTMLResponse:
    asks_code = isinstance(error, TotpRequired)
    if isinstance(error, NotPermitted) and str(error) == NOT_A_SHOP:
        message = web.gettext(request, NOT_A_SHOP)
    elif isinstance(error, Unauthenticated) and str(error) == login.USER_REFUSED:
        message = web.gettext(request, WRONG_PASSWORD)
    else:
        message = page_errors.page_message(request, error)
    status = 401 if asks_code else lookup(error)[0]
    context = {
        "status_message": message, "status_kind": "warning" if asks_code else "error",
        "username": username, "ask_code": asks_code, "next": _next(request),
    }  # fmt: skip
    return web.render(request, TEMPLATE, context, status_code=status)


@router.post("/sign-out", name="merchant_sign_out", include_in_schema=False)
async def sign_out(
    request: Request,
    who: login.Principal = Depends(web_session.csrf_protect),
    session: AsyncSession = Depends(get_session, scope="function"),
) -> Response:
    settings: Settings = request.app.state.settings
    token = deps.session_cookie(request)
    if token is not None:
        currency_id = await deps.currency_id_of(session, who.currency)
        await web_sessions.end(session, currency_id=currency_id, token=token, now=deps.now())
    response = RedirectResponse(HOME, status_code=303)
    web_session.clear_cookie(response, settings)
    return response
