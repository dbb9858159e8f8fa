"""Paying a shop from its QR code: the shop's printed link (/m/{code}?s=… hands over to
/wallet/pay?shop=…&s=…) or a code for a fixed amount on the shop's screen (?request=MGR1…).

The shop's registered name and district → the amount on a keypad → a confirm screen to
show the clerk → the completion screen (live clock, transaction number). The confirm form
carries a server-made idempotency key: a double tap or a reload pays once.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import web, web_session
from api.v1 import deps, idempotency
from currency import clock
from currency.auth import login
from currency.errors import CurrencyError, InvalidCode, InvalidOperation, NotFound
from currency.ledger.types import Posted
from currency.payments import codes
from currency.payments.codes import common as shops
from currency.settings import Settings
from currency.wallets import history
from currency.wallets import service as wallets
from wallet import common

router = APIRouter()
N_ = web.N_
MAX_AMOUNT = 10_000_000
KEY = re.compile(r"[0-9a-f-]{36}", re.ASCII)  # the uuid4 the confirm form carries
NOT_GENUINE = N_(
    "This shop QR code is not genuine. Do not pay with it; please tell the shop staff."
)
NO_SHOP = N_("This shop is not registered with Meguri. Do not pay; please tell the shop staff.")
CLOSED = N_("This shop cannot take Meguri payments right now. Please pay another way.")
BAD_AMOUNT = N_("Please enter an amount from 1 to {max}.")


@router.get("/pay/{code}", include_in_schema=False)
async def pay_short(code: str, s: str = "") -> RedirectResponse:
    """/wallet/pay/{code}?s=…: the same as the shop link's hand-over."""
    return RedirectResponse(f"/wallet/pay?{urlencode({'shop': code, 's': s})}", status_code=303)


