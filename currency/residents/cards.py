"""Printed QR cards for residents without a smartphone, paid with a 4-digit PIN.

Numbers, the QR payload and the PIN rules are in card_codes.py (pure). Here: issuing,
blocking and reissuing cards, setting the PIN, and checking card and PIN at the till.

The resident row guards the resident's cards and PIN: every function here locks it
(``FOR UPDATE``) first, so a card is blocked and a PIN guessed one at a time, and
concurrent guesses cannot pass the limit.

A wrong PIN is counted with an UPDATE in the caller's transaction, then raised
(``WrongPin``, or ``PinLocked`` at the limit). The count must be COMMITTED although the
payment is refused, so the API checks the card in a short transaction of its own and
commits it whatever happens, then pays::

    async with sessions() as auth:
        try:
            holder = await cards.authenticate_card(
                auth, currency_id=..., qr=..., pin=..., secret=settings.secret_key
            )
        finally:
            await auth.commit()  # keeps a failure, or the reset after a right PIN
    # then pay from holder.wallet_account_id (e.g. through the group committer)
"""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import AccountUnavailable, AlreadyDone, NotFound
from currency.residents import card_codes as codes
from currency.residents import numbers
from currency.residents.card_codes import (
    MAX_PIN_FAILURES,
    CardHolder,
    IssuedCard,
    PinLocked,
    WrongPin,
)
from currency.residents.models import card, resident
from currency.security import hash_secret, verify_secret

_ASK_RESET = "the card is locked: ask the city office to reset the PIN"
__all__ = ["MAX_PIN_FAILURES", "CardHolder", "IssuedCard", "PinLocked", "WrongPin"]


async def issue_card(
    session: AsyncSession, *, currency_id: int, resident_number: str, staff_id: int, secret: bytes
) -> IssuedCard:
    """A new card for a resident who has no active card."""
    holder = await _lock_resident(session, currency_id, number=resident_number, active=True)
    latest = await _latest_card(session, currency_id, holder["id"])
    if latest is not None and latest["status"] == "active":
        raise AlreadyDone(
            f"Resident {resident_number} already has an active card (ending in "
            f"{latest['card_number'][-4:]}); block the old card first, or reissue it."
        )
    return await _new_card(session, currency_id, holder, secret, f"staff:{staff_id}", None)


async def reissue_card(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    staff_id: int,
    secret: bytes,
    reason: str,
) -> IssuedCard:
    """A new card instead of the last one (lost, damaged), which stops working now.

    The PIN and the wallet stay the resident's: nothing moves in the ledger."""
    reason = codes.required(reason, "Say why the card is reissued (lost, damaged …).")
    holder = await _lock_resident(session, currency_id, number=resident_number, active=True)
    latest = await _latest_card(session, currency_id, holder["id"])
    if latest is None:
        raise NotFound(f"Resident {resident_number} has no card to reissue; issue a new card.")
    actor = f"staff:{staff_id}"
    if latest["status"] == "active":
        await _retire(session, currency_id, latest, "replaced", reason, actor)
    return await _new_card(session, currency_id, holder, secret, actor, latest["id"])


async def block_card(
    session: AsyncSession, *, currency_id: int, card_number: str, reason: str, actor: str
) -> None:
    """The card stops working at once; the balance stays in the resident's wallet."""
    reason = codes.required(reason, "Say why the card is blocked (lost, stolen …).")
    found = await _card(session, currency_id, card_number)
    await _lock_resident(session, currency_id, resident_id=found["resident_id"])
    found = await _card(session, currency_id, card_number)  # as of the lock
    if found["status"] != "active":
        on = codes.japan_date(found["blocked_at"])
        raise AlreadyDone(
            f"Card {codes.printed(card_number)} was already {found['status']} on {on}."
        )
    await _retire(session, currency_id, found, "blocked", reason, actor)


async def set_pin(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    pin: str,
    staff_id: int | None,
) -> None:
    """Set or reset the PIN (``staff_id`` None: the resident's own change); unlocks the card.

    The PIN is kept only as an argon2 hash and never logged."""
    holder = await _lock_resident(session, currency_id, number=resident_number)
    pin = codes.check_new_pin(pin, birth_year=holder["birth_year"])
    hashed = await asyncio.to_thread(hash_secret, pin)
    reset: dict[str, Any] = {"pin_hash": hashed, "pin_failures": 0}
    if staff_id is not None:  # a reset at the counter: every sign-in made with the old PIN ends
        reset["token_version"] = resident.c.token_version + 1
    await _update_resident(session, currency_id, holder["id"], **reset)
    await audit.record(
        session,
        currency_id=currency_id,
        actor=f"staff:{staff_id}" if staff_id is not None else f"resident:{holder['id']}",
        action="card.pin",
        target=f"resident:{holder['id']}",
        before={"pin_set": holder["pin_hash"] is not None, "pin_failures": holder["pin_failures"]},
        after={"pin_set": True, "pin_failures": 0},
    )


