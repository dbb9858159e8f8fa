"""Demo data for Saiki City: a currency, shops in all nine districts, residents, sign-ins.

Loaded once, on the first run (``meguri serve`` or ``meguri demo``), in one transaction.
The people and shops are in ``currency.demo.data``; every name is invented.

Identifiers made here:

- **Resident numbers** look like ``S-100-0001``: ``S`` for Saiki, the district's
  three-digit code (佐伯 100, 上浦 110, 弥生 120, 本匠 130, 宇目 140, 直川 150,
  鶴見 160, 米水津 170, 蒲江 180), then a four-digit serial within that district.
- **Card numbers** are 10 random digits, never starting with 0.
- **Merchant codes** are 6 random characters from an alphabet without look-alikes
  (no 0/O/o, 1/l/I/i), e.g. ``m7K2QX``: short enough for a printed ``/m/<code>`` QR.

Passwords (``secrets.token_urlsafe(9)``) and 4-digit PINs are drawn fresh for every
install and stored only as argon2 hashes; the few that the demo hands out are written
to ``<data_dir>/demo-credentials.json`` (mode 0600), never to the code or the logs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.db.engine import make_engine
from currency.demo import data
from currency.ledger import accounts, chain, corrections, operations
from currency.ledger.models import currency
from currency.ledger.operations import Context, Issue
from currency.merchants.models import merchant
from currency.payments.service import pay
from currency.residents.models import card, resident
from currency.security import hash_secret
from currency.settings import Settings
from currency.users.models import user

CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
DEMO_LOCK = 0x6D656764  # "megd": two first runs at once load the demo only once
ACTOR = "demo"
NOTE = "demo only"


def credentials_path(settings: Settings) -> Path:
    return settings.data_dir / "demo-credentials.json"


async def is_empty(session: AsyncSession) -> bool:
    """True while no currency exists: the demo loads only into an empty database."""
    return not await session.scalar(sa.select(sa.exists(sa.select(currency.c.id))))


async def load_if_empty(runtime_url: str, *, settings: Settings) -> bool:
    """Load the demo and write its sign-ins, unless a currency exists. True when loaded."""
    engine = make_engine(runtime_url, pool_size=1)
    path = credentials_path(settings)
    staged: Path | None = None
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await session.execute(sa.select(sa.func.pg_advisory_xact_lock(DEMO_LOCK)))
            if not await is_empty(session):
                return False
            credentials = await load(session, settings=settings)
            # Written before the commit, moved into place after: never data without sign-ins.
            staged = _stage(path, credentials)
        _publish(staged, path)
        staged = None
        return True
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
        await engine.dispose()


async def load(session: AsyncSession, *, settings: Settings) -> dict[str, Any]:
    """Create the whole demo in ``session`` (no commit); returns the sign-ins to hand out."""
    today = clock.today()
    sign_ins = await asyncio.to_thread(_draw_secrets)
    currency_id = await session.scalar(
        sa.insert(currency).values(**data.CURRENCY).returning(currency.c.id)
    )
    assert currency_id is not None
    shops = await _add_shops(session, currency_id)
    first_shop = shops[data.SHOPS[0].key]
    users = await _add_users(session, currency_id, first_shop.id, sign_ins.users)
    people = await _add_residents(session, currency_id, sign_ins.pins)
    await _fund(session, currency_id, people, today)
    await _trade(session, currency_id, people, shops, today, settings.refund_grace_days)
    await chain.seal_all(session, currency_id=currency_id)

    phone = next(p for p in people.values() if p.person.smartphone)
    card_holder = next(p for p in people.values() if not p.person.smartphone)
    return {
        "staff": [users[username] for username, _, _ in data.STAFF],
        "merchant": {
            "shop": first_shop.name,
            "code": first_shop.code,
            "owner": users[data.SHOP_USERS[0][0]],
            "clerk": users[data.SHOP_USERS[1][0]],
        },
        "residents": {
            "phone": {"resident_number": phone.number, "pin": phone.pin, "name": phone.person.name},
            "card": {
                "resident_number": card_holder.number,
                "card_number": card_holder.card_number,
                "pin": card_holder.pin,
                "name": card_holder.person.name,
            },
        },
        "note": NOTE,
    }


@dataclass(frozen=True)
class _Secret:
    text: str
    hashed: str


@dataclass(frozen=True)
class _SignIns:
    users: dict[str, _Secret]
    pins: list[_Secret]


@dataclass(frozen=True)
class _ShopRow:
    id: int
    account_id: int
    code: str
    name: str


@dataclass(frozen=True)
class _ResidentRow:
    person: data.Person
    wallet: int
    number: str
    pin: str
    card_number: str | None


def _draw_secrets() -> _SignIns:
    """Fresh passwords and PINs with their hashes (CPU-bound: run off the event loop)."""
    usernames = [u for u, _, _ in (*data.STAFF, *data.SHOP_USERS)]
    users = {u: _secret(secrets.token_urlsafe(9)) for u in usernames}
    return _SignIns(users=users, pins=[_secret(new_pin()) for _ in data.RESIDENTS])


def _secret(text: str) -> _Secret:
    return _Secret(text, hash_secret(text))


def new_pin() -> str:
    """A random 4-digit PIN, never one of the obvious ones (1111, 1234, 9876 …)."""
    while True:
        pin = f"{secrets.randbelow(10_000):04d}"
        steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
        if steps not in ({0}, {1}, {-1}):
            return pin


def new_merchant_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_card_number() -> str:
    return str(10**9 + secrets.randbelow(9 * 10**9))


def _unique(make: Callable[[], str], taken: set[str]) -> str:
    while (value := make()) in taken:
        pass
    taken.add(value)
    return value


async def _add_shops(session: AsyncSession, currency_id: int) -> dict[str, _ShopRow]:
    rows: dict[str, _ShopRow] = {}
    codes: set[str] = set()
    for shop in data.SHOPS:
        account_id = await accounts.open_account(session, currency_id=currency_id, kind="merchant")
        code = _unique(new_merchant_code, codes)
        merchant_id = await session.scalar(
            sa.insert(merchant)
            .values(
                currency_id=currency_id,
                code=code,
                name=shop.name,
                name_kana=shop.kana,
                district=shop.district,
                category=shop.category,
                tags=list(shop.tags),
                is_public_body=shop.public_body,
                account_id=account_id,
            )
            .returning(merchant.c.id)
        )
        assert merchant_id is not None
        rows[shop.key] = _ShopRow(merchant_id, account_id, code, shop.name)
    return rows


async def _add_users(
    session: AsyncSession, currency_id: int, shop_id: int, passwords: dict[str, _Secret]
) -> dict[str, dict[str, str]]:
    handed_out: dict[str, dict[str, str]] = {}
    for username, display_name, role in (*data.STAFF, *data.SHOP_USERS):
        secret = passwords[username]
        await session.execute(
            sa.insert(user).values(
                currency_id=currency_id,
                username=username,
                display_name=display_name,
                role=role,
                merchant_id=shop_id if role.startswith("merchant_") else None,
                password_hash=secret.hashed,
            )
        )
        handed_out[username] = {"username": username, "password": secret.text, "role": role}
    return handed_out


async def _add_residents(
    session: AsyncSession, currency_id: int, pins: list[_Secret]
) -> dict[str, _ResidentRow]:
    rows: dict[str, _ResidentRow] = {}
    serials = dict.fromkeys(data.DISTRICTS, 0)
    card_numbers: set[str] = set()
    for person, pin in zip(data.RESIDENTS, pins, strict=True):
        serials[person.district] += 1
        number = f"S-{data.DISTRICT_CODES[person.district]}-{serials[person.district]:04d}"
        wallet = await accounts.open_account(session, currency_id=currency_id, kind="wallet")
        resident_id = await session.scalar(
            sa.insert(resident)
            .values(
                currency_id=currency_id,
                resident_number=number,
                name=person.name,
                name_kana=person.kana,
                district=person.district,
                birth_year=person.birth_year,
                verification_level=2 if person.verified or not person.smartphone else 1,
                has_smartphone=person.smartphone,
                pin_hash=pin.hashed,
                wallet_account_id=wallet,
            )
            .returning(resident.c.id)
        )
        card_number = None
        if not person.smartphone:
            card_number = _unique(new_card_number, card_numbers)
            await session.execute(
                sa.insert(card).values(
                    currency_id=currency_id, resident_id=resident_id, card_number=card_number
                )
            )
        rows[person.name] = _ResidentRow(person, wallet, number, pin.text, card_number)
    return rows


async def _fund(
    session: AsyncSession, currency_id: int, people: dict[str, _ResidentRow], today: date
) -> None:
    """Coins charged at the counter for everyone; volunteer points for some."""
    issued = await accounts.system_account(
        session, currency_id=currency_id, code=accounts.ISSUED_COINS
    )
    granted = await accounts.system_account(
        session, currency_id=currency_id, code=accounts.granted_points(None)
    )
    ctx = Context(actor=ACTOR)
    for row in people.values():
        person = row.person
        coins = Issue(issued, person.coins, "coin", today + timedelta(days=data.COIN_DAYS))
        await operations.issue(
            session,
            currency_id=currency_id,
            wallet=row.wallet,
            issues=[coins],
            kind="charge",
            ctx=ctx,
        )
        if not person.points:
            continue
        only = person.points_only
        points = Issue(
            granted,
            person.points,
            "point",
            today + timedelta(days=data.POINT_DAYS),
            allowed_tags=frozenset({data.SMALL}) if only == data.SMALL else None,
            allowed_districts=frozenset({person.district}) if only == "own-district" else None,
        )
        await operations.issue(
            session,
            currency_id=currency_id,
            wallet=row.wallet,
            issues=[points],
            kind="grant",
            ctx=ctx,
        )


async def _trade(
    session: AsyncSession,
    currency_id: int,
    people: dict[str, _ResidentRow],
    shops: dict[str, _ShopRow],
    today: date,
    grace_days: int,
) -> None:
    """Payments so every shop has sales, one partial refund and one send between wallets."""
    payments: dict[tuple[str, str], int] = {}
    for name, shop_key, amount in data.PAYMENTS:
        posted = await pay(
            session,
            currency_id=currency_id,
            wallet_account_id=people[name].wallet,
            merchant_id=shops[shop_key].id,
            amount=amount,
            actor=ACTOR,
            today=today,
        )
        payments[(name, shop_key)] = posted.operation_id
    name, shop_key, amount = data.REFUND
    await corrections.refund(
        session,
        currency_id=currency_id,
        payment_id=payments[(name, shop_key)],
        amount=amount,
        today=today,
        grace_days=grace_days,
        ctx=Context(actor=ACTOR),
    )
    sender, receiver, amount = data.SEND
    await operations.send(
        session,
        currency_id=currency_id,
        sender=people[sender].wallet,
        receiver=people[receiver].wallet,
        amount=amount,
        today=today,
        ctx=Context(actor=ACTOR),
    )


def _stage(path: Path, credentials: dict[str, Any]) -> Path:
    """Write the sign-ins next to ``path``, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.new")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(credentials, out, ensure_ascii=False, indent=2)
        out.write("\n")
    return staged


def _publish(staged: Path, path: Path) -> None:
    os.replace(staged, path)
