"""Reports for the staff console: the dashboard, daily series, the base-date report.

Read-only: staff, admin and the auditor. Figures and their definitions: docs/reports.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.staff.common import REFUSALS, Reading, Session, currency_of
from currency import clock
from currency.auth.login import Principal
from currency.reports import base_date, dashboard, series
from currency.reports.models import MEASURES

router = APIRouter(prefix="/reports")
UNPROCESSABLE: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    422: {"description": "The question cannot be answered as asked (problem+json)."},
}


@router.get("/dashboard", response_model=dashboard.Dashboard, responses=REFUSALS)
async def dashboard_figures(
    days: int = Query(30, ge=1, le=365, description="The period for velocity, re-spend, top"),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> dashboard.Dashboard:
    """Today's figures, 90 days of daily figures, balances held, velocity, re-spend rate,
    top categories and budget use."""
    currency_id = await currency_of(session, who)
    return await dashboard.dashboard(
        session, currency_id=currency_id, today=clock.today(), days_back=days
    )


@router.get("/series", response_model=list[series.Point], responses=UNPROCESSABLE)
async def daily_series(
    start: date = Query(..., alias="from", description="First day (JST), e.g. 2026-10-01"),
    end: date = Query(..., alias="to", description="Last day (JST), included"),
    measure: str = Query(..., description=f"One of: {', '.join(MEASURES)}"),
    by: str | None = Query(None, description=f"Split by one of: {', '.join(series.BY)}"),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> list[series.Point]:
    """One measure per day (net of reversals), optionally split by a cell."""
    currency_id = await currency_of(session, who)
    return await series.series(
        session, currency_id=currency_id, start=start, end=end, measure=measure, by=by
    )


@router.get("/base-date", responses=UNPROCESSABLE)
async def base_date_report(
    on: date = Query(..., description="The base date (JST), e.g. 2026-03-31"),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> dict[str, Any]:
    """Unused coins at the end of ``on``, the deposit they call for, the half-year's books."""
    currency_id = await currency_of(session, who)
    found = await base_date.report(session, currency_id=currency_id, on=on)
    return found.as_json()
