"""Printed QR cards for residents without a smartphone: issue, block, reset the PIN."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from api.v1.staff import profiles
from api.v1.staff.common import REFUSALS, Acting, Session, currency_of
from currency.auth.login import Principal
from currency.payments import qr_render
from currency.residents import card_codes, card_desk, cards
from currency.settings import Settings

router = APIRouter()
Number = Path(min_length=1, max_length=64, description="The resident number.")


class IssuedCard(BaseModel):
    """Shown once: the QR text is not kept anywhere it can be read back."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "card_number": "4628 1350 9273 1080",
                    "qr": "MGC1.4628135092731080.Q7ZK2MXP4RTW6VNB",
                    "sheet_svg": '<svg xmlns="http://www.w3.org/2000/svg" width="105mm" …</svg>',
                }
            ]
        }
    )

    card_number: str  # as printed
    qr: str
    sheet_svg: str  # the A6 card to print and laminate


class Block(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "本人から紛失の電話連絡（鶴見の自宅付近）"}]},
    )
    reason: str = Field(min_length=1, max_length=500)


class NewPin(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"pin": "4816"}]})
    pin: str = Field(min_length=1, max_length=8, description="4 digits")


class Done(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"done": "blocked"}]})
    done: str


class Reissue(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "カードの破損（洗濯）"}]}
    )
    reason: str = Field(min_length=1, max_length=500, description="lost, damaged …")


class Unlock(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"checked_identity": True}]}
    )
    checked_identity: bool = Field(
        strict=True, description="true: the resident is at the counter and their identity "
        "document was checked. Refused without it."
    )  # fmt: skip


CardNumber = Path(min_length=1, max_length=40, description="Spaces are ignored.")


def _shown(card: card_codes.IssuedCard, name: str) -> IssuedCard:
    """A new card as the counter sees it once: its QR and the sheet to print, named."""
    sheet = qr_render.card_sheet_svg(card.qr, name, card.printed_number)
    return IssuedCard(card_number=card.printed_number, qr=card.qr, sheet_svg=sheet)


@router.post(
    "/residents/{number}/cards",
    status_code=201,
    response_model=IssuedCard,
    responses={
        **REFUSALS,
        404: {"description": "No resident has this number (`not-found`)."},
        409: {"description": "An active card exists (`already-done`), or the resident is "
              "not active (`account-unavailable`)."},
    },
)  # fmt: skip
async def issue(
    number: str = Number,
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> IssuedCard:
    """A new card for a resident with no active card; its QR and printable sheet."""
    currency_id = await currency_of(session, who)
    card = await cards.issue_card(
        session, currency_id=currency_id, resident_number=number, staff_id=who.id,
        secret=settings.secret_key,
    )  # fmt: skip
    holder = await profiles.row_of(session, currency_id, number)
    return _shown(card, holder["name"])


@router.post(
    "/cards/{card_number}/block",
    response_model=Done,
    responses={**REFUSALS, 404: {"description": "No such card."},
               409: {"description": "The card was already blocked or replaced."}},
)  # fmt: skip
async def block(
    body: Block,
    card_number: str = CardNumber,
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Done:
    """The card stops working at once; the balance stays in the resident's wallet."""
    await cards.block_card(
        session, currency_id=await currency_of(session, who),
        card_number=card_desk.digits_of(card_number),
        reason=body.reason, actor=f"staff:{who.id}",
    )  # fmt: skip
    return Done(done="blocked")


@router.post(
    "/residents/{number}/pin",
    response_model=Done,
    responses={**REFUSALS, 404: {"description": "No resident has this number."},
               422: {"description": "A weak PIN (`invalid-operation`)."}},
)  # fmt: skip
async def reset_pin(
    body: NewPin, number: str = Number, who: Principal = Acting, session: AsyncSession = Session
) -> Done:
    """Set a new PIN (the resident chooses it at the counter); unlocks a locked card and
    ends every sign-in made with the old PIN. The PIN is never shown again."""
    await cards.set_pin(
        session, currency_id=await currency_of(session, who), resident_number=number,
        pin=body.pin, staff_id=who.id,
    )  # fmt: skip
    return Done(done="pin-set")


@router.post(
    "/cards/{card_number}/reissue",
    status_code=201,
    response_model=IssuedCard,
    responses={
        **REFUSALS,
        404: {"description": "No such card (`not-found`)."},
        409: {"description": "The card was already replaced by a newer one (`already-done`), "
              "or the resident is not active (`account-unavailable`)."},
        422: {"description": "No reason given."},
    },
)  # fmt: skip
async def reissue(
    body: Reissue,
    card_number: str = CardNumber,
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> IssuedCard:
    """A new card instead of this one, which stops working now if it still worked (lost,
    damaged): both in one transaction. The PIN and the wallet stay the resident's."""
    currency_id = await currency_of(session, who)
    done = await card_desk.reissue(
        session, currency_id=currency_id, card_number=card_number, staff_id=who.id,
        secret=settings.secret_key, reason=body.reason,
    )  # fmt: skip
    return _shown(done.card, done.resident_name)


@router.post(
    "/cards/{card_number}/unlock",
    response_model=Done,
    responses={
        **REFUSALS,
        404: {"description": "No such card (`not-found`)."},
        409: {"description": "The card is not locked (`already-done`)."},
        422: {"description": "`checked_identity` is not true (`invalid-operation`)."},
    },
)  # fmt: skip
async def unlock(
    body: Unlock,
    card_number: str = CardNumber,
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Done:
    """After 5 wrong PINs: the card works again with the same PIN. Only with the resident
    at the counter and their identity checked (``checked_identity: true``); audited. To
    choose a new PIN instead, use ``POST /v1/staff/residents/{number}/pin``."""
    await card_desk.unlock(
        session, currency_id=await currency_of(session, who), card_number=card_number,
        staff_id=who.id, checked_identity=body.checked_identity,
    )  # fmt: skip
    return Done(done="unlocked")
