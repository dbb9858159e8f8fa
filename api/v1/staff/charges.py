"""Charging a resident's wallet at the city counter or a kiosk: yen in, coins out."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps, idempotency
from api.v1.staff.common import REFUSALS, Acting, Session, currency_of, mark_replay
from currency.auth.login import Principal
from currency.charges import service as charges
from currency.charges.result import ChargeResult

router = APIRouter()


class ChargeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_number": "S00012345",
                    "yen": 10000,
                    "channel": "counter",
                    "reference": "上浦支所 窓口 No.12",
                }
            ]
        },
    )
    resident_number: str = Field(min_length=1, max_length=64)
    yen: int = Field(strict=True, ge=1, le=10_000_000)
    channel: Literal["counter", "kiosk"]
    reference: str | None = Field(default=None, max_length=100)


@router.post(
    "/charges",
    status_code=201,
    response_model=ChargeResult,
    response_model_exclude={"replayed"},
    responses={
        **REFUSALS,
        400: {"description": "No Idempotency-Key header (`idempotency-key-missing`)."},
        404: {"description": "No resident has this number (`not-found`)."},
        409: {"description": "The wallet cannot be charged now (`account-unavailable`)."},
        422: {"description": "A wallet limit (`limit-exceeded`), a bad request "
              "(`validation`), or the key reused for another request."},
    },
)  # fmt: skip
async def charge(
    body: ChargeRequest,
    response: Response,
    who: Principal = Acting,
    key: str = Depends(idempotency.required_key),
    session: AsyncSession = Session,
) -> ChargeResult:
    """Sell ``yen`` worth of coins to the resident, with a campaign's premium if one
    applies. A retry with the same Idempotency-Key answers the same and charges once."""
    result = await charges.charge(
        session, currency_id=await currency_of(session, who),
        resident_number=body.resident_number, yen=body.yen, channel=body.channel,
        reference=body.reference, actor=f"staff:{who.id}",
        idempotency=idempotency.of(who, key, body.model_dump()), now=deps.now(),
    )  # fmt: skip
    mark_replay(response, result.replayed)
    return result
