"""Reports for the staff console: the dashboard, daily series, the base-date report.

Read-only: staff, admin and the auditor. Figures and their definitions: docs/reports.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.days import Day
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
Series = Annotated[
    list[series.Point],
    Field(
        examples=[
            [
                {"day": "2026-05-17", "key": "佐伯", "amount": 412300, "count": 318},
                {"day": "2026-05-17", "key": "蒲江", "amount": 96800, "count": 71},
                {"day": "2026-05-18", "key": "佐伯", "amount": 398500, "count": 305},
            ]
        ]
    ),
]
BaseDate = Annotated[
    dict[str, Any],
    Field(
        examples=[
            {
                "on": "2026-03-31",
                "until": "2026-04-01T00:00:00+09:00",
                "period_start": "2025-10-01",
                "unused": 48570000,
                "past_due_unswept": 35000,
                "wallet_coin_lots": 48605000,
                "deposit_required": 24285000,
                "opening": 31200000,
                "issued": 58400000,
                "issued_premium": 9600000,
                "payments": 40150000,
                "refunds": 320000,
                "used": 39830000,
                "expired": 1180000,
                "reversed": -20000,
                "sent": 2450000,
                "other": 0,
                "threshold": 10000000,
            }
        ]
    ),
]


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


@router.get("/series", response_model=Series, responses=UNPROCESSABLE)
async def daily_series(
    start: Annotated[Day, Query(alias="from", description="First day (JST), e.g. 2026-10-01")],
    end: Annotated[Day, Query(alias="to", description="Last day (JST), included")],
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


@router.get("/base-date", response_model=BaseDate, responses=UNPROCESSABLE)
async def base_date_report(
    on: Annotated[Day, Query(description="The base date (JST), e.g. 2026-03-31")],
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> dict[str, Any]:
    """Unused coins at the end of ``on``, the deposit they call for, the half-year's books."""
    currency_id = await currency_of(session, who)
    found = await base_date.report(session, currency_id=currency_id, on=on)
    return found.as_json()
