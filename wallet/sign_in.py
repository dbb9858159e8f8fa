"""Signing in to the wallet: resident number and PIN (a form), a passkey (JSON from
passkey.js), and the first time with the enrolment letter's activation code.

Every way ends in the same cookie session (api/web_session.py). Sign-in posts keep their
transaction even when they refuse, so wrong PINs and rate limits count (login.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from api import web, web_session
from api.v1 import deps
from api.v1.passkeys import rp_of
from currency.auth import activation, login, passkeys, web_sessions
from currency.errors import CurrencyError, InvalidCode, InvalidOperation, Unauthenticated
from currency.settings import Settings
from wallet import common

router = APIRouter()
N_ = web.N_
WELCOME = "wallet/welcome.html"
ACTIVATE = "wallet/activate.html"
ACTIVATED = "wallet/activated.html"

WRONG_PIN = N_(
    "The resident number or PIN is not right. Please check them and try again. After 5 wrong "
    "PINs in a row, the PIN is locked until the city office unlocks it."
)
WRONG_LETTER = N_(
    "The resident number or the code from the letter is not right, or the letter is too old. "
    "Please check the letter. The city office can send you a new one."
)
PINS_DIFFER = N_("The two PINs are not the same. Please enter the new PIN twice.")
PIN_SHAPE = N_("A PIN is 4 to 6 numbers. Please choose one.")
PIN_WEAK = N_("This PIN is too easy to guess ({reason}). Please choose other numbers.")
WEAKNESS = {
    "all the digits are the same": N_("all the numbers are the same"),
    "the digits run in order": N_("the numbers are in order"),
    "it repeats a few digits (like 1212)": N_("the same numbers repeat"),
    "it contains the year of birth": N_("it has your year of birth"),
}


def _next_page(request: Request) -> str:
    """Where to go after signing in: a wallet page the visitor asked for, else home."""
    wanted = request.query_params.get("next", "")
    ok = wanted.startswith("/wallet/") and "//" not in wanted and "\\" not in wanted
    return wanted if ok else "/wallet/"


def welcome(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    return web.render(request, WELCOME, context, status_code=status_code)


@router.post("/", name="wallet_sign_in", response_class=HTMLResponse, include_in_schema=False)
async def sign_in(
    request: Request,
    resident_number: str = Form(default="", max_length=64),
    pin: str = Form(default="", max_length=64),
    session: AsyncSession = common.KeptSession,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """Resident number and PIN: a cookie session and on to the page asked for."""
    deps.refuse_cross_site(request, settings)
    cid = await deps.currency_id_of(session, settings.currency_code)
    now = deps.now()
    try:
        who = await login.authenticate_resident(
            session, currency_id=cid, resident_number=resident_number, pin=pin,
            ip=deps.client_ip(request), now=now,
        )  # fmt: skip
    except CurrencyError as error:
        return _refused(request, error, resident_number)
    response = RedirectResponse(_next_page(request), status_code=303)
    await _start(request, response, session, cid, who, settings)
    return response


def _refused(request: Request, error: CurrencyError, number: str) -> HTMLResponse:
    if isinstance(error, Unauthenticated):
        context, status = common.say(request, WRONG_PIN, "error"), 401
    else:
        context, status = common.refusal(request, error)
    return welcome(request, status, resident_number=number, **context)


async def _start(
    request: Request,
    response: Response,
    session: AsyncSession,
    cid: int,
    who: login.Principal,
    settings: Settings,
) -> web_sessions.Started:
    """End this browser's previous session, if any, and start the resident's."""
    now = deps.now()
    previous = deps.session_cookie(request)
    if previous is not None:
        await web_sessions.end(session, currency_id=cid, token=previous, now=now)
    return await web_session.start_cookie_session(response, session, cid, who, settings, now)


class Assertion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credential: dict[str, Any]


@router.post("/passkey-session", include_in_schema=False)
async def passkey_session(
    body: Assertion,
    request: Request,
    response: Response,
    session: AsyncSession = common.KeptSession,
    settings: Settings = Depends(deps.settings_of),
    rp: passkeys.RelyingParty = Depends(rp_of),
) -> dict[str, str]:
    """The passkey's answer to /v1/auth/passkeys/sign-in/options, checked here: a cookie
    session instead of tokens (a page keeps no token). Refusals are problem+json."""
    deps.refuse_cross_site(request, settings)
    cid = await deps.currency_id_of(session, settings.currency_code)
    who = await passkeys.authenticate(
        session, currency_id=cid, credential=body.credential, rp=rp, now=deps.now(),
        secret=settings.secret_key,
    )  # fmt: skip
    await _start(request, response, session, cid, who, settings)
    return {"next": _next_page(request)}


@router.get("/activate", name="wallet_activate", response_class=HTMLResponse)
async def activate_form(request: Request) -> HTMLResponse:
    return web.render(request, ACTIVATE)


@router.post("/activate", response_class=HTMLResponse, include_in_schema=False)
async def activate(
    request: Request,
    resident_number: str = Form(default="", max_length=64),
    activation_code: str = Form(default="", max_length=40),
    pin: str = Form(default="", max_length=16),
    pin_again: str = Form(default="", max_length=16),
    session: AsyncSession = common.KeptSession,
    settings: Settings = Depends(deps.settings_of),
) -> HTMLResponse:
    """The letter's code and a new PIN (twice): signed in, then a passkey is offered."""
    deps.refuse_cross_site(request, settings)
    kept = {"resident_number": resident_number, "activation_code": activation_code}
    if pin != pin_again:
        return _activate_again(request, common.say(request, PINS_DIFFER, "error"), kept)
    cid = await deps.currency_id_of(session, settings.currency_code)
    try:
        who = await activation.activate(
            session, currency_id=cid, resident_number=resident_number, code=activation_code,
            new_pin=pin, now=deps.now(), ip=deps.client_ip(request), secret=settings.secret_key,
        )  # fmt: skip
    except CurrencyError as error:
        return _activate_again(request, _activation_refusal(request, error), kept)
    cookie = Response()
    started = await _start(request, cookie, session, cid, who, settings)
    response = web.render(request, ACTIVATED, {"csrf_token": started.csrf_token})
    response.raw_headers.extend(h for h in cookie.raw_headers if h[0] == b"set-cookie")
    response.headers["Cache-Control"] = "no-store"
    return response