async def authenticate_card(
    session: AsyncSession, *, currency_id: int, qr: str, pin: str, secret: bytes
) -> CardHolder:
    """Who pays with this card and PIN. Commit even when it raises (see the module)."""
    code = codes.parse_payload(qr)
    codes.check_mac(code, secret=secret, currency_id=currency_id)
    missing = "This card is not registered; ask the city office."
    found = await _card(session, currency_id, code.card_number, missing=missing)
    holder = await _lock_resident(session, currency_id, resident_id=found["resident_id"])
    found = await _card(session, currency_id, code.card_number)  # as of the lock
    _check_usable(found, holder)
    if not await asyncio.to_thread(verify_secret, holder["pin_hash"], codes.normal_pin(pin)):
        failures = await record_pin_failure(
            session, currency_id=currency_id, resident_id=holder["id"]
        )
        if failures < MAX_PIN_FAILURES:
            raise WrongPin(MAX_PIN_FAILURES - failures)
        reason = f"{failures} wrong PINs in a row"
        await _audit(session, currency_id, "system:card", "card.pin_lock", found, reason=reason)
        raise PinLocked(f"The PIN was wrong {failures} times in a row; {_ASK_RESET}.")
    if holder["pin_failures"]:
        await _update_resident(session, currency_id, holder["id"], pin_failures=0)
    return CardHolder(
        resident_id=holder["id"],
        resident_number=holder["resident_number"],
        wallet_account_id=holder["wallet_account_id"],
        card_number=code.card_number,
    )


async def record_pin_failure(session: AsyncSession, *, currency_id: int, resident_id: int) -> int:
    """Count one wrong PIN; returns how many in a row so far."""
    failures = await session.scalar(
        sa.update(resident)
        .where(resident.c.currency_id == currency_id, resident.c.id == resident_id)
        .values(pin_failures=resident.c.pin_failures + 1)
        .returning(resident.c.pin_failures)
    )
    return int(failures or 0)


def _check_usable(found: sa.RowMapping, holder: sa.RowMapping) -> None:
    on = codes.japan_date(found["blocked_at"]) if found["blocked_at"] else ""
    if found["status"] == "replaced":
        raise AccountUnavailable(f"This card was replaced by a new one on {on}; use the new card.")
    if found["status"] != "active":
        raise AccountUnavailable(f"This card was blocked on {on}; the city office can reissue it.")
    if holder["status"] != "active":
        raise AccountUnavailable("This resident's wallet is not in use; ask the city office.")
    if holder["pin_hash"] is None:
        raise AccountUnavailable("No PIN has been set for this card; ask the city office.")
    if holder["pin_failures"] >= MAX_PIN_FAILURES:
        raise PinLocked(f"Too many wrong PINs: {_ASK_RESET}.")


async def _lock_resident(
    session: AsyncSession,
    currency_id: int,
    *,
    number: str | None = None,
    resident_id: int | None = None,
    active: bool = False,
) -> sa.RowMapping:
    which = (
        resident.c.id == resident_id
        if number is None
        else resident.c.resident_number == numbers.canonical(number)
    )
    query = sa.select(resident).where(resident.c.currency_id == currency_id, which)
    row = (await session.execute(query.with_for_update())).mappings().one_or_none()
    if row is None:
        raise NotFound(f"There is no resident with number {number}.")
    if active and row["status"] != "active":
        raise AccountUnavailable(f"Resident {number} is not active ({row['status']}).")
    return row


async def _card(
    session: AsyncSession, currency_id: int, card_number: str, *, missing: str | None = None
) -> sa.RowMapping:
    query = sa.select(card).where(
        card.c.currency_id == currency_id, card.c.card_number == card_number
    )
    row = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        raise NotFound(missing or f"There is no card with number {card_number}.")
    return row


async def _latest_card(
    session: AsyncSession, currency_id: int, resident_id: int
) -> sa.RowMapping | None:
    query = (
        sa.select(card)
        .where(card.c.currency_id == currency_id, card.c.resident_id == resident_id)
        .order_by(card.c.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).mappings().one_or_none()


async def _new_card(
    session: AsyncSession,
    currency_id: int,
    holder: sa.RowMapping,
    secret: bytes,
    actor: str,
    replaces: int | None,
) -> IssuedCard:
    values = {"currency_id": currency_id, "resident_id": holder["id"], "replaces_card_id": replaces}
    for _ in range(5):  # 9×10^14 numbers: a clash is all but impossible, and never silent
        number = codes.new_card_number()
        card_id = await session.scalar(
            insert(card)
            .values(**values, card_number=number)
            .on_conflict_do_nothing(index_elements=["currency_id", "card_number"])
            .returning(card.c.id)
        )
        if card_id is not None:
            qr = codes.qr_payload(secret, currency_id, number)
            issued = IssuedCard(card_id, number, holder["id"], qr, replaces)
            row = {"card_number": number, "resident_id": holder["id"]}
            await _audit(session, currency_id, actor, "card.issue", row, replaces=replaces)
            return issued
    raise RuntimeError("could not draw a free card number")


async def _retire(
    session: AsyncSession,
    currency_id: int,
    found: sa.RowMapping,
    status: str,
    reason: str,
    actor: str,
) -> None:
    await session.execute(
        sa.update(card)
        .where(card.c.currency_id == currency_id, card.c.id == found["id"])
        .values(status=status, blocked_at=sa.func.now(), block_reason=reason)
    )
    action = "card.block" if status == "blocked" else "card.replace"
    await _audit(session, currency_id, actor, action, found, reason=reason, status=status)


async def _update_resident(
    session: AsyncSession, currency_id: int, resident_id: int, **values: Any
) -> None:
    await session.execute(
        sa.update(resident)
        .where(resident.c.currency_id == currency_id, resident.c.id == resident_id)
        .values(**values)
    )


async def _audit(
    session: AsyncSession,
    currency_id: int,
    actor: str,
    action: str,
    found: Any,
    *,
    reason: str | None = None,
    status: str = "active",
    **after: Any,
) -> None:
    await audit.record(
        session,
        currency_id=currency_id,
        actor=actor,
        action=action,
        target=f"card:{found['card_number']}",
        after={"resident_id": found["resident_id"], "status": status, **after},
        reason=reason,
    )
