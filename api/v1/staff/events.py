"""Attendance events (volunteer days, health walks): the QR poster at the venue lets each
resident who came claim the activity's points once (currency/issuance/events.py)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from api.v1.staff import print_pages
from api.v1.staff.common import REFUSALS, Acting, Reading, Session, currency_of
from currency.auth.login import Principal
from currency.clock import JAPAN
from currency.issuance import events
from currency.payments import qr_render
from currency.settings import Settings

router = APIRouter()
EventId = Path(ge=1, le=2**63 - 1)


class NewEvent(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "programme": "volunteer",
                    "activity": "cleanup",
                    "name": "米水津 浦代海岸の清掃活動",
                    "starts_at": "2026-06-07T08:00:00+09:00",
                    "ends_at": "2026-06-07T11:00:00+09:00",
                }
            ]
        },
    )
    programme: str = Field(min_length=1, max_length=64)
    activity: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class EventView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 27,
                    "programme": "volunteer",
                    "activity": "cleanup",
                    "name": "米水津 浦代海岸の清掃活動",
                    "starts_at": "2026-06-07T08:00:00+09:00",
                    "ends_at": "2026-06-07T11:00:00+09:00",
                    "created_by": 12,
                    "code": "MGE1.27.K3QZ7XW2MNP4RT6V.BX4KQ2M7ZT5PWN3RDJ6VCH2LYA",
                    "poster": "/v1/staff/events/27/poster",
                }
            ]
        }
    )
    id: int
    programme: str
    activity: str
    name: str
    starts_at: datetime
    ends_at: datetime
    created_by: int
    code: str  # what the poster's QR holds; a resident's wallet sends it back to claim
    poster: str  # the printable page's path


def view(event: events.Event) -> EventView:
    return EventView(
        id=event.id, programme=event.programme_code, activity=event.activity_code,
        name=event.name, starts_at=event.starts_at, ends_at=event.ends_at,
        created_by=event.created_by, code=event.token,
        poster=f"/v1/staff/events/{event.id}/poster",
    )  # fmt: skip


@router.post(
    "/events",
    status_code=201,
    response_model=EventView,
    responses={
        **REFUSALS,
        404: {"description": "No such programme in force, or no such activity in it "
              "(`not-found`; the message lists its activities)."},
        422: {"description": "A window that ends before it starts or is over already "
              "(`invalid-operation`), a time without a zone (`validation`)."},
    },
)  # fmt: skip
async def create(
    body: NewEvent,
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> EventView:
    """An event whose attendees may claim the activity's points between its start and its
    end, through the programme (its caps and budget apply). Creating moves no value."""
    made = await events.create_event(
        session, currency_id=await currency_of(session, who), programme_code=body.programme,
        activity_code=body.activity, name=body.name, starts_at=body.starts_at,
        ends_at=body.ends_at, staff_id=who.id, secret=settings.secret_key, now=deps.now(),
    )  # fmt: skip
    return view(made)


@router.get("/events", response_model=list[EventView], responses=REFUSALS)
async def listing(
    limit: int = Query(100, ge=1, le=500),
    who: Principal = Reading,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> list[EventView]:
    """The events, latest start first."""
    found = await events.list_events(
        session, currency_id=await currency_of(session, who), secret=settings.secret_key,
        limit=limit,
    )  # fmt: skip
    return [view(e) for e in found]


@router.get(
    "/events/{event_id}/poster",
    response_class=HTMLResponse,
    responses={**REFUSALS, 404: {"description": "No such event (`not-found`)."},
               200: {"content": {"text/html": {}}, "description": "An A4 page."}},
)  # fmt: skip
async def poster(
    event_id: int = EventId,
    who: Principal = Reading,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> HTMLResponse:
    """The attendance poster to print (A4): the event, when points can be claimed, and the
    QR (12 cm, error correction Q) for residents to scan with the wallet."""
    currency_id = await currency_of(session, who)
    event = await events.get_event(
        session, currency_id=currency_id, event_id=event_id, secret=settings.secret_key
    )
    starts, ends = (t.astimezone(JAPAN) for t in (event.starts_at, event.ends_at))
    return print_pages.page(
        "cards/event_poster.html",
        currency_name=await print_pages.currency_name(session, currency_id),
        qr_svg=qr_render.svg(event.token, error_correction="Q"), name=event.name,
        starts=f"{starts:%Y年%m月%d日 %H:%M}", ends=f"{ends:%m月%d日 %H:%M}",
        phone=print_pages.office_phone(settings), issuer="佐伯市",
    )  # fmt: skip
