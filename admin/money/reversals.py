"""/admin/reversals: ask for an operation to be reversed (with a reason); another staff
member approves (the ledger posts the mirror operation) or rejects it. The one who asked
may withdraw their request but never approve it."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from admin.money import common
from admin.people import console
from admin.people.console import Acting, Reading, Session
from api import page_errors, web
from api.v1 import deps
from api.web import N_
from currency import clock
from currency.auth.login import Principal
from currency.corrections import service as corrections
from currency.errors import CurrencyError, NotPermitted
from currency.settings import Settings

router = console.router()
ASKED = N_("The request is saved. Another staff member must approve it.")
APPROVED = N_("Approved. Operation {operation} is reversed.")
REJECTED = N_("Rejected. Nothing was reversed.")
NEED_REASON = N_("Please write the reason.")
NOT_YOURS = N_("Another staff member must approve this. Nothing was changed.")


@router.get("/reversals", response_class=HTMLResponse, name="money_reversals")
async def listing(
    request: Request, who: Principal = Reading, session: AsyncSession = Session
) -> HTMLResponse:
    return await _page(request, who, session, {"operation_id": "", "reason": ""}, {})


async def _page(
    request: Request, who: Principal, session: AsyncSession, values: dict[str, str],
    extra: dict[str, Any], status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    books = await common.books_of(session, who)
    waiting = await corrections.pending(session, books.id)
    context = {"pending": waiting, "values": values, "unit": books.coin_unit, **extra}
    return await console.page(
        request, session, who, "admin/money/reversals.html", context, status_code=status_code
    )


@router.post("/reversals", response_class=HTMLResponse)
async def ask(
    request: Request, who: Principal = Acting, session: AsyncSession = Session
) -> HTMLResponse:
    form = await request.form()
    values = {"operation_id": common.text(form, "operation_id"),
              "reason": common.text(form, "reason")}  # fmt: skip
    if not values["reason"] or not values["operation_id"].isdigit():
        said = common.status(web.gettext(request, NEED_REASON), "error")
        return await _page(request, who, session, values, said, 422)
    books = await common.books_of(session, who)
    try:
        await corrections.request_reversal(
            session, currency_id=books.id, operation_id=int(values["operation_id"]),
            reason=values["reason"], staff_id=who.id,
        )  # fmt: skip
    except CurrencyError as error:
        return await _refused(request, who, session, values, error)
    said = common.status(web.gettext(request, ASKED), "success")
    return await _page(request, who, session, {"operation_id": "", "reason": ""}, said, 201)


async def _refused(
    request: Request, who: Principal, session: AsyncSession, values: dict[str, str],
    error: CurrencyError,
) -> HTMLResponse:  # fmt: skip
    if isinstance(error, NotPermitted):
        said, code = web.gettext(request, NOT_YOURS), 403
    else:
        said, code = page_errors.page_message(request, error), 409
    return await _page(request, who, session, values, common.status(said, "error"), code)


@router.post("/reversals/{request_id}/approve", response_class=HTMLResponse)
async def approve(
    request: Request,
    request_id: int,
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> HTMLResponse:
    books = await common.books_of(session, who)
    blank = {"operation_id": "", "reason": ""}
    try:
        done = await corrections.approve_reversal(
            session, currency_id=books.id, request_id=request_id, staff_id=who.id,
            today=clock.today(), grace_days=settings.refund_grace_days,
        )  # fmt: skip
    except CurrencyError as error:
        return await _refused(request, who, session, blank, error)
    said = web.gettext(request, APPROVED).format(operation=done.operation_id)
    return await _page(request, who, session, blank, common.status(said, "success"))


@router.post("/reversals/{request_id}/reject", response_class=HTMLResponse)
async def reject(
    request: Request, request_id: int, who: Principal = Acting, session: AsyncSession = Session
) -> HTMLResponse:
    form = await request.form()
    reason = common.text(form, f"reject-reason-{request_id}") or common.text(form, "reason")
    blank = {"operation_id": "", "reason": ""}
    if not reason:
        said = common.status(web.gettext(request, NEED_REASON), "error")
        return await _page(request, who, session, blank, said, 422)
    books = await common.books_of(session, who)
    try:
        await corrections.reject_reversal(
            session, currency_id=books.id, request_id=request_id, staff_id=who.id, reason=reason
        )
    except CurrencyError as error:
        return await _refused(request, who, session, blank, error)
    said = common.status(web.gettext(request, REJECTED), "success")
    return await _page(request, who, session, blank, said)
