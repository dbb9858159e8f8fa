"""Reversals, four eyes: one staff member asks with a reason, another approves (the ledger
posts the mirror of the operation) or rejects. Nothing is reversed until approved."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from api.v1.staff.common import REFUSALS, Acting, Reading, Session, currency_of
from currency import clock
from currency.auth.login import Principal
from currency.corrections import service as corrections
from currency.settings import Settings

router = APIRouter()
DECIDING = {
    **REFUSALS,
    403: {"description": "The one who asked may not approve (`not-permitted`)."},
    404: {"description": "No such request (`not-found`)."},
    409: {"description": "Already decided (`already-done`), already reversed, or the "
          "operation is settled (`already-reversed`, `invalid-operation`)."},
}  # fmt: skip


class ReversalAsked(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"operation_id": 120034, "reason": "さいき鮮魚店で二重に決済されたため"}]
        },
    )
    operation_id: int = Field(strict=True, ge=1)
    reason: str = Field(min_length=1, max_length=1000)


class Rejection(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "返金で対応済みのため"}]}
    )
    reason: str = Field(min_length=1, max_length=1000)


class Reversal(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "operation_id": 120034,
                    "operation_kind": "payment",
                    "amount": 1200,
                    "reason": "さいき鮮魚店で二重に決済されたため",
                    "requested_by": 12,
                    "requested_at": "2026-11-26T10:02:03+09:00",
                    "status": "pending",
                    "decided_by": None,
                    "decided_at": None,
                    "decision_reason": None,
                    "reversal_operation_id": None,
                }
            ]
        }
    )
    id: int
    operation_id: int
    operation_kind: str
    amount: int
    reason: str
    requested_by: int
    requested_at: datetime
    status: str  # pending, approved, rejected
    decided_by: int | None
    decided_at: datetime | None
    decision_reason: str | None
    reversal_operation_id: int | None  # the mirror operation, once approved


async def _view(session: AsyncSession, currency_id: int, request_id: int) -> Reversal:
    stored = await corrections.get(session, currency_id=currency_id, request_id=request_id)
    return Reversal.model_validate(stored, from_attributes=True)


@router.get("/reversals", response_model=list[Reversal], responses=REFUSALS)
async def pending(who: Principal = Reading, session: AsyncSession = Session) -> list[Reversal]:
    """Requests waiting for a decision, oldest first."""
    found = await corrections.pending(session, await currency_of(session, who))
    return [Reversal.model_validate(x, from_attributes=True) for x in found]


@router.post(
    "/reversals",
    status_code=201,
    response_model=Reversal,
    responses={**REFUSALS, 404: {"description": "No such operation (`not-found`)."},
               409: {"description": "A request is already waiting (`already-done`)."},
               422: {"description": "The operation cannot be reversed."}},
)  # fmt: skip
async def ask(
    body: ReversalAsked, who: Principal = Acting, session: AsyncSession = Session
) -> Reversal:
    """Ask for an operation to be reversed; it waits for a second staff member."""
    stored = await corrections.request_reversal(
        session, currency_id=await currency_of(session, who), operation_id=body.operation_id,
        reason=body.reason, staff_id=who.id,
    )  # fmt: skip
    return Reversal.model_validate(stored, from_attributes=True)


# a bigint: a larger number is no request (422), never a database error
RequestId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("/reversals/{request_id}/approve", response_model=Reversal, responses=DECIDING)
async def approve(
    request_id: RequestId,
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Reversal:
    """Approve: the mirror operation is posted now (approving twice reverses once: 409)."""
    currency_id = await currency_of(session, who)
    await corrections.approve_reversal(
        session, currency_id=currency_id, request_id=request_id, staff_id=who.id,
        today=clock.today(), grace_days=settings.refund_grace_days,
    )  # fmt: skip
    return await _view(session, currency_id, request_id)


@router.post("/reversals/{request_id}/reject", response_model=Reversal, responses=DECIDING)
async def reject(
    request_id: RequestId, body: Rejection, who: Principal = Acting, session: AsyncSession = Session
) -> Reversal:
    """Reject (or, by the one who asked, withdraw): nothing is reversed."""
    currency_id = await currency_of(session, who)
    await corrections.reject_reversal(
        session, currency_id=currency_id, request_id=request_id, staff_id=who.id,
        reason=body.reason,
    )  # fmt: skip
    return await _view(session, currency_id, request_id)
