"""Residents at the counter: search, open (audited), enrol, verify, suspend or restore,
and print a new activation letter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.people import console, forms
from admin.people.console import Acting, Reading, Session
from api.v1 import deps
from api.v1.staff import profiles
from api.v1.staff.activation import render_letter
from api.web import N_
from currency import errors as e
from currency.auth import activation
from currency.auth.login import Principal
from currency.residents import service as residents
from currency.settings import Settings

router = console.router()
DONE = {
    "enrolled": N_("The resident is enrolled. Print the activation letter and hand it over."),
    "verified": N_("Identity check recorded. The higher limits now apply."),
    "suspended": N_("The resident is suspended. Nothing can be paid from the wallet."),
    "active": N_("The resident can use Meguri again."),
    "card-issued": N_("A new card was issued. Print the card sheet."),
    "card-blocked": N_("The card is blocked. It can no longer be used."),
    "card-reissued": N_("A new card was issued in place of the old one. Print the card sheet."),
    "card-unlocked": N_("The card is unlocked. The same PIN works again."),
}


@router.get("/residents", name="admin_residents", response_class=HTMLResponse)
async def search(
    request: Request,
    q: str = Query("", max_length=100),
    cursor: str | None = Query(None, max_length=20),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> Response:
    """Find a resident by number (exactly), or by part of the name or kana."""
    cid = await console.currency_id(session, who)
    context: dict[str, Any] = {"q": q, "found": None}
    if q.strip() or cursor:
        try:
            context["found"] = await residents.search(
                session, currency_id=cid, q=q, cursor=cursor, limit=30
            )
        except e.InvalidOperation as refused:
            context |= console.refusal(request, refused)
    return await console.page(request, session, who, "admin/residents/search.html", context)


@router.get("/residents/new", name="admin_resident_new", response_class=HTMLResponse)
async def enrol_form(
    request: Request, who: Principal = Acting, session: AsyncSession = Session
) -> Response:
    form = {"has_smartphone": "yes"}
    return await console.page(request, session, who, "admin/residents/enrol.html", {"form": form})


@router.post("/residents", name="admin_resident_enrol", response_class=HTMLResponse)
async def enrol(
    request: Request,
    resident_number: str = Form("", max_length=64),
    name: str = Form("", max_length=100),
    name_kana: str = Form("", max_length=100),
    district: str = Form("", max_length=50),
    birth_year: str = Form("", max_length=8),
    has_smartphone: str = Form("yes", max_length=3),
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Response:
    """Enrol (empty wallet, level 1), then the resident's page offers the letter."""
    form = {
        "resident_number": resident_number, "name": name, "name_kana": name_kana,
        "district": district, "birth_year": birth_year, "has_smartphone": has_smartphone,
    }  # fmt: skip
    errors = forms.required(form, "resident_number", "name", "district")
    year = forms.year(birth_year, errors)
    context: dict[str, Any] = {"form": form, "errors": errors}
    if not errors:
        try:
            done = await residents.enrol(
                session, currency_id=await console.currency_id(session, who),
                resident_number=resident_number, name=name, name_kana=name_kana or None,
                district=district.strip(), birth_year=year,
                has_smartphone=has_smartphone != "no", staff_id=who.id,
            )  # fmt: skip
        except e.CurrencyError as refused:
            context |= console.refusal(request, refused)
            status = console.status_of(refused)
        else:
            return back(done.resident_number, "enrolled")
    else:
        context |= forms.check_fields(request)
        status = 422
    return await console.page(
        request, session, who, "admin/residents/enrol.html", context, status_code=status
    )


def back(number: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/residents/{number}?done={done}", status_code=303)


@router.get("/residents/{number}", name="admin_resident", response_class=HTMLResponse)
async def resident(
    request: Request,
    number: str,
    done: str = Query("", max_length=20),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> Response:
    """The resident's record, card and wallet. Every opening is in the audit log."""
    context = console.said(request, DONE[done]) if done in DONE else {}
    return await show(request, session, who, number, context)


async def show(
    request: Request,
    session: AsyncSession,
    who: Principal,
    number: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    cid = await console.currency_id(session, who)
    try:
        found = await profiles.profile(session, cid, number)
    except e.NotFound as missing:
        context = {"q": number, "found": None, **console.refusal(request, missing)}
        template = "admin/residents/search.html"
        return await console.page(request, session, who, template, context, status_code=404)
    await residents.record_view(
        session, currency_id=cid, resident_number=found.resident_number, actor=f"staff:{who.id}"
    )
    context = {"r": found, "errors": {}, "form": {}, **context}
    return await console.page(
        request, session, who, "admin/residents/resident.html", context, status_code=status_code
    )


async def refused_on_page(
    request: Request,
    session: AsyncSession,
    who: Principal,
    number: str,
    refused: Exception | None = None,
    **context: Any,
) -> Response:
    """The resident's page again, with the refusal said and the clerk's input kept."""
    if refused is not None:
        context |= console.refusal(request, refused)
        status = console.status_of(refused)
    else:
        context |= forms.check_fields(request)
        status = 422
    return await show(request, session, who, number, context, status)


async def act(
    request: Request,
    session: AsyncSession,
    who: Principal,
    number: str,
    done: str,
    call: Callable[[int], Awaitable[object]],
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """A change from the resident's page: ``call`` (given the currency's id), then the page
    with ``done`` said; the page again with the clerk's input kept if ``errors`` or refused."""
    form = form or {}
    if errors:
        return await refused_on_page(request, session, who, number, form=form, errors=errors)
    try:
        await call(await console.currency_id(session, who))
    except e.CurrencyError as refused:
        return await refused_on_page(request, session, who, number, refused, form=form)
    return back(number, done)


@router.post("/residents/{number}/verify", name="admin_resident_verify")
async def verify(
    request: Request,
    number: str,
    method: str = Form("", max_length=200),
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Response:
    """Identity checked at the counter, with the document seen."""
    form = {"method": method}
    return await act(
        request, session, who, number, "verified",
        lambda cid: residents.verify_identity(
            session, currency_id=cid, resident_number=number, staff_id=who.id,
            method=method.strip(),
        ),
        form=form, errors=forms.required(form, "method"),
    )  # fmt: skip


@router.post("/residents/{number}/status", name="admin_resident_status")
async def set_status(
    request: Request,
    number: str,
    status: str = Form("", max_length=10),
    reason: str = Form("", max_length=500, alias="status_reason"),
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Response:
    """Suspend (利用停止) or restore, with the reason kept in the audit log."""
    form = {"status_reason": reason}
    errors = forms.required(form, "status_reason")
    if status not in ("active", "suspended"):
        return await refused_on_page(request, session, who, number, form=form, errors=errors)
    return await act(
        request, session, who, number, status,
        lambda cid: residents.set_status(
            session, currency_id=cid, resident_number=number,
            status="active" if status == "active" else "suspended", reason=reason.strip(),
            staff_id=who.id,
        ),
        form=form, errors=errors,
    )  # fmt: skip


@router.post("/residents/{number}/letter", name="admin_resident_letter")
async def letter(
    request: Request,
    number: str,
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """A new activation code on the printable letter; earlier unused codes stop working."""
    try:
        made = await activation.create(
            session, currency_id=await console.currency_id(session, who), resident_number=number,
            staff_user_id=who.id, now=deps.now(), secret=settings.secret_key,
        )  # fmt: skip
    except e.CurrencyError as refused:
        return await refused_on_page(request, session, who, number, refused)
    html = render_letter(made, settings)
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})
