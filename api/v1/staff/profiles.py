"""A resident as the city counter sees them: the record, the latest card, the wallet.

A read only (no service in currency/residents has one yet); every change goes through
currency/residents/service.py and cards.py.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.errors import NotFound
from currency.residents import numbers
from currency.residents.card_codes import MAX_PIN_FAILURES, printed
from currency.residents.models import card, resident
from currency.wallets import service as wallets


class CardView(BaseModel):
    card_number: str  # as printed: four groups of four digits
    status: str  # active, blocked, replaced
    block_reason: str | None


class LotView(BaseModel):
    kind: str
    amount: int
    expires_on: date
    allowed_tags: list[str] | None
    allowed_districts: list[str] | None


class WalletView(BaseModel):
    balance: int
    spendable: dict[str, int]
    lots: list[LotView]


class Profile(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "resident_number": "S00012345",
                    "name": "佐伯 花子",
                    "name_kana": "サイキ ハナコ",
                    "district": "上浦",
                    "birth_year": 1948,
                    "has_smartphone": False,
                    "verification_level": 2,
                    "status": "active",
                    "pin_set": True,
                    "pin_locked": False,
                    "card": {
                        "card_number": "6012 3456 7890 1234",
                        "status": "active",
                        "block_reason": None,
                    },
                    "wallet": {
                        "balance": 12600,
                        "spendable": {"coin": 11000, "point": 1600},
                        "lots": [
                            {
                                "kind": "coin",
                                "amount": 11000,
                                "expires_on": "2027-03-31",
                                "allowed_tags": None,
                                "allowed_districts": None,
                            }
                        ],
                    },
                }
            ]
        }
    )
    resident_number: str
    name: str
    name_kana: str | None
    district: str
    birth_year: int | None
    has_smartphone: bool
    verification_level: int  # 1 enrolled, 2 identity checked at the counter
    status: str  # active, suspended
    pin_set: bool
    pin_locked: bool  # too many wrong PINs: a new PIN unlocks the card
    card: CardView | None  # the latest card
    wallet: WalletView


async def row_of(session: AsyncSession, currency_id: int, number: str) -> sa.RowMapping:
    query = sa.select(resident).where(
        resident.c.currency_id == currency_id,
        resident.c.resident_number == numbers.canonical(number),
    )
    found = (await session.execute(query)).mappings().one_or_none()
    if found is None:
        raise NotFound(f"No resident has the number {number}; check the number and retry.")
    return found


async def _latest_card(
    session: AsyncSession, currency_id: int, resident_id: int
) -> CardView | None:
    query = (
        sa.select(card.c.card_number, card.c.status, card.c.block_reason)
        .where(card.c.currency_id == currency_id, card.c.resident_id == resident_id)
        .order_by(card.c.id.desc())
        .limit(1)
    )
    found = (await session.execute(query)).one_or_none()
    if found is None:
        return None
    return CardView(card_number=printed(found[0]), status=found[1], block_reason=found[2])


async def _wallet(session: AsyncSession, currency_id: int, account_id: int) -> WalletView:
    view = await wallets.summary(
        session, currency_id=currency_id, wallet_account_id=account_id, today=clock.today()
    )
    lots = [LotView.model_validate(x, from_attributes=True) for x in view.lots]
    return WalletView(balance=view.balance, spendable=view.by_kind, lots=lots)


async def profile(session: AsyncSession, currency_id: int, number: str) -> Profile:
    row = await row_of(session, currency_id, number)
    return Profile(
        resident_number=row["resident_number"], name=row["name"], name_kana=row["name_kana"],
        district=row["district"], birth_year=row["birth_year"],
        has_smartphone=row["has_smartphone"], verification_level=row["verification_level"],
        status=row["status"], pin_set=row["pin_hash"] is not None,
        pin_locked=row["pin_failures"] >= MAX_PIN_FAILURES,
        card=await _latest_card(session, currency_id, row["id"]),
        wallet=await _wallet(session, currency_id, row["wallet_account_id"]),
    )  # fmt: skip
