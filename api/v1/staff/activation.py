"""Activation letters: staff print one for a resident enrolled at the counter.

The code is shown once — in this answer and on the printed letter — and kept only as a
hash: a lost letter is replaced by a new one (which makes the old code stop working).
``?format=html`` answers the printable A4 letter itself instead of JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from api.v1.staff.common import REFUSALS, Acting, Session, currency_of
from api.web import templates
from currency.auth import activation
from currency.auth.login import Principal
from currency.clock import JAPAN
from currency.settings import Settings

router = APIRouter()
CITY_OFFICE_PHONE = "0972-22-3111"  # 佐伯市役所 (the city's main number)


class LetterOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "resident_number": "S1100023",
                    "name": "佐伯 花子",
                    "code": "K7QXM-4PR9T-WD5HC",
                    "expires_at": "2026-06-17T23:59:59+09:00",
                    "letter_html": '<!doctype html><html lang="ja">…利用開始のご案内…</html>',
                }
            ]
        }
    )
    resident_number: str
    name: str
    code: str
    expires_at: datetime
    letter_html: str


def render_letter(letter: activation.Letter, settings: Settings) -> str:
    """The printable A4 letter (Japanese first), with the code large."""
    expires = letter.expires_at.astimezone(JAPAN)
    return templates.env.get_template("letters/activation.html").render(
        letter=letter, expires_on=f"{expires.year}年{expires.month}月{expires.day}日",
        expires_on_en=expires.strftime("%d %B %Y"), wallet_url=f"{settings.base_url}/wallet/",
        phone=getattr(settings, "city_office_phone", CITY_OFFICE_PHONE),
    )  # fmt: skip


@router.post(
    "/residents/{number}/activation-letter",
    response_model=LetterOut,
    status_code=201,
    responses={
        **REFUSALS,
        201: {"content": {"text/html": {}}, "description": "The new code (JSON), or the "
              "printable letter with ?format=html."},
        404: {"description": "No such resident (`not-found`)."},
        409: {"description": "The resident is suspended (`account-unavailable`)."},
    },
)  # fmt: skip
async def create_letter(
    number: str,
    format: Literal["json", "html"] = Query("json", description="html: the printable letter"),
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> LetterOut | HTMLResponse:
    """A new activation code for the resident; their earlier unused codes stop working."""
    letter = await activation.create(
        session, currency_id=await currency_of(session, who), resident_number=number,
        staff_user_id=who.id, now=deps.now(), secret=settings.secret_key,
    )  # fmt: skip
    html = render_letter(letter, settings)
    if format == "html":
        return HTMLResponse(html, status_code=201, headers={"Cache-Control": "no-store"})
    return LetterOut(
        resident_number=letter.resident_number, name=letter.name, code=letter.code,
        expires_at=letter.expires_at, letter_html=html,
    )  # fmt: skip
