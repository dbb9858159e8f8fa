"""The audit log page: who did what to what and when; filters, pages, CSV download."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.people import audit_log, console
from admin.people.console import Reading, Session
from api.web import N_
from currency import clock
from currency.audit import service as audit
from currency.auth.login import Principal

router = console.router()
BAD_DATES = N_("The start date is after the end date. Please check the dates.")


def _filters(actor: str, action: str, target: str, since: str, until: str) -> audit_log.Filters:
    """The filters as typed; a date the browser did not send as YYYY-MM-DD is left out."""
    return audit_log.Filters(actor.strip(), action.strip(), target.strip(), _day(since),
                             _day(until))  # fmt: skip


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


@router.get("/audit", name="admin_audit", response_class=HTMLResponse)
async def entries(
    request: Request,
    actor: str = Query("", max_length=100),
    action: str = Query("", max_length=100),
    target: str = Query("", max_length=200),
    since: str = Query("", max_length=10),
    until: str = Query("", max_length=10),
    before: int | None = Query(None, ge=1),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> Response:
    """Newest first, 50 a page; every filter narrows."""
    filters = _filters(actor, action, target, since, until)
    cid = await console.currency_id(session, who)
    context: dict[str, object] = {"filters": filters}
    if filters.since and filters.until and filters.since > filters.until:
        context |= console.said(request, BAD_DATES, "error")
        found = audit_log.Page([], None)
    else:
        found = await audit_log.page(session, currency_id=cid, filters=filters, before=before)
    context |= {"found": found, "csv_query": _without_before(request)}
    return await console.page(request, session, who, "admin/audit.html", context)


def _without_before(request: Request) -> str:
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "before"])


@router.get("/audit.csv", name="admin_audit_csv")
async def download(
    actor: str = Query("", max_length=100),
    action: str = Query("", max_length=100),
    target: str = Query("", max_length=200),
    since: str = Query("", max_length=10),
    until: str = Query("", max_length=10),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> Response:
    """The filtered entries as CSV (UTF-8 with BOM, opens in Excel)."""
    filters = _filters(actor, action, target, since, until)
    cid = await console.currency_id(session, who)
    text = await audit_log.csv_text(session, currency_id=cid, filters=filters)
    await audit.record(
        session,
        currency_id=cid,
        actor=f"staff:{who.id}",
        action="audit.export",
        target="audit_log",
        after=asdict(filters),
    )  # fmt: skip  (who took a copy of the log, and of what)
    name = f"audit-{clock.today():%Y%m%d}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)
