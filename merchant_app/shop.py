"""What every shop page shares: the signed-in shop user and their shop, the currency's
units, and rendering inside the shop app's layout (navigation, CSRF token, who is in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import web, web_session
from api.db import get_session
from api.v1 import deps
from api.v1.merchant.shop import STAFF, AtShop
from currency.auth import web_sessions
from currency.auth.login import Principal
from currency.clock import JAPAN
from currency.ledger.models import currency
from currency.merchants import sales

HOME = "/merchant/"
OWNER = "merchant_owner"


@dataclass(frozen=True)
class ShopPage:
    at: AtShop
    coin_unit: str
    point_unit: str
    display_name: str

    @property
    def is_owner(self) -> bool:
        return self.at.who.role == OWNER


async def shop_page(
    request: Request,
    who: Principal = Depends(web_session.require_page_principal(*STAFF)),
    session: AsyncSession = Depends(get_session, scope="function"),
) -> ShopPage:
    """A page dependency: the signed-in shop user (else a 303 to the sign-in page)."""
    if who.merchant_id is None:
        raise web_session.SignInRequired(HOME)
    currency_id = await deps.currency_id_of(session, who.currency)
    shop = await sales.shop(session, currency_id=currency_id, merchant_id=who.merchant_id)
    units = (
        await session.execute(
            sa.select(currency.c.coin_unit, currency.c.point_unit).where(
                currency.c.id == currency_id
            )
        )
    ).one()
    name = await web_sessions.display_name(session, currency_id=currency_id, who=who)
    return ShopPage(AtShop(who, currency_id, shop), units[0], units[1], name)


def reference(operation_id: int) -> str:
    """The last four digits of an operation's number, as the customer's screen shows them."""
    return f"{operation_id % 10_000:04d}"


def clock_time(at: datetime) -> str:
    """A time as the shop reads it: 14:05 (Japan)."""
    return at.astimezone(JAPAN).strftime("%H:%M")


def render(
    request: Request,
    template: str,
    page: ShopPage,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A shop page inside the layout: navigation, the CSRF token for forms and fetch."""
    full = {
        "shop": page.at.shop,
        "coin_unit": page.coin_unit,
        "point_unit": page.point_unit,
        "is_owner": page.is_owner,
        "csrf_token": web_session.page_csrf_token(request),
        "signed_in_name": page.display_name,
        "sign_out_url": request.url_for("merchant_sign_out").path,
        "current_path": request.url.path,
        "reference": reference,
        "clock_time": clock_time,
        "japan": JAPAN,
        **(context or {}),
    }
    return web.render(request, f"merchant_app/{template}", full, status_code=status_code)
