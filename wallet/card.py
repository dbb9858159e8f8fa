"""My card: whether the printed card works, its last 4 digits, whether it is locked after
wrong PINs; and stopping it at once when it is lost (confirm first)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import web_session
from currency.auth import login
from currency.errors import CurrencyError, NotFound
from currency.residents import card_desk
from wallet import common

router = APIRouter()


async def _card(session: AsyncSession, who: login.Principal) -> card_desk.OwnCard | None:
    try:
        return await card_desk.own_card(
            session, currency_id=await common.currency_id(session, who), resident_id=who.id
        )
    except NotFound:
        return None


@router.get("/card", name="wallet_card", response_class=HTMLResponse, include_in_schema=False)
async def my_card(
    request: Request, who: login.Principal = common.Resident, session: AsyncSession = common.Session
) -> HTMLResponse:
    context = {"card": await _card(session, who)}
    return await common.render(request, session, who, "wallet/card.html", context)


@router.get("/card/block", response_class=HTMLResponse, include_in_schema=False)
async def block_confirm(
    request: Request, who: login.Principal = common.Resident, session: AsyncSession = common.Session
) -> HTMLResponse:
    context = {"card": await _card(session, who)}
    return await common.render(request, session, who, "wallet/card_block.html", context)


@router.post("/card/block", response_class=HTMLResponse, include_in_schema=False)
async def block(
    request: Request,
    reason: Literal["lost", "stolen", "other"] = Form(default="lost"),
    who: login.Principal = Depends(web_session.require_page_principal("resident")),
    session: AsyncSession = common.Session,
) -> HTMLResponse:
    """Stop the card now; the page then says what to do next."""
    context: dict[str, Any] = {}
    status = 200
    found: card_desk.OwnCard | None
    try:
        found = await card_desk.block_own(
            session, currency_id=await common.currency_id(session, who), resident_id=who.id,
            reason=reason,
        )  # fmt: skip
        context["just_blocked"] = True
    except CurrencyError as error:
        said, status = common.refusal(request, error)
        context |= said
        found = await _card(session, who)
    context["card"] = found
    return await common.render(request, session, who, "wallet/card.html", context, status)
