"""Codes the shop shows: a one-time code for a fixed amount on its screen (dynamic MPM),
and the counter poster with its printed code (static MPM)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from api.v1.merchant.shop import REFUSALS, AtShop, Session, in_japan, shop_user
from currency.ledger.models import currency
from currency.payments import codes, qr_render
from currency.settings import Settings

router = APIRouter()
MAX_AMOUNT = 10_000_000
SVG = "image/svg+xml"


class PaymentRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount": 2500}]})
    amount: int = Field(strict=True, ge=1, le=MAX_AMOUNT)


class PaymentRequestOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "MGR1.…",
                    "amount": 2500,
                    "expires_at": "2026-11-26T10:07:03+09:00",
                    "qr_svg": "data:image/svg+xml;base64,PHN2Zy…",
                    "qr_png": "data:image/png;base64,iVBORw0KGgo…",
                }
            ]
        }
    )
    text: str  # what the QR holds: MGR1.…
    amount: int
    expires_at: datetime
    qr_svg: str  # data:image/svg+xml;base64,…
    qr_png: str  # data:image/png;base64,…


@router.post(
    "/payment-requests",
    status_code=201,
    response_model=PaymentRequestOut,
    responses={
        **REFUSALS,
        409: {"description": "The shop cannot take payments now (`account-unavailable`)."},
        422: {"description": "A bad amount (`validation`)."},
    },
)
async def create_payment_request(
    body: PaymentRequestIn,
    response: Response,
    at: AtShop = Depends(shop_user),
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> PaymentRequestOut:
    """A one-time code for this amount, for the shop's screen: the resident scans it, sees
    the shop's name and the amount, and pays. Valid 5 minutes, paid once. It moves no value,
    so it needs no Idempotency-Key (a retry makes another code; the unused one expires)."""
    made = await codes.create_payment_request(
        session, currency_id=at.currency_id, merchant_id=at.shop.id, amount=body.amount,
        created_by=at.who.id, secret=settings.secret_key, now=deps.now(),
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return PaymentRequestOut(
        text=made.text,
        amount=made.amount,
        expires_at=in_japan(made.expires_at),
        qr_svg=qr_render.data_url_svg(made.text),
        qr_png=qr_render.data_url_png(made.text),
    )


@router.get(
    "/poster",
    response_class=Response,
    responses={**REFUSALS, 200: {"content": {SVG: {}}, "description": "An A4 SVG to print."}},
)
async def poster(
    at: AtShop = Depends(shop_user),
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """The counter poster (A4, SVG): the shop's printed code, its registered name and
    district, and how to pay by scanning it."""
    shop = at.shop
    return await poster_response(
        session, settings, currency_id=at.currency_id, code=shop.code, name=shop.name,
        district=shop.district, file_id=shop.id,
    )  # fmt: skip


async def poster_response(
    session: AsyncSession,
    settings: Settings,
    *,
    currency_id: int,
    code: str,
    name: str,
    district: str,
    file_id: int,
) -> Response:
    """A shop's poster as an SVG answer (the shop's own, or staff printing it for them)."""
    link = codes.shop_link(
        base_url=settings.base_url, merchant_code=code, secret=settings.secret_key
    )
    currency_name = await _currency_name(session, currency_id)
    svg = qr_render.shop_poster_svg(link, name, district, currency_name=currency_name)
    disposition = f'inline; filename="poster-{file_id}.svg"'
    return Response(svg, media_type=SVG, headers={"Content-Disposition": disposition})


async def _currency_name(session: AsyncSession, currency_id: int) -> str:
    name = await session.scalar(sa.select(currency.c.name).where(currency.c.id == currency_id))
    return str(name)
