"""The screens of a working day: start, the till (keypad, scanner, PIN pad, result), live
sales, a code for a fixed amount, the counter poster. They are driven by small scripts
(api/static/merchant/) that talk to /v1/merchant/... with the session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from currency import clock
from currency.merchants import sales
from merchant_app.shop import ShopPage, render, shop_page

router = APIRouter(include_in_schema=False)
Page = Depends(shop_page)


@router.get("/start", name="merchant_start", response_class=HTMLResponse)
async def start(request: Request, page: ShopPage = Page) -> HTMLResponse:
    return render(request, "start.html", page)


@router.get("/till", name="merchant_till", response_class=HTMLResponse)
async def till(request: Request, page: ShopPage = Page) -> HTMLResponse:
    return render(request, "till.html", page)


@router.get("/live", name="merchant_live", response_class=HTMLResponse)
async def live(
    request: Request,
    page: ShopPage = Page,
    session: AsyncSession = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """Today's payments as the page opens; the script adds each new one as it commits."""
    today = clock.today()
    found = await sales.payments(
        session, currency_id=page.at.currency_id, merchant_account_id=page.at.shop.account_id,
        start=today, end=today,
    )  # fmt: skip
    return render(request, "live.html", page, {"payments": found.payments, "total": found.kept})


@router.get("/request", name="merchant_request", response_class=HTMLResponse)
async def payment_request(request: Request, page: ShopPage = Page) -> HTMLResponse:
    amount = request.query_params.get("amount", "")
    return render(request, "request.html", page, {"amount": amount if amount.isdigit() else ""})


@router.get("/poster", name="merchant_poster", response_class=HTMLResponse)
async def poster(request: Request, page: ShopPage = Page) -> HTMLResponse:
    return render(request, "poster.html", page)
