"""My code: the one-time QR code a shop scans (CPM). The page fetches the code itself from
POST /v1/me/payment-token (code.js) and renews it before it ends; the balance is below."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.auth import login
from currency.wallets import service as wallets
from wallet import common

router = APIRouter()


@router.get("/code", name="wallet_code", response_class=HTMLResponse, include_in_schema=False)
async def my_code(
    request: Request, who: login.Principal = common.Resident, session: AsyncSession = common.Session
) -> HTMLResponse:
    view = await wallets.summary(
        session, currency_id=await common.currency_id(session, who),
        wallet_account_id=common.wallet_of(who), today=clock.today(),
    )  # fmt: skip
    return await common.render(request, session, who, "wallet/code.html", {"balance": view.balance})
