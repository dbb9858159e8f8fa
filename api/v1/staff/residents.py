"""Residents at the city counter: enrol, look up, verify identity, suspend or restore."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.days import Flag
from api.v1.staff import profiles
from api.v1.staff.common import REFUSALS, Acting, Reading, Session, currency_of
from api.v1.staff.profiles import Profile
from currency.auth.login import Principal
from currency.residents import service as residents

router = APIRouter()
Number = Path(min_length=1, max_length=64, description="The resident number.")
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No resident has this number (`not-found`)."}
}


class Listed(BaseModel):
    """A search result: what a counter clerk needs to pick the right person, nothing more
    (no birth year, no wallet: open the resident for those, which is audited)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "resident_number": "S1100023",
                    "name": "佐伯 花子",
                    "name_kana": "サイキ ハナコ",
                    "district": "上浦",
                    "status": "active",
                    "verification_level": 2,
                    "card_status": "active",
                }
            ]
        }
    )

    resident_number: str
    name: str
    name_kana: str | None
    district: str
    status: str  # active, suspended
    verification_level: int  # 1 enrolled, 2 identity checked at the counter
    card_status: str | None  # latest card: active, blocked, replaced; null: no card


class ResidentPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "resident_number": "S1100023",
                            "name": "佐伯 花子",
                            "name_kana": "サイキ ハナコ",
                            "district": "上浦",
                            "status": "active",
                            "verification_level": 2,
                            "card_status": "active",
                        },
                        {
                            "resident_number": "S1800007",
                            "name": "蒲江 太郎",
                            "name_kana": None,
                            "district": "蒲江",
                            "status": "active",
                            "verification_level": 1,
                            "card_status": None,
                        },
                    ],
                    "next_cursor": "1042",
                }
            ]
        }
    )
    items: list[Listed]
    next_cursor: str | None  # pass back as ``cursor``; null on the last page


class Enrolment(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_number": "S1800007",
                    "name": "蒲江 太郎",
                    "name_kana": "カマエ タロウ",
                    "district": "蒲江",
                    "birth_year": 1948,
                    "has_smartphone": False,
                }
            ]
        },
    )
    resident_number: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    name_kana: str | None = Field(default=None, max_length=100)
    district: str = Field(min_length=1, max_length=50)
    birth_year: int | None = Field(default=None, strict=True)
    has_smartphone: Flag = True


class Verification(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"method": "マイナンバーカード"}]}
    )
    method: str = Field(min_length=1, max_length=200, description="e.g. driving licence")


class StatusChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"status": "suspended", "reason": "本人から市外転出の届出（2026-05-31付）"}
            ]
        },
    )
    status: Literal["active", "suspended"]
    reason: str = Field(min_length=1, max_length=500)


@router.post(
    "/residents",
    status_code=201,
    response_model=Profile,
    responses={**REFUSALS, 409: {"description": "The number is already enrolled "
               "(`already-done`)."}, 422: {"description": "A bad number, name or year."}},
)  # fmt: skip
async def enrol(
    body: Enrolment, who: Principal = Acting, session: AsyncSession = Session
) -> Profile:
    """Enrol a resident with an empty wallet (verification level 1 until checked)."""
    currency_id = await currency_of(session, who)
    done = await residents.enrol(session, currency_id=currency_id, staff_id=who.id,
                                 **body.model_dump())  # fmt: skip
    return await profiles.profile(session, currency_id, done.resident_number)


@router.get(
    "/residents",
    response_model=ResidentPage,
    responses={**REFUSALS, 422: {"description": "A cursor that is not one of ours."}},
)
async def search(
    q: str | None = Query(
        None,
        max_length=100,
        description="A resident number (exact; "
        "hyphens, blanks and full-width ignored) or part of a name or kana.",
    ),
    district: str | None = Query(None, max_length=50),
    status: Literal["active", "suspended"] | None = Query(None),
    cursor: str | None = Query(None, max_length=20),
    limit: int = Query(50, ge=1, le=100),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> ResidentPage:
    """Residents matching ``q`` (number exactly, or name or kana containing it, full- and
    half-width alike, hiragana finding katakana), ``district`` and ``status``, in enrolment
    order. List pages are not audited; opening one resident is."""
    found = await residents.search(
        session, currency_id=await currency_of(session, who), q=q, district=district,
        status=status, cursor=cursor, limit=limit,
    )  # fmt: skip
    items = [Listed.model_validate(x, from_attributes=True) for x in found.items]
    return ResidentPage(items=items, next_cursor=found.next_cursor)


@router.get("/residents/{number}", response_model=Profile, responses={**REFUSALS, **NOT_FOUND})
async def resident(
    number: str = Number, who: Principal = Reading, session: AsyncSession = Session
) -> Profile:
    """The resident's record, latest card and wallet (lots soonest-expiring first). Each
    opening is audited (``resident.viewed``): the city can say who looked up whom."""
    currency_id = await currency_of(session, who)
    found = await profiles.profile(session, currency_id, number)
    await residents.record_view(
        session,
        currency_id=currency_id,
        resident_number=found.resident_number,
        actor=f"staff:{who.id}",
    )
    return found


@router.post(
    "/residents/{number}/verify",
    response_model=Profile,
    responses={**REFUSALS, **NOT_FOUND, 409: {"description": "Already verified."}},
)
async def verify(
    body: Verification,
    number: str = Number,
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Profile:
    """Identity checked at the counter (a document seen): the higher wallet limits apply."""
    currency_id = await currency_of(session, who)
    await residents.verify_identity(
        session, currency_id=currency_id, resident_number=number, staff_id=who.id,
        method=body.method,
    )  # fmt: skip
    return await profiles.profile(session, currency_id, number)


@router.post(
    "/residents/{number}/status",
    response_model=Profile,
    responses={**REFUSALS, **NOT_FOUND, 409: {"description": "Already in that status."}},
)
async def set_status(
    body: StatusChange,
    number: str = Number,
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Profile:
    """Suspend (the wallet is blocked and every sign-in ends) or restore a resident. The
    value stays in the wallet."""
    currency_id = await currency_of(session, who)
    await residents.set_status(
        session, currency_id=currency_id, resident_number=number, status=body.status,
        reason=body.reason, staff_id=who.id,
    )  # fmt: skip
    return await profiles.profile(session, currency_id, number)
