"""Sales history by day, one payment with its refunds, and refunding (part of) it: the
owner directly, a clerk with the owner's PIN typed by the owner."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api import page_errors, web
from api.db import get_session
from api.errors import lookup
from api.v1 import deps, idempotency
from api.v1.merchant.owner import owner_approval
from currency import clock
from currency.clock import JAPAN
from currency.errors import CurrencyError, InvalidOperation
from currency.merchants import sales
from currency.payments import service as payments
from currency.settings import Settings
from merchant_app.shop import ShopPage, render, shop_page

router = APIRouter(include_in_schema=False)
Page = Depends(shop_page)
Session = Depends(get_session, scope="function")
Kept = Depends(deps.get_session_kept_on_error, scope="function")
PaymentId = Path(ge=1, le=2**63 - 1)
DAYS_SHOWN = 14
REFUNDED = web.N_("The refund is done. It went back to the customer's wallet.")
BAD_AMOUNT = web.N_("Please enter the amount to refund in whole numbers.")


@dataclass(frozen=True)
class Day:
    day: date
    count: int
    amount: int
    refunded: int
    kept: int


def by_day(found: sales.Sales) -> list[Day]:
    """Every day of the period, newest first, with its totals (a day without sales: zeros)."""
    grouped: dict[date, list[sales.Payment]] = defaultdict(list)
    for paid in found.payments:
        grouped[paid.created_at.astimezone(JAPAN).date()].append(paid)
    days = [found.end - timedelta(days=n) for n in range((found.end - found.start).days + 1)]
    return [_day(d, grouped[d]) for d in days]


def _day(day: date, paid: list[sales.Payment]) -> Day:
    return Day(
        day, len(paid), sum(p.amount for p in paid), sum(p.refunded for p in paid),
        sum(p.kept for p in paid),
    )  # fmt: skip


def _chosen_day(request: Request, today: date) -> date:
    try:
        chosen = date.fromisoformat(request.query_params.get("day", ""))
    except ValueError:
        return today
    return chosen if today - timedelta(days=366) <= chosen <= today else today


@router.get("/sales", name="merchant_sales", response_class=HTMLResponse)
async def sales_history(request: Request, page: ShopPage = Page, session: AsyncSession = Session
) -> HTMLResponse:  # fmt: skip
    today = clock.today()
    day = _chosen_day(request, today)
    period = await _sales(session, page, today - timedelta(days=DAYS_SHOWN - 1), today)
    of_day = await _sales(session, page, day, day)
    context = {"days": by_day(period), "day": day, "of_day": of_day, "period": period}
    return render(request, "sales.html", page, context)


async def _sales(session: AsyncSession, page: ShopPage, start: date, end: date) -> sales.Sales:
    return await sales.payments(
        session, currency_id=page.at.currency_id, merchant_account_id=page.at.shop.account_id,
        start=start, end=end,
    )  # fmt: skip


async def _payment(session: AsyncSession, page: ShopPage, payment_id: int) -> sales.Payment:
    return await sales.payment(
        session, currency_id=page.at.currency_id, merchant_account_id=page.at.shop.account_id,
        payment_id=payment_id,
    )  # fmt: skip


@router.get("/payments/{payment_id}", name="merchant_payment", response_class=HTMLResponse)
async def payment_detail(
    request: Request, payment_id: int = PaymentId, page: ShopPage = Page,
    session: AsyncSession = Session,
) -> HTMLResponse:  # fmt: skip
    try:
        paid = await _payment(session, page, payment_id)
    except CurrencyError as error:
        message = page_errors.page_message(request, error)
        context = {"status_message": message, "status_kind": "error", "paid": None}
        return render(request, "payment.html", page, context, status_code=lookup(error)[0])
    done = {"status_message": web.gettext(request, REFUNDED), "status_kind": "success"}
    shown = done if request.query_params.get("refunded") == "1" else {}
    return render(request, "payment.html", page, _detail_context(paid, **shown))


def _detail_context(paid: sales.Payment, **more: Any) -> dict[str, Any]:
    return {"paid": paid, "refund_key": str(uuid.uuid4()), "refund_amount": "", **more}


@router.post("/payments/{payment_id}/refund", name="merchant_refund", response_class=HTMLResponse)
async def refund(
    request: Request,
    payment_id: int = PaymentId,
    amount: Annotated[str, Form(max_length=20)] = "",
    owner_pin: Annotated[str | None, Form(max_length=12)] = None,
    idempotency_key: Annotated[str, Form(max_length=100)] = "",
    page: ShopPage = Page,
    session: AsyncSession = Session,
    checks: AsyncSession = Kept,
) -> Response:
    """One refund per confirm form (its key): a double tap or a reload refunds once."""
    settings: Settings = request.app.state.settings
    try:
        value = _whole(amount)
        approved_by = await owner_approval(checks, page.at, owner_pin or None)
        body = {"payment_id": payment_id, "amount": value}
        await payments.refund(
            session, currency_id=page.at.currency_id,
            merchant_account_id=page.at.shop.account_id, payment_id=payment_id, amount=value,
            actor=page.at.who.name, grace_days=settings.refund_grace_days,
            idempotency=idempotency.of(page.at.who, _key(idempotency_key), body),
            approved_by=approved_by,
        )  # fmt: skip
    except CurrencyError as error:
        return await _refund_refused(request, page, session, payment_id, amount, error)
    target = request.url_for("merchant_payment", payment_id=payment_id).path
    return RedirectResponse(f"{target}?refunded=1", status_code=303)


def _whole(amount: str) -> int:
    text = amount.strip().replace(",", "")
    if not text.isdecimal() or not 1 <= int(text) <= 10_000_000:
        raise InvalidOperation(BAD_AMOUNT)
    return int(text)


def _key(key: str) -> str:
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return str(uuid.uuid4())  # a form without its key: this attempt gets one of its own


async def _refund_refused(
    request: Request, page: ShopPage, session: AsyncSession, payment_id: int, amount: str,
    error: CurrencyError,
) -> HTMLResponse:  # fmt: skip
    if isinstance(error, InvalidOperation) and str(error) == BAD_AMOUNT:
        message = web.gettext(request, BAD_AMOUNT)
    else:
        message = page_errors.page_message(request, error, unit=page.coin_unit)
    # the refused transaction may be spent; the side pool, never waiting on our own pool
    async with request.app.state.side_sessionmaker() as fresh:
        paid = await _payment(fresh, page, payment_id)
    context = _detail_context(
        paid, refund_amount=amount, status_message=message, status_kind="error"
    )
    return render(request, "payment.html", page, context, status_code=lookup(error)[0])
