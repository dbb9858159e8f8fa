"""The landing page of a shop's printed QR code: ``/m/<shop code>?s=<MAC>``.

A resident's phone camera opens it. Before anything is paid, the page shows the shop's
registered name and district, so a sticker stuck over the shop's code cannot divert a
payment unnoticed: an altered link is refused with a warning to tell the shop, and the
wallet's pay page receives only a link that checked out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import web
from api.db import get_session
from api.v1 import deps
from currency.errors import InvalidCode, NotFound
from currency.payments import codes

router = APIRouter()
TEMPLATE = "shop_link.html"
WALLET_PAY = "/wallet/pay"
N_ = web.N_

NOT_GENUINE = N_("This QR code is not genuine. Do not pay with it; please tell the shop staff.")
NOT_TAKING_PAYMENTS = N_("This shop cannot take Meguri payments right now.")


def pay_url(code: str, s: str) -> str:
    """The wallet's pay page for this shop, carrying the link's (checked) MAC along."""
    return f"{WALLET_PAY}?{urlencode({'shop': code, 's': s.strip().upper()})}"


def _page(request: Request, outcome: str, status: int, **context: Any) -> HTMLResponse:
    if outcome in ("invalid", "suspended"):
        message = NOT_GENUINE if outcome == "invalid" else NOT_TAKING_PAYMENTS
        context |= {"status_message": web.gettext(request, message), "status_kind": "warning"}
    response = web.render(request, TEMPLATE, {"outcome": outcome, **context}, status_code=status)
    # A shop's page is for the person standing in the shop, not for search engines,
    # and its status may change: never served from a cache.
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/m/{code}", name="shop_link", response_class=HTMLResponse, include_in_schema=False)
async def shop_link(
    request: Request,
    code: str,
    s: str = "",
    session: AsyncSession = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """A genuine link: the shop and a button to pay it. Altered: 400 with a warning.
    Unknown shop: 404. A shop that cannot take payments now: says so, no button."""
    settings = deps.settings_of(request)
    try:
        currency_id = await deps.currency_id_of(session, settings.currency_code)
        shop = await codes.shop_for_link(
            session, currency_id=currency_id, merchant_code=code, s=s,
            secret=settings.secret_key,
        )  # fmt: skip
    except InvalidCode:
        return _page(request, "invalid", 400)
    except NotFound:
        return _page(request, "unknown", 404)
    if not shop.takes_payments:
        return _page(request, "suspended", 200, shop=shop)
    return _page(request, "genuine", 200, shop=shop, pay_url=pay_url(shop.code, s))
