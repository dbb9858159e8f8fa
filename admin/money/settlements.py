"""/admin/settlements: run a settlement period, see each shop's amounts, and download the
全銀 bank file and the CSV (through the payouts service, which audits every download)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.money import common
from admin.people import console
from admin.people.console import Acting, Reading, Session
from api import page_errors, web
from api.v1 import deps
from api.web import N_
from currency.auth.login import Principal
from currency.clock import JAPAN
from currency.errors import CurrencyError
from currency.issuance import rulebook
from currency.issuance.rules import SettlementSchedule
from currency.issuance.schedule import cutoff_dates
from currency.settings import Settings
from currency.settlement import payouts
from currency.settlement import service as settlements
from currency.settlement.payouts import FileKind

router = console.router()
SETTLED = N_("The period is settled: {count} shops, {payout} to pay.")
MEDIA = {"zengin": "text/plain; charset=Shift_JIS", "csv": "text/csv; charset=utf-8"}
SUFFIX = {"zengin": "txt", "csv": "csv"}


async def recent_cutoffs(session: AsyncSession, currency_id: int) -> list[date]:
    """The cut-off days of the last three months that have passed, newest first."""
    now = datetime.now(UTC)
    schedule = await rulebook.standing(
        session, currency_id=currency_id, kind="settlement_schedule", model=SettlementSchedule,
        now=now,
    )  # fmt: skip
    today = now.astimezone(JAPAN).date()
    months = {(d.year, d.month) for d in (today - timedelta(days=31 * n) for n in range(4))}
    days = [d for y, m in months for d in cutoff_dates(schedule, y, m) if d < today]
    return sorted(days, reverse=True)


@router.get("/settlements", response_class=HTMLResponse, name="money_settlements")
async def listing(
    request: Request,
    period: date | None = None,
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> HTMLResponse:
    return await _page(request, who, session, period, {})


async def _page(
    request: Request, who: Principal, session: AsyncSession, period: date | None,
    extra: dict[str, Any], status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    books = await common.books_of(session, who)
    cutoffs = await recent_cutoffs(session, books.id)
    chosen = period or (cutoffs[0] if cutoffs else None)
    rows = await settlements.for_period(session, currency_id=books.id, period_end=chosen) if (
        chosen) else []  # fmt: skip
    context = {"cutoffs": cutoffs, "period": chosen, "rows": rows, "unit": books.coin_unit,
               "total": sum(r.payout for r in rows), "key": common.new_key(), **extra}  # fmt: skip
    return await console.page(
        request, session, who, "admin/money/settlements.html", context, status_code=status_code
    )


@router.post("/settlements", response_class=HTMLResponse)
async def run(
    request: Request, who: Principal = Acting, session: AsyncSession = Session
) -> HTMLResponse:
    form = await request.form()
    try:
        period = date.fromisoformat(common.text(form, "period"))
    except ValueError:
        return await _page(request, who, session, None, {}, 422)
    books = await common.books_of(session, who)
    try:
        done = await settlements.settle_all(
            session, currency_id=books.id, period_end=period, actor=f"staff:{who.id}",
            now=datetime.now(UTC),
        )  # fmt: skip
    except CurrencyError as error:
        problem = common.status(page_errors.page_message(request, error), "error")
        return await _page(request, who, session, period, problem, 422)
    said = web.gettext(request, SETTLED).format(
        count=len(done), payout=web.amount(sum(s.payout for s in done), books.coin_unit)
    )
    return await _page(request, who, session, period, common.status(said, "success"))


@router.get("/settlements/{period}/{kind}", response_class=Response, name="money_payout_file")
async def download(
    request: Request,
    period: date,
    kind: FileKind,
    who: Principal = Reading,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    books = await common.books_of(session, who)
    try:
        data = await payouts.download(
            session, currency_id=books.id, period_end=period, settings=settings, kind=kind,
            actor=f"staff:{who.id}",
        )  # fmt: skip
    except CurrencyError as error:
        said = common.status(page_errors.page_message(request, error), "error")
        return await _page(request, who, session, period, said, 422)
    name = f"meguri-payout-{period.isoformat()}-{kind}.{SUFFIX[kind]}"
    return Response(
        data, media_type=MEDIA[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store"},
    )  # fmt: skip
