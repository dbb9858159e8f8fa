"""Volunteer points: one grant at a time, or a CSV file previewed then granted all at once.

The bulk file is the request body itself, ``Content-Type: text/csv`` (UTF-8 or
Shift_JIS, the format of currency/issuance/grant_csv.py), at most 10 MiB.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ApiError
from api.v1 import deps, idempotency
from api.v1.days import Day
from api.v1.staff import bulk_views
from api.v1.staff.bulk_views import CommitView, PreviewView
from api.v1.staff.common import REFUSALS, Acting, Session, currency_of, mark_replay
from currency.auth.login import Principal
from currency.issuance import bulk, grant_csv, grants

router = APIRouter()


class GrantRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_number": "S00012345",
                    "programme": "volunteer-2026",
                    "activity": "蒲江海岸清掃",
                    "points": 500,
                    "note": None,
                    "on": "2026-11-23",
                }
            ]
        },
    )
    resident_number: str = Field(min_length=1, max_length=64)
    programme: str = Field(min_length=1, max_length=64)
    activity: str = Field(min_length=1, max_length=100)
    points: int | None = Field(default=None, strict=True, ge=1, le=10_000_000)
    note: str | None = Field(default=None, max_length=500)
    on: Day | None = None


class Grant(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operation_id": 120200,
                    "lot_id": 8801,
                    "resident_number": "S00012345",
                    "programme": "volunteer-2026",
                    "activity": "蒲江海岸清掃",
                    "points": 500,
                    "on": "2026-11-23",
                    "expires_on": "2027-05-31",
                }
            ]
        }
    )
    operation_id: int
    lot_id: int
    resident_number: str
    programme: str
    activity: str
    points: int
    on: date
    expires_on: date


@router.post(
    "/grants",
    status_code=201,
    response_model=Grant,
    responses={
        **REFUSALS,
        400: {"description": "No Idempotency-Key header (`idempotency-key-missing`)."},
        404: {"description": "No such resident or programme in force (`not-found`)."},
        409: {"description": "The resident is not active (`account-unavailable`)."},
        422: {"description": "A cap or the budget would be passed (`limit-exceeded`), an "
              "unknown activity or a future date (`invalid-operation`), a bad request."},
    },
)  # fmt: skip
async def grant(
    body: GrantRequest,
    response: Response,
    who: Principal = Acting,
    key: str = Depends(idempotency.required_key),
    session: AsyncSession = Session,
) -> Grant:
    """Grant an activity's points (or ``points``) to a resident; a retry with the same
    Idempotency-Key answers the same and grants once."""
    result = await grants.grant(
        session, currency_id=await currency_of(session, who),
        resident_number=body.resident_number, programme_code=body.programme,
        activity_code=body.activity, staff_id=who.id, note=body.note, points=body.points,
        on=body.on, now=deps.now(), idempotency=key,
    )  # fmt: skip
    mark_replay(response, result.replayed)
    return Grant.model_validate(result, from_attributes=True)


async def _file(request: Request) -> bytes:
    """The CSV body, read no further than the size the file format allows."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > grant_csv.MAX_BYTES:
            raise ApiError(
                413, "file-too-large", "The file is too large",
                f"A grant file may be at most {grant_csv.MAX_BYTES:,} bytes; please split it.",
            )  # fmt: skip
    return bytes(data)


@router.post(
    "/grants/bulk",
    status_code=201,
    response_model=CommitView | PreviewView,
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {}}}},
    responses={
        **REFUSALS,
        200: {"model": PreviewView, "description": "The preview (``commit=false``)."},
        400: {"description": "Committing without an Idempotency-Key header."},
        413: {"description": "The file is larger than 10 MiB (`file-too-large`)."},
        422: {"description": "The file cannot be read, or (commit) a row has a problem: "
              "nothing was granted (`invalid-operation`)."},
    },
)  # fmt: skip
async def bulk_grants(
    response: Response,
    programme: str = Query(min_length=1, max_length=64),
    commit: bool = Query(False, description="false: preview only; true: grant every row."),
    who: Principal = Acting,
    idempotency_key: str | None = Header(default=None),
    data: bytes = Depends(_file),
    session: AsyncSession = Session,
) -> CommitView | PreviewView:
    """Preview (200, every row's outcome; nothing written) or commit (201, all rows or
    none). Committing needs an Idempotency-Key; the same file committed again, with any
    key, grants nothing more and answers the same."""
    currency_id = await currency_of(session, who)
    if not commit:
        response.status_code = 200
        found = await bulk.preview(
            session, currency_id=currency_id, programme_code=programme, data=data,
            staff_id=who.id, now=deps.now(),
        )  # fmt: skip
        return bulk_views.preview_view(found)
    idempotency.required_key(idempotency_key)
    done = await bulk.commit(
        session, currency_id=currency_id, programme_code=programme, data=data,
        staff_id=who.id, now=deps.now(),
    )  # fmt: skip
    mark_replay(response, done.replayed)
    return bulk_views.commit_view(done)
