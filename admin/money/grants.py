"""/admin/grants: one grant by hand; /admin/grants/bulk: a CSV previewed row by row, then
granted all at once. The commit button is off while any row is bad and the service refuses
such a file too; the same file grants once (the page shows the earlier result)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from admin.money import common
from admin.money.programmes import programmes_in_force
from admin.people import console
from admin.people.console import Acting, Reading, Session
from api import page_errors, web
from api.web import N_
from currency.auth.login import Principal
from currency.errors import CurrencyError, LimitExceeded
from currency.issuance import bulk, grant_csv, grants

router = console.router()
GRANTED = N_("Granted {points} to resident {number}.")
ALREADY = N_("This form was already sent; it was granted once.")
FIX_FILE = N_("Some rows have problems. Nothing was granted. Fix the file and upload again.")
NO_FILE = N_("Please choose a CSV file.")
TOO_BIG = N_("The file is too large. Please split it into smaller files.")
BULK_DONE = N_("Granted {rows} rows, {points} in all.")
BULK_BEFORE = N_("This file was already granted: {rows} rows, {points}. Nothing more was granted.")
FIELDS = ("resident_number", "programme", "activity", "points", "note")


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/grants", response_class=HTMLResponse, name="money_grants")
async def grant_form(
    request: Request, who: Principal = Reading, session: AsyncSession = Session
) -> HTMLResponse:
    return await _page(request, who, session, {f: "" for f in FIELDS}, {})


async def _page(
    request: Request, who: Principal, session: AsyncSession, values: dict[str, str],
    extra: dict[str, Any], status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    books = await common.books_of(session, who)
    context = {"values": values, "key": common.new_key(), "unit": books.point_unit,
               "programmes": await programmes_in_force(session, books.id), **extra}  # fmt: skip
    return await console.page(
        request, session, who, "admin/money/grants.html", context, status_code=status_code
    )


@router.post("/grants", response_class=HTMLResponse)
async def grant(
    request: Request, who: Principal = Acting, session: AsyncSession = Session
) -> HTMLResponse:
    form = await request.form()
    values = {f: common.text(form, f) for f in FIELDS}
    books = await common.books_of(session, who)
    try:
        done = await grants.grant(
            session, currency_id=books.id, resident_number=values["resident_number"],
            programme_code=values["programme"], activity_code=values["activity"],
            staff_id=who.id, note=values["note"] or None, points=_points(values["points"]),
            now=_now(), idempotency=common.form_key(form.get("key")),
        )  # fmt: skip
    except CurrencyError as error:
        said = _refusal(request, error, books.point_unit)
        return await _page(request, who, session, values, common.status(said, "error"), 422)
    said = web.gettext(request, ALREADY if done.replayed else GRANTED).format(
        points=web.amount(done.points, books.point_unit), number=done.resident_number
    )
    blank = {f: "" for f in FIELDS} | {"programme": values["programme"]}
    return await _page(request, who, session, blank, {**common.status(said, "success"),
                                                      "done": done})  # fmt: skip


def _points(raw: str) -> int | None:
    digits = raw.replace(",", "")
    return int(digits) if digits.isdigit() and int(digits) > 0 else None


CAPS = {
    "monthly_cap": N_("the monthly cap per resident"),
    "yearly_cap": N_("the yearly cap per resident"),
    "budget": N_("the programme budget"),
}
OVER_CAP = N_(
    "This is over {cap} ({limit}): {used} is already granted, so up to {remaining} can still "
    "be granted. Nothing was granted."
)


def _refusal(request: Request, error: CurrencyError, unit: str) -> str:
    """Caps and budgets say which and how much is left; the rest in the shared words."""
    if isinstance(error, LimitExceeded):
        cap = web.gettext(request, CAPS.get(error.code, CAPS["budget"]))
        return web.gettext(request, OVER_CAP).format(
            cap=cap, limit=web.amount(error.limit, unit), used=web.amount(error.used, unit),
            remaining=web.amount(error.remaining, unit),
        )  # fmt: skip
    return page_errors.page_message(request, error, unit=unit)


# --- bulk ------------------------------------------------------------------------------


@router.get("/grants/bulk", response_class=HTMLResponse, name="money_bulk")
async def bulk_form(
    request: Request, who: Principal = Reading, session: AsyncSession = Session
) -> HTMLResponse:
    return await _bulk_page(request, who, session, {})


async def _bulk_page(
    request: Request, who: Principal, session: AsyncSession, extra: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    books = await common.books_of(session, who)
    context = {"programmes": await programmes_in_force(session, books.id),
               "unit": books.point_unit, **extra}  # fmt: skip
    return await console.page(
        request, session, who, "admin/money/bulk.html", context, status_code=status_code
    )


@router.post("/grants/bulk/preview", response_class=HTMLResponse)
async def bulk_preview(
    request: Request, who: Principal = Acting, session: AsyncSession = Session
) -> HTMLResponse:
    form = await request.form()
    programme = common.text(form, "programme")
    upload = form.get("file")
    data = await upload.read() if upload is not None and hasattr(upload, "read") else b""
    if not data or len(data) > grant_csv.MAX_BYTES:
        said = web.gettext(request, TOO_BIG if data else NO_FILE)
        return await _bulk_page(request, who, session, common.status(said, "error") |
                                {"programme": programme}, 422)  # fmt: skip
    return await _previewed(request, who, session, programme, data)


async def _previewed(
    request: Request, who: Principal, session: AsyncSession, programme: str, data: bytes,
    extra: dict[str, Any] | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    books = await common.books_of(session, who)
    try:
        found = await bulk.preview(
            session, currency_id=books.id, programme_code=programme, data=data,
            staff_id=who.id, now=_now(),
        )  # fmt: skip
    except CurrencyError as error:
        said = _file_refusal(request, error, books.point_unit)
        return await _bulk_page(request, who, session, common.status(said, "error") |
                                {"programme": programme}, 422)  # fmt: skip
    context: dict[str, Any] = {"preview": found, "programme": programme,
                               "data": base64.b64encode(data).decode()}  # fmt: skip
    if found.totals.errors and not extra:
        context |= common.status(web.gettext(request, FIX_FILE), "warning")
    return await _bulk_page(request, who, session, context | (extra or {}), status_code)


def _file_refusal(request: Request, error: CurrencyError, unit: str) -> str:
    if isinstance(error, bulk.GrantFileRefused):
        problem = error.problem
        return problem.ja if web.preferences(request).locale == "ja" else problem.en
    return page_errors.page_message(request, error, unit=unit)


@router.post("/grants/bulk/commit", response_class=HTMLResponse)
async def bulk_commit(
    request: Request, who: Principal = Acting, session: AsyncSession = Session
) -> HTMLResponse:
    form = await request.form()
    programme = common.text(form, "programme")
    try:
        data = base64.b64decode(common.text(form, "data"), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        said = web.gettext(request, NO_FILE)
        return await _bulk_page(request, who, session, common.status(said, "error"), 422)
    books = await common.books_of(session, who)
    attempt = await session.begin_nested()  # a refused file leaves nothing behind
    try:
        done = await bulk.commit(
            session, currency_id=books.id, programme_code=programme, data=data,
            staff_id=who.id, now=_now(),
        )  # fmt: skip
    except CurrencyError:
        await attempt.rollback()
        fix = common.status(web.gettext(request, FIX_FILE), "error")
        return await _previewed(request, who, session, programme, data, fix, 422)
    await attempt.commit()
    message = BULK_BEFORE if done.replayed else BULK_DONE
    said = web.gettext(request, message).format(
        rows=done.rows, points=web.amount(done.points, books.point_unit)
    )
    return await _bulk_page(request, who, session, {**common.status(said, "success"),
                                                    "committed": done})  # fmt: skip
