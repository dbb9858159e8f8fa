"""Signing in to the console, signing out, and the home page a signed-in clerk sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.people import console
from admin.people.console import Session
from api import web, web_session
from api.v1 import deps
from api.web import N_
from currency import clock
from currency import errors as e
from currency.auth import login, web_sessions
from currency.auth.login import Principal
from currency.auth.totp import TotpRequired
from currency.corrections import service as corrections
from currency.issuance import rulebook
from currency.reports.dashboard import DayFigures
from currency.reports.series import totals_by_day
from currency.settings import Settings

router = console.router()
KeptSession = Depends(deps.get_session_kept_on_error, scope="function")
SHOP_USER = N_("This sign-in is for city staff. Shop accounts sign in at /merchant/.")
SIGNED_OUT = N_("You have signed out.")


@dataclass(frozen=True)
class Pending:
    drafts: list[rulebook.StoredRule]
    reversals: list[corrections.ReversalRequest]


@router.get("/", name="admin_home", response_class=HTMLResponse)
async def home(
    request: Request,
    who: Principal | None = Depends(web_session.page_principal),
    session: AsyncSession = Session,
) -> Response:
    """The sign-in form, or (signed in as staff) today's figures and what waits for you."""
    if who is None or who.role not in console.STAFF_ROLES:
        signed_out = request.query_params.get("signed_out") == "1"
        said = console.said(request, SIGNED_OUT, "info") if signed_out else {}
        return _sign_in_form(request, said)
    cid = await console.currency_id(session, who)
    today = clock.today()
    flows = await totals_by_day(session, currency_id=cid, start=today, end=today)
    figures = (
        DayFigures.of(today, flows[today]) if today in flows else DayFigures(today, 0, 0, 0, 0)
    )
    pending = await _pending(session, cid)
    context: dict[str, Any] = {"figures": figures, "pending": pending, "me": who.id}
    return await console.page(request, session, who, "admin/home.html", context)


async def _pending(session: AsyncSession, currency_id: int) -> Pending:
    drafts = [
        r for r in await rulebook.versions(session, currency_id=currency_id) if r.status == "draft"
    ]
    return Pending(drafts, await corrections.pending(session, currency_id))


def _sign_in_form(
    request: Request, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    return web.render(request, "admin/sign_in.html", context, status_code=status_code)


@router.post("/", name="admin_sign_in", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    username: str = Form("", max_length=64),
    password: str = Form("", max_length=200),
    totp_code: str = Form("", max_length=12),
    next: str = Form("", max_length=200),
    session: AsyncSession = KeptSession,
    settings: Settings = Depends(deps.settings_of),
    ip: str = Depends(deps.client_ip),
) -> Response:
    """Username and password (and the authenticator's code when the account has one)."""
    deps.refuse_cross_site(request, settings)
    cid = await deps.currency_id_of(session, settings.currency_code)
    kept = {"username": username, "next": next}
    try:
        who = await login.authenticate_user(
            session, currency_id=cid, username=username.strip(), password=password,
            totp_code=totp_code.strip() or None, ip=ip, now=deps.now(),
            secret=settings.secret_key,
        )  # fmt: skip
    except e.CurrencyError as refused:
        needs_code = isinstance(refused, TotpRequired)
        context = {**kept, "needs_code": needs_code, **console.refusal(request, refused)}
        return _sign_in_form(request, context, 401 if needs_code else _status(refused))
    if who.role not in console.STAFF_ROLES:
        return _sign_in_form(request, {**kept, **console.said(request, SHOP_USER, "error")}, 403)
    return await _start(request, session, cid, who, settings, next)


def _status(refused: e.CurrencyError) -> int:
    if isinstance(refused, e.RateLimited):
        return 429
    return 409 if isinstance(refused, e.AccountUnavailable) else 401


async def _start(
    request: Request,
    session: AsyncSession,
    currency_id: int,
    who: Principal,
    settings: Settings,
    next_path: str,
) -> Response:
    now = deps.now()
    previous = deps.session_cookie(request)
    if previous is not None:  # a new sign-in ends the browser's earlier session
        await web_sessions.end(session, currency_id=currency_id, token=previous, now=now)
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    await web_session.start_cookie_session(response, session, currency_id, who, settings, now)
    return response


def _safe_next(path: str) -> str:
    """Back to the console page asked for before signing in; never to another site."""
    if path.startswith(console.HOME) and "//" not in path and "\\" not in path:
        return path
    return console.HOME


@router.post("/sign-out", name="admin_sign_out")
async def sign_out(
    request: Request,
    who: Principal | None = Depends(web_session.page_principal),
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """End this browser's session (a signed-in post, with its CSRF token)."""
    token = deps.session_cookie(request)
    if who is not None and token is not None:
        cid = await console.currency_id(session, who)
        await web_sessions.end(session, currency_id=cid, token=token, now=deps.now())
    response = RedirectResponse(f"{console.HOME}?signed_out=1", status_code=303)
    web_session.clear_cookie(response, settings)
    return response
