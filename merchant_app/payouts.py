"""The owner's settlements and payout statements (what the city pays the shop in yen)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import page_errors, web
from api.db import get_session
from api.errors import lookup
from currency.errors import CurrencyError
from currency.merchants import statements
from merchant_app.shop import ShopPage, render, shop_page

router = APIRouter(include_in_schema=False)
Page = Depends(shop_page)
Session = Depends(get_session, scope="function")
OWNER_ONLY = web.N_("Only the shop's owner can see settlements. Please ask the owner.")


def _owner_only(request: Request, page: ShopPage) -> HTMLResponse:
    context = {"status_message": web.gettext(request, OWNER_ONLY), "status_kind": "warning"}
    return render(request, "settlements.html", page, {"rows": [], **context}, status_code=403)


@router.get("/settlements", name="merchant_settlements", response_class=HTMLResponse)
async def settlement_list(request: Request, page: ShopPage = Page, session: AsyncSession = Session
) -> HTMLResponse:  # fmt: skip
    if not page.is_owner:
        return _owner_only(request, page)
    rows = await statements.settlements(
        session, currency_id=page.at.currency_id, merchant_id=page.at.shop.id
    )
    return render(request, "settlements.html", page, {"rows": rows})


@router.get("/settlements/{settlement_id}", name="merchant_statement", response_class=HTMLResponse)
async def statement(
    request: Request, settlement_id: int = Path(ge=1, le=2**63 - 1), page: ShopPage = Page,
    session: AsyncSession = Session,
) -> HTMLResponse:  # fmt: skip
    if not page.is_owner:
        return _owner_only(request, page)
    try:
        found = await statements.statement(
            session, currency_id=page.at.currency_id, merchant_id=page.at.shop.id,
            merchant_account_id=page.at.shop.account_id, settlement_id=settlement_id,
            secret=request.app.state.settings.secret_key,
        )  # fmt: skip
    except CurrencyError as error:
        context = {"status_message": page_errors.page_message(request, error),
                   "status_kind": "error", "found": None}  # fmt: skip
        return render(request, "statement.html", page, context, status_code=lookup(error)[0])
    return render(request, "statement.html", page, {"found": found})
