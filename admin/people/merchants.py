"""Shops at the city office: list and search, onboard, change, and the shop's page."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.people import console, forms, shop_forms
from admin.people.console import Acting, Reading, Session
from api.v1 import deps
from api.v1.staff.merchants import view
from api.web import N_
from currency import errors as e
from currency.auth.login import Principal
from currency.merchants import service as merchants
from currency.settings import Settings
from currency.settlement import bank

router = console.router()
STATUSES = {"active": N_("Active"), "suspended": N_("Suspended"), "closed": N_("Closed")}
DONE = {
    "onboarded": N_("The shop is registered. Add its bank account and its users next."),
    "changed": N_("The changes are saved."),
    "bank": N_("The bank account is saved."),
}
NEED_REASON = N_("Please write why the status changes. It is kept in the audit log.")


@router.get("/merchants", name="admin_merchants", response_class=HTMLResponse)
async def search(
    request: Request,
    q: str = Query("", max_length=100),
    status: str = Query("", max_length=10),
    after: int = Query(0, ge=0),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> Response:
    """Every shop in the order they joined, 50 a page; by part of the code, name or kana."""
    cid = await console.currency_id(session, who)
    found = await merchants.search(
        session, currency_id=cid, q=q.strip() or None,
        status=status if status in STATUSES else None, after_id=after, limit=merchants.PAGE + 1,
    )  # fmt: skip
    more = found[-2].id if len(found) > merchants.PAGE else None
    context = {"q": q, "status": status, "shops": found[: merchants.PAGE], "more": more,
               "statuses": STATUSES}  # fmt: skip
    return await console.page(request, session, who, "admin/merchants/list.html", context)


@router.get("/merchants/new", name="admin_merchant_new", response_class=HTMLResponse)
async def onboard_form(
    request: Request, who: Principal = Acting, session: AsyncSession = Session
) -> Response:
    form = dict.fromkeys((*shop_forms.SHOP_FIELDS, "code"), "")
    return await console.page(request, session, who, "admin/merchants/new.html", {"form": form})


@router.post("/merchants", name="admin_merchant_onboard", response_class=HTMLResponse)
async def onboard(
    request: Request,
    name: str = Form("", max_length=100),
    name_kana: str = Form("", max_length=100),
    district: str = Form("", max_length=40),
    category: str = Form("", max_length=40),
    tags: str = Form("", max_length=400),
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Response:
    """Register a shop (active, with its own account); its code is made for the poster."""
    form = {"name": name, "name_kana": name_kana, "district": district, "category": category,
            "tags": tags}  # fmt: skip
    values, errors = shop_forms.shop(form)
    context: dict[str, Any] = {"form": form, "errors": errors, **forms.check_fields(request)}
    if not errors:
        try:
            shop = await merchants.onboard(
                session, currency_id=await console.currency_id(session, who), actor=who.name,
                now=deps.now(), **values,
            )  # fmt: skip
        except e.CurrencyError as refused:
            context |= console.refusal(request, refused)
        else:
            return _back(shop.code, "onboarded")
    return await console.page(
        request, session, who, "admin/merchants/new.html", context, status_code=422
    )


def _back(code: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/merchants/{code}?done={done}", status_code=303)


@router.get("/merchants/{code}", name="admin_merchant", response_class=HTMLResponse)
async def shop_page(
    request: Request,
    code: str,
    done: str = Query("", max_length=20),
    who: Principal = Reading,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """The shop, its fee in force, bank account (masked), users and poster."""
    context = console.said(request, DONE[done]) if done in DONE else {}
    return await show(request, session, who, settings, code, context)


async def show(
    request: Request,
    session: AsyncSession,
    who: Principal,
    settings: Settings,
    code: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    cid = await console.currency_id(session, who)
    shop = await merchants.get(session, currency_id=cid, code=code)
    try:
        account: bank.BankAccount | None = await bank.get_account(
            session, currency_id=cid, merchant_id=shop.id, secret=settings.secret_key
        )
    except (e.NotFound, bank.BankAccountUnreadable):
        account = None
    context = {
        "shop": shop, "fee_bp": (await view(session, cid, shop)).fee_rate_bp, "account": account,
        "users": await merchants.users_of(session, currency_id=cid, merchant_id=shop.id),
        "statuses": STATUSES, "account_types": shop_forms.ACCOUNT_TYPES, "errors": {},
        "form": _shop_form(shop), "bank_form": {}, **context,
    }  # fmt: skip
    template = "admin/merchants/shop.html"
    return await console.page(request, session, who, template, context, status_code=status_code)


def _shop_form(shop: merchants.Merchant) -> dict[str, str]:
    return {"name": shop.name, "name_kana": shop.name_kana or "", "district": shop.district,
            "category": shop.category, "tags": ", ".join(shop.tags), "shop_status": shop.status,
            "reason": ""}  # fmt: skip


@router.post("/merchants/{code}", name="admin_merchant_change", response_class=HTMLResponse)
async def change(
    request: Request,
    code: str,
    name: str = Form("", max_length=100),
    name_kana: str = Form("", max_length=100),
    district: str = Form("", max_length=40),
    category: str = Form("", max_length=40),
    tags: str = Form("", max_length=400),
    status: str = Form("", max_length=10, alias="shop_status"),
    reason: str = Form("", max_length=500),
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """Save what changed; a change of status needs a reason."""
    form = {"name": name, "name_kana": name_kana, "district": district, "category": category,
            "tags": tags, "shop_status": status, "reason": reason}  # fmt: skip
    cid = await console.currency_id(session, who)
    before = await merchants.get(session, currency_id=cid, code=code)
    values, errors = shop_forms.shop(form)
    if status not in STATUSES:
        status = before.status
    if status != before.status and not reason.strip():
        errors["reason"] = NEED_REASON
    changes = {k: v for k, v in values.items() if v != _current(before, k)}
    if status != before.status:
        changes["status"] = status
    context: dict[str, Any] = {"form": form, "errors": errors, **forms.check_fields(request)}
    if not errors:
        try:
            await merchants.update(
                session, currency_id=cid, code=code, changes=changes,
                reason=reason.strip() or None, actor=who.name, now=deps.now(),
            )  # fmt: skip
        except e.CurrencyError as refused:
            context |= console.refusal(request, refused)
        else:
            return _back(code, "changed")
    return await show(request, session, who, settings, code, context, 422)


def _current(shop: merchants.Merchant, name: str) -> Any:
    value = getattr(shop, name)
    return list(value) if name == "tags" else value
