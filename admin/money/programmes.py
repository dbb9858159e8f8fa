"""/admin/programmes: the point programmes in force, their activities, and how much of each
budget the issuance counters say is used."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from admin.money import common
from admin.people import console
from admin.people.console import Reading, Session
from currency.auth.login import Principal
from currency.issuance import rulebook
from currency.issuance.rules import PointProgramme
from currency.reports import dashboard

router = console.router()


async def programmes_in_force(session: AsyncSession, currency_id: int) -> list[PointProgramme]:
    found = await rulebook.in_force(
        session, currency_id=currency_id, kind="point_programme", now=datetime.now(UTC)
    )
    return [p for p in found if isinstance(p, PointProgramme)]


@router.get("/programmes", response_class=HTMLResponse, name="money_programmes")
async def listing(
    request: Request, who: Principal = Reading, session: AsyncSession = Session
) -> HTMLResponse:
    books = await common.books_of(session, who)
    used = {
        (b.kind, b.code): b
        for b in await dashboard.budgets(session, currency_id=books.id, now=datetime.now(UTC))
    }
    context = {"programmes": await programmes_in_force(session, books.id), "budgets": used,
               "unit": books.point_unit, "coin_unit": books.coin_unit}  # fmt: skip
    return await console.page(request, session, who, "admin/money/programmes.html", context)
