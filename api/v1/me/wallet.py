"""Who the signed-in resident is, and what is in their wallet."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.me.common import REFUSALS, Resident, Session, currency_of, wallet_of
from currency import clock
from currency.auth.login import Principal
from currency.wallets import history
from currency.wallets import service as wallets

router = APIRouter()


class Me(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "resident_number": "S00012345",
                    "name": "佐伯 花子",
                    "district": "上浦",
                    "verification_level": 2,
                }
            ]
        }
    )
    resident_number: str
    name: str
    district: str
    verification_level: int


class Lot(BaseModel):
    kind: str
    amount: int
    expires_on: date
    allowed_tags: list[str] | None
    allowed_districts: list[str] | None


class Wallet(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "balance": 12600,
                    "spendable": {"coin": 11000, "point": 1600},
                    "lots": [
                        {
                            "kind": "coin",
                            "amount": 11000,
                            "expires_on": "2027-03-31",
                            "allowed_tags": None,
                            "allowed_districts": None,
                        },
                        {
                            "kind": "point",
                            "amount": 1600,
                            "expires_on": "2027-01-31",
                            "allowed_tags": ["food"],
                            "allowed_districts": ["蒲江"],
                        },
                    ],
                }
            ]
        }
    )
    balance: int
    spendable: dict[str, int]
    lots: list[Lot]


@router.get("", response_model=Me, responses=REFUSALS)
async def me(who: Principal = Resident, session: AsyncSession = Session) -> Me:
    """The signed-in resident's number, name, district and verification level (for the
    wallet's header). Only ever one's own."""
    found = await history.owner(
        session, currency_id=await currency_of(session, who), resident_id=who.id
    )
    return Me(**vars(found))


@router.get("/wallet", response_model=Wallet, responses=REFUSALS)
async def wallet(who: Principal = Resident, session: AsyncSession = Session) -> Wallet:
    """The balance, what is in the wallet by kind, and each lot's expiry and where it may
    be spent (``null`` restrictions: anywhere)."""
    view = await wallets.summary(
        session, currency_id=await currency_of(session, who), wallet_account_id=wallet_of(who),
        today=clock.today(),
    )  # fmt: skip
    lots = [Lot(**vars(x)) for x in view.lots]
    return Wallet(balance=view.balance, spendable=view.by_kind, lots=lots)
