"""A shop's bank account (entered here, shown masked ever after) and its sign-in users
(the initial password is shown once, to be handed over on paper)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.people import console, forms, shop_forms
from admin.people.console import Acting, Session
from admin.people.merchants import _back, show
from api.v1 import deps
from currency import errors as e
from currency.auth.login import Principal
from currency.merchants import service as merchants
from currency.settings import Settings

router = console.router()
ROLES = ("merchant_owner", "merchant_clerk")


@router.post("/merchants/{code}/bank-account", name="admin_merchant_bank")
async def set_bank_account(
    request: Request,
    code: str,
    bank_code: str = Form("", max_length=8),
    bank_name_kana: str = Form("", max_length=30),
    branch_code: str = Form("", max_length=6),
    branch_name_kana: str = Form("", max_length=30),
    account_type: str = Form("", max_length=2),
    account_number: str = Form("", max_length=14),
    holder_kana: str = Form("", max_length=60),
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """The account the shop is paid to; the number is never shown in full again."""
    form = {"bank_code": bank_code, "bank_name_kana": bank_name_kana,
            "branch_code": branch_code, "branch_name_kana": branch_name_kana,
            "account_type": account_type, "account_number": account_number,
            "holder_kana": holder_kana}  # fmt: skip
    values, errors = shop_forms.bank(form)
    context: dict[str, Any] = {"bank_form": form, "errors": errors, **forms.check_fields(request)}
    if not errors:
        try:
            await merchants.set_bank_account(
                session, currency_id=await console.currency_id(session, who), code=code,
                staff_id=who.id, secret=settings.secret_key, **values,
            )  # fmt: skip
        except e.CurrencyError as refused:
            context |= console.refusal(request, refused)
        else:
            return _back(code, "bank")
    return await show(request, session, who, settings, code, context, 422)


@router.post("/merchants/{code}/users", name="admin_merchant_user", response_class=HTMLResponse)
async def add_user(
    request: Request,
    code: str,
    display_name: str = Form("", max_length=60),
    role: str = Form("", max_length=20),
    username: str = Form("", max_length=64),
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """An owner or clerk login; the page shows its initial password this once."""
    form = {"display_name": display_name, "role": role, "username": username}
    errors = forms.required(form, "display_name", "role")
    context: dict[str, Any] = {"user_form": form, "errors": errors}
    if not errors and role in ROLES:
        cid = await console.currency_id(session, who)
        try:
            shop = await merchants.get(session, currency_id=cid, code=code)
            made = await merchants.add_user(
                session, currency_id=cid, merchant_id=shop.id, role=role,  # type: ignore[arg-type]
                display_name=display_name, username=username.strip() or None, actor=who.name,
                now=deps.now(),
            )  # fmt: skip
        except e.CurrencyError as refused:
            context |= console.refusal(request, refused)
        else:
            template = "admin/merchants/new_user.html"
            return await console.page(request, session, who, template, {"shop": shop, "made": made})
    else:
        context |= forms.check_fields(request)
    return await show(request, session, who, settings, code, context, 422)
