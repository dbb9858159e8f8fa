"""Running a settlement period and taking its payout files away.

Staff and admin run a period; the auditor reads settlements and downloads the files.
Every download is audited (who, which file, its SHA-256): the files hold bank accounts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps, idempotency
from api.v1.days import Day
from api.v1.staff.common import REFUSALS, Acting, Reading, Session, currency_of, mark_replay
from api.v1.staff.records import SettlementView
from currency.auth.login import Principal
from currency.settings import Settings
from currency.settlement import payouts
from currency.settlement import service as settlements
from currency.settlement.payouts import FileKind

router = APIRouter()
MEDIA = {"zengin": "text/plain; charset=Shift_JIS", "csv": "text/csv; charset=utf-8"}
SUFFIX = {"zengin": "txt", "csv": "csv"}


class SettleRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"period": "2026-05-15"}]}
    )
    period: Day  # the cut-off day that ends the period (YYYY-MM-DD)


def clock() -> datetime:
    """Now, as a dependency (the period must have closed by it)."""
    return deps.now()


@router.post(
    "/settlements",
    status_code=201,
    response_model=list[SettlementView],
    responses={
        **REFUSALS,
        400: {"description": "No Idempotency-Key header (`idempotency-key-missing`)."},
        422: {"description": "Not a cut-off day, or its period has not closed yet "
              "(`invalid-operation`)."},
    },
)  # fmt: skip
async def settle(
    body: SettleRequest,
    response: Response,
    who: Principal = Acting,
    _key: str = Depends(idempotency.required_key),
    now: datetime = Depends(clock),
    session: AsyncSession = Session,
) -> list[SettlementView]:
    """Settle every active merchant for the period ending ``period``: once per shop and
    period. Running it again (with any key) answers the settlements made the first time
    (header `Idempotent-Replayed: true` when nothing new was settled)."""
    currency_id = await currency_of(session, who)
    before = await settlements.for_period(session, currency_id=currency_id, period_end=body.period)
    done = await settlements.settle_all(
        session, currency_id=currency_id, period_end=body.period, actor=f"staff:{who.id}",
        now=now,
    )  # fmt: skip
    mark_replay(response, {s.id for s in done} <= {s.id for s in before})
    return [SettlementView.model_validate(s, from_attributes=True) for s in done]


@router.get(
    "/settlements/{settlement_id}",
    response_model=SettlementView,
    responses={**REFUSALS, 404: {"description": "No such settlement (`not-found`)."}},
)
async def one(
    settlement_id: int = Path(ge=1, le=2**63 - 1),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> SettlementView:
    """One merchant's settlement of one period."""
    found = await settlements.by_id(
        session, currency_id=await currency_of(session, who), settlement_id=settlement_id
    )
    return SettlementView.model_validate(found, from_attributes=True)


FILE_REFUSALS: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    422: {"description": "The period is not settled, nobody is owed anything, or a merchant "
          "owed money has no usable bank account (`invalid-operation`): no file."},
}  # fmt: skip


async def _file(
    session: AsyncSession, who: Principal, settings: Settings, period: date, kind: FileKind
) -> Response:
    data = await payouts.download(
        session, currency_id=await currency_of(session, who), period_end=period,
        settings=settings, kind=kind, actor=f"staff:{who.id}",
    )  # fmt: skip
    name = f"meguri-payout-{period.isoformat()}-{kind}.{SUFFIX[kind]}"
    return Response(
        data, media_type=MEDIA[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store"},
    )  # fmt: skip


Period = Path(description="The cut-off day that ended the period (YYYY-MM-DD).")


@router.get(
    "/settlements/files/{period}/zengin",
    response_class=Response,
    responses={**FILE_REFUSALS, 200: {"content": {MEDIA["zengin"]: {}},
               "description": "The 全銀 総合振込 file: 120-byte records in CP932."}},
)  # fmt: skip
async def zengin_file(
    period: Annotated[Day, Period],
    who: Principal = Reading,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """The bank file (全銀 総合振込) paying the period's settlements, as an attachment.
    The same settlements always give the same bytes."""
    return await _file(session, who, settings, period, "zengin")


@router.get(
    "/settlements/files/{period}/csv",
    response_class=Response,
    responses={**FILE_REFUSALS, 200: {"content": {MEDIA["csv"]: {}},
               "description": "The same transfers for people: UTF-8 with a BOM."}},
)  # fmt: skip
async def csv_file(
    period: Annotated[Day, Period],
    who: Principal = Reading,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """The payout sheet (CSV, opens in Excel) of the period, as an attachment."""
    return await _file(session, who, settings, period, "csv")
