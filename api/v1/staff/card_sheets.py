"""A card's printable sheet and its QR as an image, to print a card again at the counter.

Staff and admin only (a printed QR with the PIN pays; an auditor has no need of one), for
the card in use only; every print is audited (``card.print``). Never cached.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from api.v1.staff import print_pages
from api.v1.staff.common import REFUSALS, Acting, Session, currency_of
from currency.auth.login import Principal
from currency.payments import qr_render
from currency.residents import card_desk
from currency.residents.card_codes import printed
from currency.residents.card_desk import PrintableCard
from currency.settings import Settings

router = APIRouter()
CardNumber = Path(min_length=1, max_length=40, description="Spaces are ignored.")
CARD_EC: qr_render.ErrorCorrection = "Q"  # a card lives in a purse and gets scuffed
REFUSED: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    404: {"description": "No such card (`not-found`)."},
    409: {"description": "The card was blocked or replaced (`account-unavailable`): print "
          "the resident's current card."},
}  # fmt: skip
NO_STORE = {"Cache-Control": "no-store"}


async def _card(
    card_number: str = CardNumber,
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> PrintableCard:
    return await card_desk.printable(
        session, currency_id=await currency_of(session, who), card_number=card_number,
        secret=settings.secret_key, staff_id=who.id,
    )  # fmt: skip


@router.get(
    "/cards/{card_number}/sheet",
    response_class=HTMLResponse,
    responses={**REFUSED, 200: {"content": {"text/html": {}}, "description": "An A4 page."}},
)
async def sheet(
    card: PrintableCard = Depends(_card),
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> HTMLResponse:
    """The card to print on A4 (cut out and laminate): its QR (5 cm, error correction Q),
    the number in groups of four, the holder's name, and whom to call when it is lost."""
    return print_pages.page(
        "cards/sheet.html",
        currency_name=await print_pages.currency_name(session, await currency_of(session, who)),
        qr_svg=qr_render.svg(card.qr, error_correction=CARD_EC),
        name=card.resident_name, card_number=printed(card.card_number),
        phone=print_pages.office_phone(settings), issuer="佐伯市",
    )  # fmt: skip


@router.get(
    "/cards/{card_number}/qr.svg",
    response_class=Response,
    responses={**REFUSED, 200: {"content": {"image/svg+xml": {}}, "description": "The QR."}},
)
async def qr_svg(card: PrintableCard = Depends(_card)) -> Response:
    """The card's QR alone, as SVG (for a label printer or a card template)."""
    svg = qr_render.svg(card.qr, error_correction=CARD_EC)
    return Response(svg, media_type="image/svg+xml", headers=NO_STORE)


@router.get(
    "/cards/{card_number}/qr.png",
    response_class=Response,
    responses={**REFUSED, 200: {"content": {"image/png": {}}, "description": "The QR."}},
)
async def qr_png(card: PrintableCard = Depends(_card)) -> Response:
    """The card's QR alone, as PNG (10 pixels a module, with the quiet zone)."""
    png = qr_render.png(card.qr, scale=10, error_correction=CARD_EC)
    return Response(png, media_type="image/png", headers=NO_STORE)
