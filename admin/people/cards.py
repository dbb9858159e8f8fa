"""A resident's printed QR card at the counter: issue, block, reissue, unlock.

The card sheet itself is the staff API's printable page (api/v1/staff/card_sheets.py),
opened with the same browser session; every print is audited there."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.people import console, forms
from admin.people.console import Acting, Reading, Session
from admin.people.residents import act
from api.v1 import deps
from currency import errors as e
from currency.auth.login import Principal
from currency.residents import card_desk, cards
from currency.residents.models import card, resident
from currency.settings import Settings

router = console.router()
CardNumber = Form("", max_length=40)


@router.post("/residents/{number}/cards", name="admin_card_issue")
async def issue(
    request: Request,
    number: str,
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """A first card (or one after a blocked card): then print its sheet."""
    return await act(
        request, session, who, number, "card-issued",
        lambda cid: cards.issue_card(
            session, currency_id=cid, resident_number=number, staff_id=who.id,
            secret=settings.secret_key,
        ),
    )  # fmt: skip


@router.post("/residents/{number}/card/block", name="admin_card_block")
async def block(
    request: Request,
    number: str,
    card_number: str = CardNumber,
    reason: str = Form("", max_length=500, alias="block_reason"),
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Response:
    """Stop the card at once (lost, stolen); the balance stays in the wallet."""
    form = {"block_reason": reason}
    return await act(
        request, session, who, number, "card-blocked",
        lambda cid: cards.block_card(
            session, currency_id=cid, card_number=card_desk.digits_of(card_number),
            reason=reason.strip(), actor=f"staff:{who.id}",
        ),
        form=form, errors=forms.required(form, "block_reason"),
    )  # fmt: skip


@router.post("/residents/{number}/card/reissue", name="admin_card_reissue")
async def reissue(
    request: Request,
    number: str,
    card_number: str = CardNumber,
    reason: str = Form("", max_length=500, alias="reissue_reason"),
    who: Principal = Acting,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Response:
    """A new card in place of this one (blocked now if it still worked); same PIN, same
    wallet."""
    form = {"reissue_reason": reason}
    return await act(
        request, session, who, number, "card-reissued",
        lambda cid: card_desk.reissue(
            session, currency_id=cid, card_number=card_number, staff_id=who.id,
            secret=settings.secret_key, reason=reason.strip(),
        ),
        form=form, errors=forms.required(form, "reissue_reason"),
    )  # fmt: skip


@router.post("/residents/{number}/card/unlock", name="admin_card_unlock")
async def unlock(
    request: Request,
    number: str,
    card_number: str = CardNumber,
    checked_identity: str = Form("", max_length=3),
    who: Principal = Acting,
    session: AsyncSession = Session,
) -> Response:
    """After 5 wrong PINs, with the resident at the counter and their identity checked."""
    checked = checked_identity == "yes"
    return await act(
        request, session, who, number, "card-unlocked",
        lambda cid: card_desk.unlock(
            session, currency_id=cid, card_number=card_number, staff_id=who.id,
            checked_identity=True,
        ),
        errors={} if checked else {"checked_identity": forms.IDENTITY_FIRST},
    )  # fmt: skip


@router.get("/cards", name="admin_cards", response_class=HTMLResponse)
async def find(
    request: Request,
    number: str = Query("", max_length=40),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> Response:
    """From the number printed on a card to its holder's page."""
    context: dict[str, Any] = {"number": number}
    digits = card_desk.digits_of(number)
    if digits:
        holder = await session.scalar(
            sa.select(resident.c.resident_number)
            .join(
                card,
                sa.and_(
                    card.c.currency_id == resident.c.currency_id,
                    card.c.resident_id == resident.c.id,
                ),
            )
            .where(
                card.c.currency_id == await console.currency_id(session, who),
                card.c.card_number == digits,
            )
        )
        if holder is not None:
            return RedirectResponse(f"/admin/residents/{holder}", status_code=303)
        context |= console.refusal(request, e.NotFound("no such card"))
    return await console.page(request, session, who, "admin/cards.html", context,
                              status_code=404 if digits else 200)  # fmt: skip
