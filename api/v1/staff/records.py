"""Read-only records for staff and auditors: the audit log and the settlements."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.days import Day
from api.v1.staff.common import REFUSALS, Reading, Session, currency_of
from currency.audit import service as audit
from currency.auth.login import Principal
from currency.settlement import service as settlements

router = APIRouter()


class AuditEntry(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 55120,
                    "created_at": "2026-05-18T10:04:31+09:00",
                    "actor": "staff:12",
                    "action": "card.block",
                    "target": "resident:S1600014",
                    "before": {"card": "active"},
                    "after": {"card": "blocked"},
                    "reason": "本人から紛失の電話連絡",
                }
            ]
        }
    )
    id: int
    created_at: datetime
    actor: str  # "staff:12", "system" …
    action: str  # "charge", "rule.approve", "card.block" …
    target: str  # "resident:…", "rule:7" …
    before: Any
    after: Any
    reason: str | None


class SettlementView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "merchant_id": 18,
                    "merchant_code": "m7K2QX",
                    "merchant_name": "さいき鮮魚店",
                    "period_start": "2026-05-01",
                    "period_end": "2026-05-15",
                    "amount": 184300,
                    "fee_rate_bp": 100,
                    "fee": 1843,
                    "payout": 182457,
                    "payout_on": "2026-05-25",
                    "operation_id": 90544,
                    "created_at": "2026-05-16T06:00:12+09:00",
                }
            ]
        }
    )
    merchant_id: int
    merchant_code: str
    merchant_name: str
    period_start: date
    period_end: date
    amount: int  # sales of the period
    fee_rate_bp: int
    fee: int
    payout: int
    payout_on: date
    operation_id: int | None
    created_at: datetime


@router.get("/audit", response_model=list[AuditEntry], responses=REFUSALS)
async def entries(
    target: str | None = Query(None, max_length=200, description='e.g. "resident:SAIKI0042"'),
    limit: int = Query(100, ge=1, le=1000),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> list[AuditEntry]:
    """The newest audit records first (of ``target`` only, when given)."""
    found = await audit.entries(
        session, currency_id=await currency_of(session, who), target=target, limit=limit
    )
    return [AuditEntry.model_validate(row) for row in found]


@router.get("/settlements", response_model=list[SettlementView], responses=REFUSALS)
async def for_period(
    period: Annotated[
        Day, Query(description="The last day of the settlement period (YYYY-MM-DD).")
    ],
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> list[SettlementView]:
    """Every shop's settlement of the period ending ``period``, in shop order."""
    found = await settlements.for_period(
        session, currency_id=await currency_of(session, who), period_end=period
    )
    return [SettlementView.model_validate(x, from_attributes=True) for x in found]
