"""Claiming an event's points by scanning its poster at the venue."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps, idempotency
from api.v1.me.common import KEYED, Resident, Session, currency_of, mark_replay
from currency.auth.login import Principal
from currency.issuance import events
from currency.residents.models import resident
from currency.settings import Settings

router = APIRouter()


class ClaimRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "MGE1.27.K3QZ7XW2MNP4RT6V.BX4KQ2M7ZT5PWN3RDJ6VCH2LYA"}]
        },
    )
    code: str = Field(min_length=1, max_length=100, description="What the poster's QR holds.")


class Claim(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operation_id": 90412,
                    "programme": "volunteer",
                    "activity": "cleanup",
                    "points": 100,
                    "on": "2026-06-07",
                    "expires_on": "2027-03-31",
                }
            ]
        }
    )
    operation_id: int
    programme: str
    activity: str
    points: int
    on: date  # the event's day
    expires_on: date  # the points' last usable day


@router.post(
    "/event-claims",
    status_code=201,
    response_model=Claim,
    responses={
        **KEYED,
        409: {"description": "You already received this event's points (`already-done`), "
              "or your wallet is not in use (`account-unavailable`)."},
        422: {"description": "Not an event code of this city (`invalid-code`), outside the "
              "event's hours (`invalid-operation`), the programme's cap or budget "
              "(`limit-exceeded`), or the key reused (`idempotency-key-reused`)."},
    },
)  # fmt: skip
async def claim(
    body: ClaimRequest,
    response: Response,
    who: Principal = Resident,
    key: str = Depends(idempotency.required_key),
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Claim:
    """The event's points, once per resident and event, while the event is open. A retry
    with the same Idempotency-Key answers the same (201) and grants once."""
    currency_id = await currency_of(session, who)
    number = await session.scalar(
        sa.select(resident.c.resident_number).where(
            resident.c.currency_id == currency_id, resident.c.id == who.id
        )
    )
    result = await events.claim(
        session, currency_id=currency_id, resident_number=str(number), token=body.code,
        now=deps.now(), secret=settings.secret_key,
        idempotency=idempotency.of(who, key, body.model_dump()),
    )  # fmt: skip
    mark_replay(response, result.replayed)
    return Claim.model_validate(result, from_attributes=True)
