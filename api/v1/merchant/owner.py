"""What only a shop's owner does: the refund PIN, the shop's clerks, its settlements and
payout statements. Clerks get 403; another shop's settlement is not found (404)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from api.v1.merchant.shop import REFUSALS, AtShop, Session, in_japan, owner
from currency.errors import NotPermitted
from currency.merchants import service as merchants
from currency.merchants import statements
from currency.settings import Settings

router = APIRouter()
SettlementId = Path(ge=1, le=2**63 - 1, description="The settlement's id")
PIN_NEEDED = "A clerk refunds with the owner's PIN: please ask the owner to enter it."
SETTLEMENT_EXAMPLE: JsonDict = {
    "id": 305,
    "period_start": "2026-05-01",
    "period_end": "2026-05-15",
    "amount": 184300,
    "fee_rate_bp": 100,
    "fee": 1843,
    "payout": 182457,
    "payout_on": "2026-05-25",
}


async def owner_approval(checks: AsyncSession, at: AtShop, owner_pin: str | None) -> str | None:
    """Who allows this refund besides its maker: nobody for an owner; for a clerk, the owner
    whose PIN was typed ("user:3"). Checked in a transaction committed whatever happens, so
    that a wrong PIN counts towards the shop's limit although the refund is refused."""
    if at.who.role == "merchant_owner":
        return None
    if owner_pin is None:
        raise NotPermitted(PIN_NEEDED)
    try:
        owner_id = await merchants.verify_owner_pin(
            checks, currency_id=at.currency_id, merchant_id=at.shop.id, pin=owner_pin,
            now=deps.now(),
        )  # fmt: skip
    finally:
        await checks.commit()
    return f"user:{owner_id}"


class PinChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"current_password": "correct horse battery staple", "pin": "271828"}]
        },
    )
    current_password: str = Field(min_length=1, max_length=200)
    pin: str = Field(min_length=4, max_length=12, description="4 to 6 digits, not guessable")


class PinSet(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"pin_set": True}]})
    pin_set: bool  # always true: a refusal is a problem+json


class ShopUserView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 214,
                    "username": "m7k2qx-2",
                    "display_name": "蒲江ベーカリー 山下",
                    "role": "merchant_clerk",
                    "status": "active",
                    "has_pin": False,
                    "created_at": "2026-04-01T09:30:00+09:00",
                }
            ]
        }
    )
    id: int
    username: str
    display_name: str
    role: str
    status: str
    has_pin: bool  # an owner with a refund PIN
    created_at: datetime


class ClerkIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"display_name": "蒲江ベーカリー 山下", "username": None}]},
    )
    display_name: str = Field(min_length=1, max_length=60)
    username: str | None = Field(default=None, max_length=64, description="Made when not given")


class ClerkOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 214,
                    "username": "m7k2qx-2",
                    "display_name": "蒲江ベーカリー 山下",
                    "role": "merchant_clerk",
                    "initial_password": "Xq7mR2vK9pLt",
                }
            ]
        }
    )
    id: int
    username: str
    display_name: str
    role: str
    initial_password: str  # shown this once


class SettlementRow(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SETTLEMENT_EXAMPLE]})
    id: int
    period_start: date
    period_end: date
    amount: int  # settled: sales less refunds of the period (and carried-over sales)
    fee_rate_bp: int
    fee: int
    payout: int  # paid in yen
    payout_on: date


class PayoutStatement(SettlementRow):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **SETTLEMENT_EXAMPLE,
                    "gross_receipts": 187100,
                    "refunds": 2800,
                    "adjustments": 0,
                    "net": 182457,
                    "account": "ｵｵｲﾀ 315 普通 ***4567",
                    "settled_at": "2026-05-16T06:00:12+09:00",
                }
            ]
        }
    )
    gross_receipts: int  # what customers paid in the period
    refunds: int  # what the shop gave back in the period
    adjustments: int  # city reversals, sales carried over from earlier periods
    net: int  # = payout
    account: str | None  # where it is paid, last four digits only; null: none on file
    settled_at: datetime


