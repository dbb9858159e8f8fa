"""Loading the demo in one transaction, and handing out its sign-ins."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.clock import JAPAN
from currency.db.engine import make_engine
from currency.demo import data, funding, people, rules, shops, trading
from currency.demo.town import ResidentRow, ShopRow, Town
from currency.issuance.events import Event
from currency.ledger import chain, rollup
from currency.ledger.models import currency
from currency.reports import rollups as report_rollups
from currency.settings import Settings

DEMO_LOCK = 0x6D656764  # "megd": two first runs at once load the demo only once
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
    # Hashing takes a core for ~30 ms a secret: it runs in threads while the rows are written.
    passwords = asyncio.create_task(asyncio.to_thread(people.draw_passwords))
    pins = asyncio.create_task(asyncio.to_thread(people.draw_pins))
    now = await _transaction_time(session)
    currency_id = await session.scalar(
        sa.insert(currency).values(**data.CURRENCY).returning(currency.c.id)
    )
    assert currency_id is not None
    shop_rows = await shops.add_shops(session, currency_id)
    first_shop = shop_rows[data.SHOPS[0].key]
    user_ids = await people.add_users(session, currency_id, first_shop.id, await passwords)
    staff = (user_ids[data.STAFF[0][0]], user_ids[data.STAFF[1][0]])
    await rules.adopt(
        session, currency_id=currency_id, drafter=staff[0], approver=staff[1], now=now,
        fee_free_code=next(s.code for s in shop_rows.values() if s.shop.public_body),
    )  # fmt: skip
    # Accounts for payouts, but no settlement: every demo sale is today's, after the last
    # cut-off, so ``meguri settle`` has work once the next cut-off day has passed.
    await shops.open_bank_accounts(
        session, currency_id=currency_id, shops=shop_rows, staff_id=staff[0],
        secret=settings.secret_key,
    )  # fmt: skip
    residents = await people.add_residents(
        session, currency_id, await pins, staff_id=staff[0], now=now, secret=settings.secret_key
    )
    residents = await people.issue_cards(
        session, currency_id=currency_id, people=residents, staff_id=staff[0],
        secret=settings.secret_key,
    )  # fmt: skip
    town = Town(currency_id, now, staff, shop_rows, residents, settings)
    event = await _happen(session, town)
    await catch_up(session, currency_id)
    return _credentials(await passwords, first_shop, residents, event)


async def catch_up(session: AsyncSession, currency_id: int) -> None:
    """Do now what ``meguri worker`` would do next: chain every transfer, fold the balances
    and the daily report rollups, so the staff dashboard shows the demo's figures at once."""
    await chain.seal_all(session, currency_id=currency_id)
    while await rollup.roll_up(session, currency_id=currency_id):
        pass
    await report_rollups.refresh(session, currency_id=currency_id)


async def _transaction_time(session: AsyncSession) -> datetime:
    """The database's ``now()``: the time every row written in this transaction carries."""
    now: datetime | None = await session.scalar(sa.select(sa.func.now()))
    assert now is not None
    return now.astimezone(JAPAN)


async def _happen(session: AsyncSession, town: Town) -> Event:
    await funding.charge_everyone(session, town)
    await funding.grant_points(session, town)
    event = await funding.hold_event(session, town)
    await trading.trade(session, town)
    return event


def _credentials(
    passwords: dict[str, people.Secret],
    first_shop: ShopRow,
    residents: dict[str, ResidentRow],
    event: Event,
) -> dict[str, Any]:
    def handed_out(who: tuple[str, str, str]) -> dict[str, str]:
        username, _, role = who
        return {"username": username, "password": passwords[username].text, "role": role}

    phone = next(p for p in residents.values() if p.person.smartphone)
    holder = next(p for p in residents.values() if p.card is not None)
    assert holder.card is not None
    return {
        "staff": [handed_out(who) for who in data.STAFF],
        "merchant": {
            "shop": first_shop.shop.name,
            "code": first_shop.code,
            "owner": handed_out(data.SHOP_USERS[0]),
            "clerk": handed_out(data.SHOP_USERS[1]),
        },
        "residents": {
            "phone": {"resident_number": phone.number, "pin": phone.pin, "name": phone.person.name},
            "card": {
                "resident_number": holder.number,
                "card_number": holder.card.card_number,
                "qr": holder.card.qr,
                "pin": holder.pin,
                "name": holder.person.name,
            },
        },
        "event": {"name": event.name, "qr": event.token, "ends_at": event.ends_at.isoformat()},
        "note": NOTE,
    }


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
