"""Sending coins to another resident, when the send policy in force allows it: their
resident number and the amount → a confirm screen → the result."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import web, web_session
from api.v1 import deps, idempotency
from api.v1.me.transfers import masked
from currency.auth import login
from currency.errors import CurrencyError
from currency.issuance.standing_rules import SendPolicy
from currency.payments import send_limits, transfers
from currency.wallets import history
from wallet import common
from wallet.home import send_policy

router = APIRouter()
N_ = web.N_
KEY = re.compile(r"[0-9a-f-]{36}", re.ASCII)
BAD_AMOUNT = N_("Please enter an amount from 1 to {max}.")
OVER_ONE_SEND = N_("You can send up to {max} at one time. Please enter a smaller amount.")
NO_NUMBER = N_("Please enter the resident number of the person you send to.")
Signed = Depends(web_session.require_page_principal("resident"))


async def _form(
    request: Request, session: AsyncSession, who: login.Principal, status_code: int = 200,
    **context: Any,
) -> HTMLResponse:  # fmt: skip
    policy = await send_policy(session, await common.currency_id(session, who), deps.now())
    return await common.render(
        request, session, who, "wallet/send.html", {"policy": policy, **context}, status_code
    )


@router.get("/send", name="wallet_send", response_class=HTMLResponse, include_in_schema=False)
async def send_form(
    request: Request, who: login.Principal = common.Resident, session: AsyncSession = common.Session
) -> HTMLResponse:
    return await _form(request, session, who)


@router.post("/send/confirm", response_class=HTMLResponse, include_in_schema=False)
async def send_confirm(
    request: Request,
    to: str = Form(default="", max_length=64),
    amount: str = Form(default="", max_length=20),
    who: login.Principal = Signed,
    session: AsyncSession = common.Session,
) -> HTMLResponse:
    policy = await send_policy(session, await common.currency_id(session, who), deps.now())
    refused = _check(request, policy, to, amount)
    if refused:
        return await _form(request, session, who, 422, to=to, amount_typed=amount, **refused)
    value = common.parse_amount(amount)
    page = {"to": to.strip(), "to_masked": masked(to.strip()), "amount": value,
            "key": str(uuid.uuid4())}  # fmt: skip
    return await common.render(request, session, who, "wallet/send_confirm.html", page)


def _check(request: Request, policy: SendPolicy, to: str, amount: str) -> dict[str, str]:
    """A plain refusal before the confirm screen, or {} to go on."""
    if not to.strip():
        return common.say(request, NO_NUMBER, "error")
    value = common.parse_amount(amount)
    if value is None:
        return common.say(request, BAD_AMOUNT, "error", max=web.amount(policy.max_per_send))
    if value > policy.max_per_send:
        return common.say(request, OVER_ONE_SEND, "error", max=web.amount(policy.max_per_send))
    return {}


@router.post("/send", response_class=HTMLResponse, include_in_schema=False)
async def send(
    request: Request,
    to: str = Form(default="", max_length=64),
    amount: str = Form(default="", max_length=20),
    key: str = Form(default="", max_length=64),
    who: login.Principal = Signed,
    session: AsyncSession = common.Session,
    checks: AsyncSession = common.KeptSession,
) -> HTMLResponse:
    """Send once (the form's key makes a retry answer the same transfer), then the result.

    Refused sends are counted as on /v1/me/transfers (currency/payments/send_limits.py):
    past ten within the hour every send waits, so numbers cannot be tried one by one."""
    cid, at = await common.currency_id(session, who), deps.now()
    units = await common.units(session, cid)
    value = common.parse_amount(amount) or 0
    key = key if KEY.fullmatch(key) else str(uuid.uuid4())
    body = {"to_resident_number": to, "amount": value}
    try:
        async with send_limits.counted(checks, currency_id=cid, resident_id=who.id, now=at):
            posted = await transfers.send(
                session, currency_id=cid, sender_wallet=common.wallet_of(who),
                to_resident_number=to, amount=value, actor=who.name,
                idempotency=idempotency.of(who, key, body), now=at,
            )  # fmt: skip
    except CurrencyError as error:
        said, status = common.refusal(request, error, units.coin)
        return await _form(request, session, who, status, to=to, amount_typed=amount, **said)
    done = await history.receipt(session, currency_id=cid, operation_id=posted.operation_id)
    page = {"amount": int(done.details["amount"]), "to_masked": masked(str(done.details["to"])),
            "operation_id": posted.operation_id}  # fmt: skip
    return await common.render(request, session, who, "wallet/send_done.html", page)
