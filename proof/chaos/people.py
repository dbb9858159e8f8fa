"""The harness's own currency, staff, shops (with owners) and residents (with PINs),
made through the services as the city office would, in a fresh database."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth import activation
from currency.db.engine import make_engine
from currency.ledger.models import currency
from currency.merchants import service as merchants
from currency.residents import service as residents
from currency.residents.card_codes import pin_weakness
from currency.security import hash_secret
from currency.users.models import user

CODE = "chaos"
DISTRICT = "佐伯"
PASSWORD = "chaos-harness-only"  # noqa: S105  (a throwaway database, deleted at the end)


@dataclass(frozen=True)
class Person:
    number: str
    pin: str
    wallet: int


@dataclass(frozen=True)
class Shop:
    code: str
    account: int
    owner: str


@dataclass(frozen=True)
class Town:
    currency_id: int
    staff: str
    shops: list[Shop]
    people: list[Person]


async def build(
    runtime_url: str, *, rng: random.Random, residents: int, shops: int, secret: bytes
) -> Town:
    """Everything in one committed transaction; the charges come later, through the API."""
    engine = make_engine(runtime_url, pool_size=1)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            return await _build(session, rng, residents, shops, secret)
    finally:
        await engine.dispose()


async def _build(
    session: AsyncSession, rng: random.Random, n_people: int, n_shops: int, secret: bytes
) -> Town:
    now = datetime.now(UTC)
    currency_id = await session.scalar(
        sa.insert(currency)
        .values(code=CODE, name="カオスコイン", coin_unit="コイン", point_unit="pt")
        .returning(currency.c.id)
    )
    assert currency_id is not None
    hashed = await asyncio.to_thread(hash_secret, PASSWORD)
    staff_id = await _user(session, currency_id, "chaos-staff", "city_staff", None, hashed)
    shops = [await _shop(session, currency_id, n, hashed, now) for n in range(n_shops)]
    people = [
        await _person(session, currency_id, n, _pin(rng), staff_id, now, secret)
        for n in range(n_people)
    ]
    return Town(currency_id, "chaos-staff", shops, people)


async def _user(
    session: AsyncSession, currency_id: int, name: str, role: str, shop: int | None, hashed: str
) -> int:
    """Users are inserted as the demo does: there is no user enrolment service."""
    values = {"currency_id": currency_id, "username": name, "display_name": name, "role": role}
    made = await session.scalar(
        sa.insert(user)
        .values(**values, merchant_id=shop, password_hash=hashed)
        .returning(user.c.id)
    )
    assert made is not None
    return int(made)


async def _shop(
    session: AsyncSession, currency_id: int, n: int, hashed: str, now: datetime
) -> Shop:
    made = await merchants.onboard(
        session, currency_id=currency_id, name=f"カオス商店 {n + 1}", district=DISTRICT,
        category="食料品", tags=("small-business",), actor="system:chaos", now=now,
    )  # fmt: skip
    owner = f"chaos-owner-{n + 1}"
    await _user(session, currency_id, owner, "merchant_owner", made.id, hashed)
    return Shop(made.code, made.account_id, owner)


async def _person(
    session: AsyncSession,
    currency_id: int,
    n: int,
    pin: str,
    staff_id: int,
    now: datetime,
    secret: bytes,
) -> Person:
    number = f"S100{n + 1:04d}"
    enrolled = await residents.enrol(
        session, currency_id=currency_id, resident_number=number, name=f"カオス 住民{n + 1}",
        name_kana=None, district=DISTRICT, birth_year=1950, has_smartphone=True,
        staff_id=staff_id,
    )  # fmt: skip
    letter = await activation.create(
        session, currency_id=currency_id, resident_number=number, staff_user_id=staff_id,
        now=now, secret=secret,
    )  # fmt: skip
    await activation.activate(
        session, currency_id=currency_id, resident_number=number, code=letter.code,
        new_pin=pin, now=now, ip=f"chaos-setup-{n}", secret=secret,
    )  # fmt: skip
    return Person(enrolled.resident_number, pin, enrolled.wallet_account_id)


def _pin(rng: random.Random) -> str:
    while True:
        pin = f"{rng.randrange(10_000):04d}"
        if pin_weakness(pin, birth_year=1950) is None:
            return pin
