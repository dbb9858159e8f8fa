"""The demo's people: staff and shop sign-ins, residents, and cards for those without a phone.

Users are inserted directly (there is no user enrolment service yet). Residents are
enrolled through the residents service; those with a phone are activated as a resident
would be, with an activation letter's code (``currency.auth.activation``) and the PIN they
choose. Cards and their PINs go through ``currency.residents.cards``, as the city office
issues them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth import activation
from currency.demo import data
from currency.demo.town import ResidentRow
from currency.residents import card_codes, cards
from currency.residents import service as residents
from currency.security import hash_secret
from currency.users.models import user

CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6


@dataclass(frozen=True)
class Secret:
    text: str
    hashed: str


@dataclass(frozen=True)
class Pins:
    text: dict[str, str]  # by resident name; activation or cards.set_pin hashes them


def draw_passwords() -> dict[str, Secret]:
    """Fresh passwords for the staff and shop users, by username, with their hashes.

    CPU-bound, like ``draw_pins``: run off the event loop."""
    usernames = [u for u, _, _ in (*data.STAFF, *data.SHOP_USERS)]
    return {u: _secret(secrets.token_urlsafe(9)) for u in usernames}


def draw_pins() -> Pins:
    return Pins({p.name: new_pin(p.birth_year) for p in data.RESIDENTS})


def _secret(text: str) -> Secret:
    return Secret(text, hash_secret(text))


def new_pin(birth_year: int | None = None) -> str:
    """A random 4-digit PIN that ``cards.set_pin`` accepts: never 1111, 1234, 1212, 9876 …
    nor the resident's birth year."""
    while True:
        pin = f"{secrets.randbelow(10_000):04d}"
        if card_codes.pin_weakness(pin, birth_year=birth_year) is None:
            return pin


def new_merchant_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def unique(make: Callable[[], str], taken: set[str]) -> str:
    while (value := make()) in taken:
        pass
    taken.add(value)
    return value


def resident_number(district: str, serial: int) -> str:
    """``S`` for Saiki, the district's code, a serial: ``S1000001`` (read as S-100-0001)."""
    return f"S{data.DISTRICT_CODES[district]}{serial:04d}"


async def add_users(
    session: AsyncSession, currency_id: int, shop_id: int, passwords: Mapping[str, Secret]
) -> dict[str, int]:
    """Staff and the first shop's owner and clerk; their ids by username."""
    ids: dict[str, int] = {}
    for username, display_name, role in (*data.STAFF, *data.SHOP_USERS):
        user_id = await session.scalar(
            sa.insert(user)
            .values(
                currency_id=currency_id,
                username=username,
                display_name=display_name,
                role=role,
                merchant_id=shop_id if role.startswith("merchant_") else None,
                password_hash=passwords[username].hashed,
            )
            .returning(user.c.id)
        )
        assert user_id is not None
        ids[username] = user_id
    return ids


async def add_residents(
    session: AsyncSession,
    currency_id: int,
    pins: Pins,
    *,
    staff_id: int,
    now: datetime,
    secret: bytes,
) -> dict[str, ResidentRow]:
    """Enrolled at the counter (and identity checked for some) through the residents
    service, as staff would; those with a phone activate with their letter's code."""
    rows: dict[str, ResidentRow] = {}
    serials = dict.fromkeys(data.DISTRICTS, 0)
    for person in data.RESIDENTS:
        serials[person.district] += 1
        enrolled = await residents.enrol(
            session, currency_id=currency_id,
            resident_number=resident_number(person.district, serials[person.district]),
            name=person.name, name_kana=person.kana, district=person.district,
            birth_year=person.birth_year, has_smartphone=person.smartphone, staff_id=staff_id,
        )  # fmt: skip
        if person.verified or not person.smartphone:
            await residents.verify_identity(
                session, currency_id=currency_id, resident_number=enrolled.resident_number,
                staff_id=staff_id, method="運転免許証",
            )  # fmt: skip
        if person.smartphone:
            await _activate(
                session, currency_id, enrolled.resident_number, pins.text[person.name],
                staff_id=staff_id, now=now, secret=secret,
            )  # fmt: skip
        rows[person.name] = ResidentRow(
            person, enrolled.id, enrolled.wallet_account_id, enrolled.resident_number,
            pins.text[person.name],
        )  # fmt: skip
    return rows


async def _activate(
    session: AsyncSession,
    currency_id: int,
    number: str,
    pin: str,
    *,
    staff_id: int,
    now: datetime,
    secret: bytes,
) -> None:
    """The letter printed at the counter, and the resident typing its code and a PIN."""
    letter = await activation.create(
        session, currency_id=currency_id, resident_number=number, staff_user_id=staff_id,
        now=now, secret=secret,
    )  # fmt: skip
    await activation.activate(
        session, currency_id=currency_id, resident_number=number, code=letter.code,
        new_pin=pin, now=now, ip="demo-loader", secret=secret,
    )  # fmt: skip


async def issue_cards(
    session: AsyncSession,
    *,
    currency_id: int,
    people: Mapping[str, ResidentRow],
    staff_id: int,
    secret: bytes,
) -> dict[str, ResidentRow]:
    """A printed QR card and a PIN for everyone without a smartphone, at the counter."""
    issued = dict(people)
    for name, row in people.items():
        if row.person.smartphone:
            continue
        card = await cards.issue_card(
            session, currency_id=currency_id, resident_number=row.number, staff_id=staff_id,
            secret=secret,
        )  # fmt: skip
        await cards.set_pin(
            session, currency_id=currency_id, resident_number=row.number, pin=row.pin,
            staff_id=staff_id,
        )  # fmt: skip
        issued[name] = replace(row, card=card)
    return issued
