"""A counter charge: yen paid at the counter become coins, with the premium in force.

The confirm form carries a server-made idempotency key, so a double tap or a reload
charges once; the result screen shows what the service answered."""

from __future__ import annotations

from typing import Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.people import console, forms
from admin.people.console import Acting, Session
from api.v1 import deps, idempotency
from api.v1.staff import profiles
from currency import errors as e
from currency.auth.login import Principal
from currency.charges import service as charges

router = console.router()
TEMPLATE = "admin/residents/charge.html"


async def _form(
    request: Request,
    session: AsyncSession,
    who: Principal,
    number: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    cid = await console.currency_id(session, who)
    holder = await profiles.row_of(session, cid, number)
    context = {"holder": holder, "errors": {}, **context}
    return await console.page(request, session, who, TEMPLATE, context, status_code=status_code)


@router.get("/residents/{number}/charge", name="admin_charge_form", response_class=HTMLResponse)
async def charge_form(
    request: Request, number: str, who: Principal = Acting, session: AsyncSession = Session
) -> Response:
    form = {"yen": "", "reference": "", "key": forms.new_key()}
    return await _form(request, session, who, number, {"form": form})


@router.post("/residents/{number}/charge", name="admin_charge", response_class=HTMLResponse)
async def charge(
    request: Request,
    number: str,
    yen: str = Form("", max_length=20),
    reference: str = Form("", max_length=100),
    key: str = Form("", max_length=64),
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Response:
    """Charge once per key: the result screen tells coins, premium and the new balance."""
    form = {"yen": yen, "reference": reference, "key": key if forms.valid_key(key) else ""}
    errors: dict[str, str] = {}
    amount = forms.yen(yen, errors)
    if errors or not form["key"]:
        form["key"] = form["key"] or forms.new_key()
        context = {"form": form, "errors": errors, **forms.check_fields(request)}
        return await _form(request, session, who, number, context, 422)
    cid = await console.currency_id(session, who)
    note = reference.strip() or None
    asked = {"resident_number": number, "yen": amount, "channel": "counter", "reference": note}
    try:
        result = await charges.charge(
            session, currency_id=cid, resident_number=number, yen=amount, channel="counter",
            reference=note, actor=f"staff:{who.id}",
            idempotency=idempotency.of(who, key, asked), now=deps.now(),
        )  # fmt: skip
    except e.CurrencyError as refused:
        unit = (await console.units(session, cid))["coin"]
        context = {"form": form, **console.refusal(request, refused, unit)}
        return await _form(request, session, who, number, context, console.status_of(refused))
    holder = await profiles.row_of(session, cid, number)
    context = {"holder": holder, "result": result}
    return await console.page(request, session, who, "admin/residents/charged.html", context)
