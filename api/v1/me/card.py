"""A resident's own printed card: whether it works, and blocking it at once when lost.

A new card is issued at the city office counter (identity checked there), never here."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.me.common import REFUSALS, Resident, Session, currency_of
from currency.auth.login import Principal
from currency.residents import card_desk
from currency.residents.card_desk import BlockReason, OwnCard

router = APIRouter()
NO_CARD: dict[int | str, dict[str, Any]] = {404: {"description": "You have no card (`not-found`)."}}


class CardStatus(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "active",
                    "last4": "1080",
                    "issued_on": "2026-04-06",
                    "pin_locked": False,
                }
            ]
        }
    )
    status: str  # active, blocked, replaced
    last4: str  # the last 4 digits of the card number
    issued_on: date
    pin_locked: bool  # too many wrong PINs: the city office unlocks it


class BlockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "lost"}]})
    reason: BlockReason


def _view(card: OwnCard) -> CardStatus:
    return CardStatus.model_validate(card, from_attributes=True)


@router.get("/card", response_model=CardStatus, responses={**REFUSALS, **NO_CARD})
async def my_card(who: Principal = Resident, session: AsyncSession = Session) -> CardStatus:
    """Your latest card: whether it works, its last 4 digits, when it was issued, and
    whether it is locked after wrong PINs."""
    return _view(await card_desk.own_card(
        session, currency_id=await currency_of(session, who), resident_id=who.id
    ))  # fmt: skip


@router.post(
    "/card/block",
    response_model=CardStatus,
    responses={**REFUSALS, **NO_CARD,
               409: {"description": "The card was already blocked (`already-done`)."}},
)  # fmt: skip
async def block_my_card(
    body: BlockRequest, who: Principal = Resident, session: AsyncSession = Session
) -> CardStatus:
    """Stop your card at once (lost, stolen): nobody can pay with it from now on. Your
    balance stays in your wallet; the city office issues a new card."""
    return _view(await card_desk.block_own(
        session, currency_id=await currency_of(session, who), resident_id=who.id,
        reason=body.reason,
    ))  # fmt: skip