def _activate_again(request: Request, said: dict[str, str], kept: dict[str, str]) -> HTMLResponse:
    return web.render(request, ACTIVATE, {**said, **kept}, status_code=422)


def _activation_refusal(request: Request, error: CurrencyError) -> dict[str, str]:
    if isinstance(error, InvalidCode):
        return common.say(request, WRONG_LETTER, "error")
    if isinstance(error, InvalidOperation):
        return _pin_refusal(request, str(error))
    return common.refusal(request, error)[0]


def _pin_refusal(request: Request, reason: str) -> dict[str, str]:
    for english, plain in WEAKNESS.items():
        if english in reason:
            return common.say(request, PIN_WEAK, "error", reason=web.gettext(request, plain))
    return common.say(request, PIN_SHAPE, "error")


@router.post("/sign-out", name="wallet_sign_out", include_in_schema=False)
async def sign_out(
    request: Request,
    who: login.Principal = Depends(web_session.csrf_protect),
    session: AsyncSession = common.Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """End this browser's session and go back to the sign-in page."""
    token = deps.session_cookie(request) or ""
    cid = await common.currency_id(session, who)
    await web_sessions.end(session, currency_id=cid, token=token, now=deps.now())
    response = RedirectResponse("/wallet/?signed_out=1", status_code=303)
    web_session.clear_cookie(response, settings)
    return response
