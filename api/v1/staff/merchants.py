"""Shops at the city office: search, onboard, change, bank account, users, the poster.

Staff and admin act; the auditor reads (GET) only. Onboarding and the others move no
value, so they need no Idempotency-Key; a retried onboarding makes a second shop, which
staff see at once in the list (and can close).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from api.v1.days import Flag
from api.v1.merchant.codes import poster_response
from api.v1.staff import merchant_examples as examples
from api.v1.staff.common import REFUSALS, Acting, Reading, Session, currency_of
from currency.auth.login import Principal
from currency.errors import InvalidOperation
from currency.issuance import rulebook
from currency.issuance.standing_rules import MerchantFee
from currency.merchants import service as merchants
from currency.settings import Settings

router = APIRouter()
Code = Path(min_length=1, max_length=32, description="The shop's code (as on its poster).")
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No shop has this code (`not-found`)."}
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "A field the shop cannot have, said in words (`invalid-operation`), "
          "or a malformed request (`validation`)."}
}  # fmt: skip
Status = Literal["active", "suspended", "closed"]


class MerchantView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.SHOP]})
    code: str
    name: str
    name_kana: str | None
    district: str
    category: str
    tags: list[str]
    is_public_body: bool
    status: Status
    fee_rate_bp: int  # the merchant fee in force for this shop (a rule: changed by approval)
    created_at: datetime


class MerchantPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PAGE]})
    items: list[MerchantView]
    next_cursor: str | None  # pass back as ``cursor``; null on the last page


class Onboarding(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.ONBOARDING]})
    code: str | None = Field(default=None, max_length=32, description="Made when not given")
    name: str = Field(min_length=1, max_length=100)
    name_kana: str | None = Field(default=None, max_length=100)
    district: str = Field(min_length=1, max_length=40)
    category: str = Field(min_length=1, max_length=40)
    tags: list[str] = Field(default_factory=list, max_length=20)
    is_public_body: Flag = False


class MerchantChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.CHANGE]})
    name: str | None = Field(default=None, min_length=1, max_length=100)
    name_kana: str | None = Field(default=None, max_length=100)
    district: str | None = Field(default=None, min_length=1, max_length=40)
    category: str | None = Field(default=None, min_length=1, max_length=40)
    tags: list[str] | None = Field(default=None, max_length=20)
    status: Status | None = None
    reason: str | None = Field(default=None, max_length=500, description="Needed for a status")


class BankAccountIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.BANK_ACCOUNT_IN]}
    )
    bank_code: str = Field(min_length=4, max_length=8, description="4 digits")
    bank_name_kana: str = Field(min_length=1, max_length=30)
    branch_code: str = Field(min_length=3, max_length=6, description="3 digits")
    branch_name_kana: str = Field(min_length=1, max_length=30)
    account_type: int = Field(strict=True, description="1 普通, 2 当座, 4 貯蓄, 9 その他")
    account_number: str = Field(min_length=7, max_length=14, description="7 digits")
    holder_kana: str = Field(min_length=1, max_length=60, description="As the bank has it")


class BankAccountOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.BANK_ACCOUNT_OUT]})
    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: int
    account_number: str  # masked: ***1234
    updated_at: datetime


class NewUserIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.NEW_USER_IN]}
    )
    role: Literal["merchant_owner", "merchant_clerk"]
    display_name: str = Field(min_length=1, max_length=60)
    username: str | None = Field(default=None, max_length=64, description="Made when not given")


class NewUserOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.NEW_USER_OUT]})
    id: int
    username: str
    display_name: str
    role: str
    initial_password: str  # shown this once: hand it over on paper


async def view(session: AsyncSession, currency_id: int, shop: merchants.Merchant) -> MerchantView:
    fee = await rulebook.standing(
        session, currency_id=currency_id, kind="merchant_fee", model=MerchantFee, now=deps.now()
    )
    return MerchantView(
        code=shop.code, name=shop.name, name_kana=shop.name_kana, district=shop.district,
        category=shop.category, tags=list(shop.tags), is_public_body=shop.is_public_body,
        status=shop.status,
        fee_rate_bp=fee.rate_for(shop.code), created_at=shop.created_at,
    )  # fmt: skip


@router.get("/merchants", response_model=MerchantPage, responses=REFUSALS)
async def search(
    q: str | None = Query(None, max_length=100, description="Part of the code, name or kana"),
    district: str | None = Query(None, max_length=40),
    category: str | None = Query(None, max_length=40),
    status: Status | None = Query(None),
    cursor: str | None = Query(None, max_length=18, pattern=r"^[0-9]+$"),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> MerchantPage:
    """Shops in the order they joined, 50 a page, found by part of the code, name or kana."""
    currency_id = await currency_of(session, who)
    found = await merchants.search(
        session, currency_id=currency_id, q=q, district=district, category=category,
        status=status, after_id=int(cursor or 0), limit=merchants.PAGE + 1,
    )  # fmt: skip
    page = found[: merchants.PAGE]
    more = str(page[-1].id) if len(found) > merchants.PAGE else None
    return MerchantPage(items=[await view(session, currency_id, s) for s in page], next_cursor=more)


@router.post(
    "/merchants", status_code=201, response_model=MerchantView, responses={**REFUSALS, **INVALID}
)
async def onboard(body: Onboarding, who: Principal = Acting, session: AsyncSession = Session
) -> MerchantView:  # fmt: skip
    """Register a shop (active, with its own ledger account); audited. A taken code → 422."""
    currency_id = await currency_of(session, who)
    fields = body.model_dump(exclude={"is_public_body"})
    shop = await merchants.onboard(
        session, currency_id=currency_id, public_body=body.is_public_body, actor=who.name,
        now=deps.now(), **fields,
    )  # fmt: skip
    return await view(session, currency_id, shop)


@router.get("/merchants/{code}", response_model=MerchantView, responses={**REFUSALS, **NOT_FOUND})
async def get_merchant(
    code: str = Code, who: Principal = Reading, session: AsyncSession = Session
) -> MerchantView:
    """One shop by its code."""
    currency_id = await currency_of(session, who)
    return await view(session, currency_id, await merchants.get(session, currency_id=currency_id,
                                                                code=code))  # fmt: skip


@router.patch(
    "/merchants/{code}",
    response_model=MerchantView,
    responses={**REFUSALS, **NOT_FOUND, **INVALID},
)
async def change(
    body: MerchantChange, code: str = Code, who: Principal = Acting,
    session: AsyncSession = Session,
) -> MerchantView:  # fmt: skip
    """Change what is given; a status change needs a reason. Suspended: no payments, users
    still read their sales. Closed: only once the balance is paid out, and for good."""
    currency_id = await currency_of(session, who)
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    if any(v is None for k, v in changes.items() if k != "name_kana"):
        raise InvalidOperation("Leave out what does not change rather than sending null.")
    shop = await merchants.update(
        session, currency_id=currency_id, code=code, changes=changes, reason=body.reason,
        actor=who.name, now=deps.now(),
    )  # fmt: skip
    return await view(session, currency_id, shop)


@router.put(
    "/merchants/{code}/bank-account",
    response_model=BankAccountOut,
    responses={**REFUSALS, **NOT_FOUND, **INVALID},
)
async def set_bank_account(
    body: BankAccountIn, code: str = Code, who: Principal = Acting,
    session: AsyncSession = Session, settings: Settings = Depends(deps.settings_of),
) -> BankAccountOut:  # fmt: skip
    """Record (or replace) the account the shop is paid to; answers it masked."""
    stored = await merchants.set_bank_account(
        session, currency_id=await currency_of(session, who), code=code, staff_id=who.id,
        secret=settings.secret_key, **body.model_dump(),
    )  # fmt: skip
    return BankAccountOut(
        bank_code=stored.bank_code, bank_name_kana=stored.bank_name_kana,
        branch_code=stored.branch_code, branch_name_kana=stored.branch_name_kana,
        account_type=int(stored.account_type), account_number=stored.masked_number,
        updated_at=stored.updated_at,
    )  # fmt: skip


@router.post(
    "/merchants/{code}/users",
    status_code=201,
    response_model=NewUserOut,
    responses={**REFUSALS, **NOT_FOUND, **INVALID},
)
async def add_user(
    body: NewUserIn, response: Response, code: str = Code, who: Principal = Acting,
    session: AsyncSession = Session,
) -> NewUserOut:  # fmt: skip
    """An owner or clerk login for the shop. The initial password is in this answer only."""
    currency_id = await currency_of(session, who)
    shop = await merchants.get(session, currency_id=currency_id, code=code)
    made = await merchants.add_user(
        session, currency_id=currency_id, merchant_id=shop.id, actor=who.name, now=deps.now(),
        **body.model_dump(),
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return NewUserOut(id=made.id, username=made.username, display_name=made.display_name,
                      role=made.role, initial_password=made.initial_password)  # fmt: skip


@router.get(
    "/merchants/{code}/poster",
    response_class=Response,
    responses={**REFUSALS, **NOT_FOUND,
               200: {"content": {"image/svg+xml": {}}, "description": "An A4 SVG to print."}},
)  # fmt: skip
async def poster(
    code: str = Code, who: Principal = Reading, session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:  # fmt: skip
    """The shop's counter poster (static MPM code, registered name and district)."""
    currency_id = await currency_of(session, who)
    shop = await merchants.get(session, currency_id=currency_id, code=code)
    return await poster_response(
        session, settings, currency_id=currency_id, code=shop.code, name=shop.name,
        district=shop.district, file_id=shop.id,
    )  # fmt: skip
