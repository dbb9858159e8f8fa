"""Sending coins to another resident (where the send policy in force allows it)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps, idempotency
from api.v1.me.common import KEYED, Resident, Session, currency_of, mark_replay, wallet_of
from currency.auth.login import Principal
from currency.payments import send_limits, transfers
from currency.wallets import history

router = APIRouter()


class TransferRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"to_resident_number": "S00067890", "amount": 500}]},
    )
    to_resident_number: str = Field(min_length=1, max_length=64)
    amount: int = Field(strict=True, ge=1, le=10_000_000)


class Transfer(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operation_id": 120101,
                    "amount": 500,
                    "to": "*****7890",
                    "created_at": "2026-11-26T10:02:03+09:00",
                }
            ]
        }
    )
    operation_id: int
    amount: int
    to: str  # the number as the sender typed it, masked but for its last 4 characters
    created_at: datetime


def masked(number: str) -> str:
    """Enough for the sender to recognise the number, not enough to read it off a screen."""
    shown = number[-4:] if len(number) > 4 else ""
    return "*" * (len(number) - len(shown)) + shown


@router.post(
    "/transfers",
    status_code=201,
    response_model=Transfer,
    responses={
        **KEYED,
        404: {"description": "No resident has this number (`not-found`)."},
        409: {"description": "Not enough coins that may be sent (`insufficient-balance`), "
              "or the receiver cannot receive now (`account-unavailable`)."},
        422: {"description": "Over the send policy's limits (`limit-exceeded`), sending to "
              "oneself (`invalid-operation`), a bad request (`validation`), or the key "
              "reused for another request (`idempotency-key-reused`)."},
        429: {"description": "Too many refused sends within the hour (`rate-limited`, with "
              "`Retry-After`): every send waits, whatever the number."},
    },
)  # fmt: skip
async def send(
    body: TransferRequest,
    response: Response,
    who: Principal = Resident,
    key: str = Depends(idempotency.required_key),
    session: AsyncSession = Session,
    checks: AsyncSession = Depends(deps.get_session_kept_on_error, scope="function"),
) -> Transfer:
    """Send ``amount`` to another resident by their number. The receiver gets lots with the
    same expiry and restrictions. A retry with the same Idempotency-Key answers the same
    (201) and sends once (header `Idempotent-Replayed: true`).

    Refused sends are counted (currency/payments/send_limits.py): past ten within the hour,
    every send is refused with 429 until the hour is over, so that numbers cannot be tried
    one after another to find out which exist."""
    currency_id, at = await currency_of(session, who), deps.now()
    async with send_limits.counted(checks, currency_id=currency_id, resident_id=who.id, now=at):
        posted = await transfers.send(
            session, currency_id=currency_id, sender_wallet=wallet_of(who),
            to_resident_number=body.to_resident_number, amount=body.amount, actor=who.name,
            idempotency=idempotency.of(who, key, body.model_dump()), now=at,
        )  # fmt: skip
    mark_replay(response, posted.replayed)
    # From the stored operation, so that a retry reads exactly the same.
    done = await history.receipt(session, currency_id=currency_id, operation_id=posted.operation_id)
    return Transfer(
        operation_id=posted.operation_id,
        amount=int(done.details["amount"]),
        to=masked(str(done.details["to"])),
        created_at=done.created_at,
    )