@router.get("/pay", name="wallet_pay", response_class=HTMLResponse, include_in_schema=False)
async def pay_start(
    request: Request,
    shop: str = "",
    s: str = "",
    session: AsyncSession | None = common.MaybeSession,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """The shop (and the keypad), or for a code with an amount the confirm screen."""
    who = await common.signed_in(request, session)
    if who is None or session is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/wallet/?next={quote(wanted, safe='')}", status_code=303)
    if request.query_params.get("request"):
        return await _request_confirm(request, session, who, settings, "")
    if not shop:
        return await common.render(request, session, who, "wallet/pay_how.html")
    return await _keypad(request, session, who, settings, shop, s, {})


async def _keypad(
    request: Request,
    session: AsyncSession,
    who: login.Principal,
    settings: Settings,
    code: str,
    s: str,
    context: dict[str, Any],
    status_code: int = 200,
    amount: str = "",
) -> HTMLResponse:
    cid = await common.currency_id(session, who)
    try:
        found = await codes.shop_for_link(
            session, currency_id=cid, merchant_code=code, s=s, secret=settings.secret_key
        )
    except (InvalidCode, NotFound) as error:
        message = NOT_GENUINE if isinstance(error, InvalidCode) else NO_SHOP
        said = common.say(request, message, "error")
        status = 400 if isinstance(error, InvalidCode) else 404
        return await common.render(request, session, who, "wallet/pay_refused.html", said, status)
    if not found.takes_payments:
        context = {**common.say(request, CLOSED, "warning"), **context}
    spendable = await _spendable(session, cid, who)
    page = {"shop": found, "s": s, "spendable": spendable, "max_amount": MAX_AMOUNT,
            "amount_typed": amount, **context}  # fmt: skip
    return await common.render(request, session, who, "wallet/pay_amount.html", page, status_code)


async def _spendable(session: AsyncSession, cid: int, who: login.Principal) -> int:
    view = await wallets.summary(
        session, currency_id=cid, wallet_account_id=common.wallet_of(who), today=clock.today()
    )
    return view.balance


@router.post("/pay/confirm", response_class=HTMLResponse, include_in_schema=False)
async def pay_confirm(
    request: Request,
    shop: str = Form(default="", max_length=64),
    s: str = Form(default="", max_length=64),
    amount: str = Form(default="", max_length=20),
    who: login.Principal = Depends(web_session.require_page_principal("resident")),
    session: AsyncSession = common.Session,
    settings: Settings = Depends(deps.settings_of),
) -> HTMLResponse:
    """The screen to show the clerk: the shop, the amount, and the button that pays."""
    value = common.parse_amount(amount, maximum=MAX_AMOUNT)
    if value is None:
        said = common.say(request, BAD_AMOUNT, "error", max=web.amount(MAX_AMOUNT))
        return await _keypad(request, session, who, settings, shop, s, said, 422, amount)
    cid = await common.currency_id(session, who)
    try:
        found = await codes.shop_for_link(
            session, currency_id=cid, merchant_code=shop, s=s, secret=settings.secret_key
        )
    except CurrencyError:
        return await _keypad(request, session, who, settings, shop, s, {})
    page = {"shop": found, "s": s, "amount": value, "key": str(uuid.uuid4()), "request_text": ""}
    return await common.render(request, session, who, "wallet/pay_confirm.html", page)


async def _request_confirm(
    request: Request, session: AsyncSession, who: login.Principal, settings: Settings, text: str
) -> HTMLResponse:
    """A shop's code for a fixed amount: straight to the confirm screen."""
    text = text or request.query_params.get("request", "")
    cid = await common.currency_id(session, who)
    try:
        found = await codes.describe_request(
            session, currency_id=cid, request_text=text, secret=settings.secret_key,
            now=deps.now(),
        )  # fmt: skip
    except CurrencyError as error:
        said, status = common.refusal(request, error)
        return await common.render(request, session, who, "wallet/pay_refused.html", said, status)
    page = {"shop": found.shop, "s": "", "amount": found.amount, "key": str(uuid.uuid4()),
            "request_text": text}  # fmt: skip
    return await common.render(request, session, who, "wallet/pay_confirm.html", page)


@router.post("/pay", response_class=HTMLResponse, include_in_schema=False)
async def pay(
    request: Request,
    shop: str = Form(default="", max_length=64),
    s: str = Form(default="", max_length=64),
    amount: str = Form(default="", max_length=20),
    key: str = Form(default="", max_length=64),
    request_text: str = Form(default="", max_length=100),
    who: login.Principal = Depends(web_session.require_page_principal("resident")),
    session: AsyncSession = common.Session,
    settings: Settings = Depends(deps.settings_of),
) -> HTMLResponse:
    """Pay once (the key makes a retry answer the same payment), then the completion."""
    cid = await common.currency_id(session, who)
    units = await common.units(session, cid)
    try:
        posted = await _pay(session, who, settings, cid, shop, s, amount, key, request_text)
    except CurrencyError as error:
        said, status = common.refusal(request, error, units.coin)
        if request_text:
            page = {"shop": None, "status": status, **said}
            return await common.render(
                request, session, who, "wallet/pay_refused.html", page, status
            )
        return await _keypad(request, session, who, settings, shop, s, said, status, amount)
    return await _done(request, session, who, cid, posted)


async def _pay(
    session: AsyncSession, who: login.Principal, settings: Settings, cid: int,
    shop: str, s: str, amount: str, key: str, request_text: str,
) -> Posted:  # fmt: skip
    key = key if KEY.fullmatch(key) else str(uuid.uuid4())
    common_args: dict[str, Any] = {"currency_id": cid, "wallet_account_id": common.wallet_of(who),
                                   "actor": who.name}  # fmt: skip
    if request_text:
        body: dict[str, Any] = {"payment_request": request_text}
        return await codes.pay_request(
            session, request_text=request_text, now=deps.now(), secret=settings.secret_key,
            idempotency=idempotency.of(who, key, body), **common_args,
        )  # fmt: skip
    value = common.parse_amount(amount, maximum=MAX_AMOUNT)
    if value is None:
        raise InvalidOperation("the amount is not valid")
    codes.check_shop_link(shop, s, settings.secret_key)
    shop_body: dict[str, Any] = {
        "merchant_code": shop,
        "amount": value,
        "link_mac": s.strip().upper(),
    }
    return await codes.pay_shop(
        session, merchant_code=shop, amount=value, idempotency=idempotency.of(who, key, shop_body),
        **common_args,
    )  # fmt: skip


async def _done(
    request: Request, session: AsyncSession, who: login.Principal, cid: int, posted: Posted
) -> HTMLResponse:
    """The completion screen, from the stored operation (a retry reads the same)."""
    done = await history.receipt(session, currency_id=cid, operation_id=posted.operation_id)
    found = await shops.shop(session, currency_id=cid, merchant_id=int(done.details["merchant_id"]))
    op = str(posted.operation_id)
    page = {
        "shop": found, "amount": int(done.details["amount"]), "operation_id": op,
        "op_head": op[:-4], "op_tail": op[-4:], "paid_at": common.moment(request, done.created_at),
        "paid_at_iso": done.created_at.isoformat(),
        "balance": await _spendable(session, cid, who),
    }  # fmt: skip
    return await common.render(request, session, who, "wallet/pay_done.html", page)