@router.put(
    "/pin",
    response_model=PinSet,
    responses={**REFUSALS, 422: {"description": "The current password is not right, or the PIN "
               "is not 4–6 digits or too easy to guess (`invalid-operation`)."},
               429: {"description": "Too many wrong passwords (`rate-limited`, Retry-After)."}},
)  # fmt: skip
async def set_pin(
    body: PinChange,
    at: AtShop = Depends(owner),
    session: AsyncSession = Depends(deps.get_session_kept_on_error, scope="function"),
) -> PinSet:
    """Set or change the owner's refund PIN, which lets a clerk refund on the owner's word.
    The current password is asked again (a wrong one counts like a failed sign-in)."""
    await merchants.set_owner_pin(
        session, currency_id=at.currency_id, user_id=at.who.id,
        current_password=body.current_password, pin=body.pin, now=deps.now(),
    )  # fmt: skip
    return PinSet(pin_set=True)


@router.get("/users", response_model=list[ShopUserView], responses=REFUSALS)
async def list_users(at: AtShop = Depends(owner), session: AsyncSession = Session
) -> list[ShopUserView]:  # fmt: skip
    """The shop's owners and clerks, oldest first."""
    found = await merchants.users_of(session, currency_id=at.currency_id, merchant_id=at.shop.id)
    return [ShopUserView.model_validate(u, from_attributes=True) for u in found]


@router.post(
    "/users",
    status_code=201,
    response_model=ClerkOut,
    responses={**REFUSALS, 422: {"description": "A taken or malformed username, a closed shop "
               "(`invalid-operation`)."}},
)  # fmt: skip
async def add_clerk(
    body: ClerkIn, response: Response, at: AtShop = Depends(owner),
    session: AsyncSession = Session,
) -> ClerkOut:  # fmt: skip
    """A clerk login for the shop; its initial password is in this answer only."""
    made = await merchants.add_user(
        session, currency_id=at.currency_id, merchant_id=at.shop.id, role="merchant_clerk",
        actor=at.who.name, now=deps.now(), **body.model_dump(),
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return ClerkOut(id=made.id, username=made.username, display_name=made.display_name,
                    role=made.role, initial_password=made.initial_password)  # fmt: skip


@router.get("/settlements", response_model=list[SettlementRow], responses=REFUSALS)
async def list_settlements(at: AtShop = Depends(owner), session: AsyncSession = Session
) -> list[SettlementRow]:  # fmt: skip
    """The shop's settlements, newest period first."""
    found = await statements.settlements(
        session, currency_id=at.currency_id, merchant_id=at.shop.id
    )
    return [SettlementRow.model_validate(s, from_attributes=True) for s in found]


@router.get(
    "/settlements/{settlement_id}",
    response_model=PayoutStatement,
    responses={**REFUSALS, 404: {"description": "No such settlement of this shop (`not-found`)."}},
)
async def get_statement(
    settlement_id: int = SettlementId, at: AtShop = Depends(owner),
    session: AsyncSession = Session, settings: Settings = Depends(deps.settings_of),
) -> PayoutStatement:  # fmt: skip
    """One settlement with its payout statement: gross receipts, refunds, fee, net, the
    transfer date and the account (masked)."""
    found = await statements.statement(
        session, currency_id=at.currency_id, merchant_id=at.shop.id,
        merchant_account_id=at.shop.account_id, settlement_id=settlement_id,
        secret=settings.secret_key,
    )  # fmt: skip
    row = SettlementRow.model_validate(found.settlement, from_attributes=True)
    return PayoutStatement(
        **row.model_dump(), gross_receipts=found.gross_receipts, refunds=found.refunds,
        adjustments=found.adjustments, net=found.net, account=found.account,
        settled_at=in_japan(found.settlement.created_at),
    )  # fmt: skip
