"""Cards at the counter and in their owner's hands: reissuing or unlocking the card a
resident brings in, printing its sheet again, and the owner's own view and block.

Built on cards.py (which locks the resident row first, so card changes of one resident
happen one at a time); every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.clock import JAPAN
from currency.errors import AccountUnavailable, AlreadyDone, InvalidOperation, NotFound
from currency.residents import card_codes as codes
from currency.residents import cards
from currency.residents.card_codes import MAX_PIN_FAILURES, IssuedCard
from currency.residents.models import card, resident

BlockReason = Literal["lost", "stolen", "other"]
_OWN_BLOCK_REASONS = {"lost": "lost (reported by the owner)", "stolen": "stolen (reported by "
                      "the owner)", "other": "blocked by the owner"}  # fmt: skip


@dataclass(frozen=True)
class PrintableCard:
    card_number: str
    qr: str  # what the printed QR holds
    resident_name: str
    resident_number: str


@dataclass(frozen=True)
class Reissued:
    card: IssuedCard
    resident_name: str  # for the new card's sheet


@dataclass(frozen=True)
class OwnCard:
    """A resident's own latest card, as their wallet shows it."""

    status: str  # active, blocked, replaced
    last4: str
    issued_on: date
    pin_locked: bool


def digits_of(card_number: str) -> str:
    """The card number as typed or printed ("1234 5678 …", full-width digits): digits only."""
    return "".join(ch for ch in codes.normal_pin(card_number) if ch.isdigit())


async def reissue(
    session: AsyncSession,
    *,
    currency_id: int,
    card_number: str,
    staff_id: int,
    secret: bytes,
    reason: str,
) -> Reissued:
    """A new card instead of this one (blocked now if still active), in one transaction.

    Only the resident's latest card can be reissued: an old card already replaced says
    which card replaced it."""
    found = await _card_row(session, currency_id, card_number)
    newer = await _newest_number(session, currency_id, found["resident_id"])
    if newer != found["card_number"]:
        raise AlreadyDone(
            f"Card {codes.printed(found['card_number'])} was already replaced by the card "
            f"ending in {newer[-4:]}; reissue that card instead."
        )
    issued = await cards.reissue_card(
        session, currency_id=currency_id, resident_number=found["resident_number"],
        staff_id=staff_id, secret=secret, reason=reason,
    )  # fmt: skip
    return Reissued(issued, found["name"])


async def unlock(
    session: AsyncSession,
    *,
    currency_id: int,
    card_number: str,
    staff_id: int,
    checked_identity: bool,
) -> None:
    """After too many wrong PINs: the card works again with the same PIN, the count starts
    over. Only with the resident present and their identity checked at the counter."""
    if not checked_identity:
        raise InvalidOperation(
            "Check the resident's identity document at the counter before unlocking the card."
        )
    found = await _card_row(session, currency_id, card_number)
    holder = await cards._lock_resident(session, currency_id, resident_id=found["resident_id"])
    if holder["pin_failures"] < MAX_PIN_FAILURES:
        raise AlreadyDone(f"Card {codes.printed(found['card_number'])} is not locked.")
    await cards._update_resident(session, currency_id, holder["id"], pin_failures=0)
    await audit.record(
        session, currency_id=currency_id, actor=f"staff:{staff_id}", action="card.unlock",
        target=f"card:{found['card_number']}",
        before={"pin_failures": holder["pin_failures"]},
        after={"pin_failures": 0, "identity_checked": True},
    )  # fmt: skip


async def printable(
    session: AsyncSession, *, currency_id: int, card_number: str, secret: bytes, staff_id: int
) -> PrintableCard:
    """An active card's QR and holder, to print its sheet again (audited: a printed QR
    and the PIN pay)."""
    found = await _card_row(session, currency_id, card_number)
    if found["status"] != "active":
        on = codes.japan_date(found["blocked_at"])
        raise AccountUnavailable(
            f"Card {codes.printed(found['card_number'])} was {found['status']} on {on}; "
            "print the resident's current card instead."
        )
    await audit.record(
        session, currency_id=currency_id, actor=f"staff:{staff_id}", action="card.print",
        target=f"card:{found['card_number']}",
    )  # fmt: skip
    return PrintableCard(
        card_number=found["card_number"],
        qr=codes.qr_payload(secret, currency_id, found["card_number"]),
        resident_name=found["name"],
        resident_number=found["resident_number"],
    )


async def own_card(session: AsyncSession, *, currency_id: int, resident_id: int) -> OwnCard:
    """The resident's latest card; NotFound if they never had one."""
    latest = await cards._latest_card(session, currency_id, resident_id)
    if latest is None:
        raise NotFound("You have no Meguri card. The city office can issue one.")
    failures = await session.scalar(
        sa.select(resident.c.pin_failures).where(
            resident.c.currency_id == currency_id, resident.c.id == resident_id
        )
    )
    return OwnCard(
        status=latest["status"],
        last4=latest["card_number"][-4:],
        issued_on=latest["created_at"].astimezone(JAPAN).date(),
        pin_locked=latest["status"] == "active" and (failures or 0) >= MAX_PIN_FAILURES,
    )


async def block_own(
    session: AsyncSession, *, currency_id: int, resident_id: int, reason: BlockReason
) -> OwnCard:
    """The owner stops their lost or stolen card at once; a new card is issued at the
    counter. The balance stays in the wallet."""
    latest = await cards._latest_card(session, currency_id, resident_id)
    if latest is None:
        raise NotFound("You have no Meguri card. The city office can issue one.")
    await cards.block_card(
        session, currency_id=currency_id, card_number=latest["card_number"],
        reason=_OWN_BLOCK_REASONS[reason], actor=f"resident:{resident_id}",
    )  # fmt: skip
    return await own_card(session, currency_id=currency_id, resident_id=resident_id)


async def _card_row(session: AsyncSession, currency_id: int, card_number: str) -> sa.RowMapping:
    """The card with its holder's name and number."""
    number = digits_of(card_number)
    query = (
        sa.select(card, resident.c.name, resident.c.resident_number)
        .join(resident, (resident.c.currency_id == card.c.currency_id)
              & (resident.c.id == card.c.resident_id))
        .where(card.c.currency_id == currency_id, card.c.card_number == number)
    )  # fmt: skip
    row = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        raise NotFound(f"There is no card with number {codes.printed(number)}.")
    return row


async def _newest_number(session: AsyncSession, currency_id: int, resident_id: int) -> str:
    latest = await cards._latest_card(session, currency_id, resident_id)
    assert latest is not None
    return str(latest["card_number"])
