"""/admin/events: make an attendance event (a programme's activity, a day and hours), list
them, and print each one's QR poster (the staff API's poster page)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from admin.money import common
from admin.money.programmes import programmes_in_force
from admin.people import console
from admin.people.console import Acting, Reading, Session
from api import page_errors, web
from api.v1 import deps
from api.web import N_
from currency.auth.login import Principal
from currency.clock import JAPAN
from currency.errors import CurrencyError
from currency.issuance import events
from currency.settings import Settings

router = console.router()
MADE = N_("The event is ready. Print its poster for the venue.")
BAD_TIME = N_("Please enter the day and the start and end times.")
FIELDS = ("programme", "activity", "name", "on", "from", "until")


@router.get("/events", response_class=HTMLResponse, name="money_events")
async def listing(
    request: Request,
    who: Principal = Reading,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> HTMLResponse:
    today = datetime.now(JAPAN).date().isoformat()
    values = {f: "" for f in FIELDS} | {"on": today, "from": "09:00", "until": "17:00"}
    return await _page(request, who, session, settings, values, {})


async def _page(
    request: Request, who: Principal, session: AsyncSession, settings: Settings,
    values: dict[str, str], extra: dict[str, Any], status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    books = await common.books_of(session, who)
    found = await events.list_events(session, currency_id=books.id, secret=settings.secret_key)
    context = {"events": found, "values": values, "unit": books.point_unit,
               "programmes": await programmes_in_force(session, books.id), **extra}  # fmt: skip
    return await console.page(
        request, session, who, "admin/money/events.html", context, status_code=status_code
    )


@router.post("/events", response_class=HTMLResponse)
async def create(
    request: Request,
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> HTMLResponse:
    form = await request.form()
    values = {f: common.text(form, f) for f in FIELDS}
    try:
        day = datetime.fromisoformat(values["on"]).date()
        starts, ends = (
            datetime.combine(day, time.fromisoformat(values[k]), JAPAN) for k in ("from", "until")
        )
    except ValueError:
        said = common.status(web.gettext(request, BAD_TIME), "error")
        return await _page(request, who, session, settings, values, said, 422)
    books = await common.books_of(session, who)
    try:
        await events.create_event(
            session, currency_id=books.id, programme_code=values["programme"],
            activity_code=values["activity"], name=values["name"], starts_at=starts,
            ends_at=ends, staff_id=who.id, secret=settings.secret_key, now=datetime.now(UTC),
        )  # fmt: skip
    except CurrencyError as error:
        said = common.status(page_errors.page_message(request, error), "error")
        return await _page(request, who, session, settings, values, said, 422)
    said = common.status(web.gettext(request, MADE), "success")
    return await _page(request, who, session, settings, values, said, 201)
