"""Residents at the city counter: enrol, look up, verify identity, suspend or restore."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

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


class Enrolment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resident_number: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    name_kana: str | None = Field(default=None, max_length=100)
    district: str = Field(min_length=1, max_length=50)
    birth_year: int | None = Field(default=None, strict=True)
    has_smartphone: bool = True


class Verification(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = Field(min_length=1, max_length=200, description="e.g. driving licence")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
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


@router.get("/residents/{number}", response_model=Profile, responses={**REFUSALS, **NOT_FOUND})
async def resident(
    number: str = Number, who: Principal = Reading, session: AsyncSession = Session
) -> Profile:
    """The resident's record, latest card and wallet (lots soonest-expiring first)."""
    return await profiles.profile(session, await currency_of(session, who), number)


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
