"""/admin/reports: the dashboard (90 days of issued, spent, settled and expired as charts
with their tables; balances held; velocity; regional re-spend; top categories; budgets),
the base-date report (資金決済法) for a chosen date with its CSV, and the open data links."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.money import common
from admin.money.charts import Line, bar_chart, line_chart
from admin.people import console
from admin.people.console import Reading, Session
from api import page_errors, web
from api.web import N_
from currency import clock
from currency.auth.login import Principal
from currency.errors import CurrencyError
from currency.reports import base_date, dashboard, exports

router = console.router()
MEASURES = (("issued", N_("Issued")), ("spent", N_("Spent")), ("settled", N_("Settled")),
            ("expired", N_("Expired")))  # fmt: skip
FLOWS_DESC = N_("Daily amounts from {first} to {last}. On the last day: {latest}.")
HELD_DESC = N_("Coins and points in wallets, and shops' balances not yet settled.")
TOP_DESC = N_("Net spending by shop category in the last {days} days.")
BUDGET_DESC = N_("How much of each budget is used.")
KINDS = {"coin": N_("Coins in wallets"), "point": N_("Points in wallets"),
         "merchant": N_("Shops, not yet settled")}  # fmt: skip


@router.get("/reports", response_class=HTMLResponse, name="money_reports")
async def overview(
    request: Request,
    on: date | None = None,
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> HTMLResponse:
    books = await common.books_of(session, who)
    found = await dashboard.dashboard(session, currency_id=books.id, today=clock.today())
    context: dict[str, Any] = {"d": found, "unit": books.coin_unit, "on": on,
                               **_charts(request, found)}  # fmt: skip
    status_code = 200
    if on is not None:
        try:
            context["base"] = await base_date.report(session, currency_id=books.id, on=on)
        except CurrencyError as error:
            context |= common.status(page_errors.page_message(request, error), "error")
            status_code = 422
    return await console.page(
        request, session, who, "admin/money/reports.html", context, status_code=status_code
    )


def _charts(request: Request, found: dashboard.Dashboard) -> dict[str, Any]:

    def t(message: str) -> str:
        return web.gettext(request, message)

    days = found.series
    lines = [Line(t(name), [getattr(d, key) for d in days]) for key, name in MEASURES]
    latest = ", ".join(f"{line.name} {line.values[-1]:,}" for line in lines) if days else "-"
    flows = line_chart(
        "chart-flows", t(N_("Issued, spent, settled and expired by day")),
        t(FLOWS_DESC).format(first=days[0].day, last=days[-1].day, latest=latest), lines,
    )  # fmt: skip
    held = bar_chart("chart-held", t(N_("Balances held now")), t(HELD_DESC),
                     [(t(KINDS[k]), v) for k, v in found.outstanding.items()])  # fmt: skip
    top = bar_chart("chart-top", t(N_("Top shop categories")),
                    t(TOP_DESC).format(days=found.period_days),
                    [(c.category, c.amount) for c in found.top_categories])  # fmt: skip
    budgets = bar_chart("chart-budgets", t(N_("Budget used")), t(BUDGET_DESC),
                        [(b.name, b.used) for b in found.budgets])  # fmt: skip
    return {"flows_chart": flows, "held_chart": held, "top_chart": top,
            "budget_chart": budgets, "measures": MEASURES, "kinds": KINDS}  # fmt: skip


@router.get("/reports/base-date.csv", response_class=Response, name="money_base_date_csv")
async def base_date_csv(
    request: Request, on: date, who: Principal = Reading, session: AsyncSession = Session
) -> Response:
    books = await common.books_of(session, who)
    try:
        found = await base_date.report(session, currency_id=books.id, on=on)
    except CurrencyError:
        return await overview(request, on, who, session)
    name = f"meguri-base-date-{on.isoformat()}.csv"
    return Response(
        exports.base_date_csv(found).encode("utf-8"), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
