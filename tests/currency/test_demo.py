"""The demo data: complete, consistent with the ledger, and its sign-ins really work."""

from __future__ import annotations

import json
import re
import stat
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from currency import demo
from currency.demo import data
from currency.ledger import accounts
from currency.ledger.models import currency, lot
from currency.ledger.verify import verify
from currency.merchants.models import merchant
from currency.residents.models import card, resident
from currency.security import hash_secret, needs_rehash, verify_secret
from currency.settings import Settings
from currency.users.models import user


async def _saiki(session: AsyncSession) -> int:
    currency_id = await session.scalar(sa.select(currency.c.id).where(currency.c.code == "saiki"))
    assert currency_id is not None
    return currency_id


async def test_the_demo_fills_every_district_and_verifies(
    session: AsyncSession, settings: Settings
) -> None:
    assert await demo.is_empty(session)
    await demo.load(session, settings=settings)
    assert not await demo.is_empty(session)

    row = (await session.execute(sa.select(currency).where(currency.c.code == "saiki"))).one()
    assert (row.name, row.coin_unit, row.point_unit) == ("さいきコイン", "コイン", "pt")
    currency_id = row.id

    shops = (
        await session.execute(sa.select(merchant).where(merchant.c.currency_id == currency_id))
    ).all()
    assert len(shops) >= 18
    assert {s.district for s in shops} == set(data.DISTRICTS)
    public = [s for s in shops if s.is_public_body]
    assert len(public) == 1
    assert public[0].category == "公共施設" and "public-facility" in public[0].tags
    assert any("small-business" in s.tags for s in shops)
    codes = [s.code for s in shops]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(f"[{demo.CODE_ALPHABET}]{{6}}", c) for c in codes)

    people = (
        await session.execute(sa.select(resident).where(resident.c.currency_id == currency_id))
    ).all()
    assert len(people) >= 20
    assert all(re.fullmatch(r"S-1[0-8]0-\d{4}", p.resident_number) for p in people)
    assert all(1938 <= p.birth_year <= 2004 for p in people)
    assert {p.district for p in people} == set(data.DISTRICTS)
    card_only = {p.id for p in people if not p.has_smartphone}
    assert card_only
    cards = (await session.execute(sa.select(card).where(card.c.currency_id == currency_id))).all()
    assert {c.resident_id for c in cards} == card_only
    assert all(re.fullmatch(r"[1-9]\d{9}", c.card_number) for c in cards)

    staff = (
        await session.execute(
            sa.select(user).where(user.c.currency_id == currency_id, user.c.role.like("city_%"))
        )
    ).all()
    assert len(staff) == 2 and staff[0].username != staff[1].username
    assert {s.role for s in staff} == {"city_admin", "city_staff"}

    for p in people:
        balance = await accounts.balance(
            session, currency_id=currency_id, account_id=p.wallet_account_id
        )
        assert balance > 0, p.name
    for s in shops:
        balance = await accounts.balance(session, currency_id=currency_id, account_id=s.account_id)
        assert balance > 0, s.name

    report = await verify(session, currency_id=currency_id)
    assert report.ok, report.problem
    assert report.transfers > 0 and report.links == report.transfers


async def test_the_demo_has_points_with_restrictions(
    session: AsyncSession, settings: Settings
) -> None:
    await demo.load(session, settings=settings)
    currency_id = await _saiki(session)
    points = (
        await session.execute(
            sa.select(lot).where(lot.c.currency_id == currency_id, lot.c.kind == "point")
        )
    ).all()
    assert any(p.allowed_tags == ["small-business"] for p in points)
    assert any(p.allowed_districts for p in points)
    assert any(p.allowed_tags is None and p.allowed_districts is None for p in points)
    districts = {d for p in points for d in p.allowed_districts or ()}
    assert districts <= set(data.DISTRICTS)


async def test_the_handed_out_sign_ins_match_the_stored_hashes(
    session: AsyncSession, settings: Settings
) -> None:
    credentials = await demo.load(session, settings=settings)
    currency_id = await _saiki(session)
    assert credentials["note"] == "demo only"

    async def password_hash(username: str) -> str:
        found = await session.scalar(
            sa.select(user.c.password_hash).where(
                user.c.currency_id == currency_id, user.c.username == username
            )
        )
        assert found is not None
        return found

    shop = credentials["merchant"]
    people: list[dict[str, Any]] = [*credentials["staff"], shop["owner"], shop["clerk"]]
    assert [p["role"] for p in people] == [
        "city_admin",
        "city_staff",
        "merchant_owner",
        "merchant_clerk",
    ]
    assert len({p["username"] for p in people}) == 4
    for p in people:
        stored = await password_hash(p["username"])
        assert stored.startswith("$argon2id$") and p["password"] not in stored
        assert verify_secret(stored, p["password"])
        assert not verify_secret(stored, p["password"] + "x")

    owner_shop = await session.scalar(
        sa.select(merchant.c.code)
        .join(
            user,
            sa.and_(
                user.c.currency_id == merchant.c.currency_id, user.c.merchant_id == merchant.c.id
            ),
        )
        .where(user.c.currency_id == currency_id, user.c.username == shop["owner"]["username"])
    )
    assert owner_shop == shop["code"]

    for kind in ("phone", "card"):
        who = credentials["residents"][kind]
        row = (
            await session.execute(
                sa.select(resident).where(
                    resident.c.currency_id == currency_id,
                    resident.c.resident_number == who["resident_number"],
                )
            )
        ).one()
        assert row.name == who["name"]
        assert row.has_smartphone is (kind == "phone")
        assert re.fullmatch(r"\d{4}", who["pin"])
        assert verify_secret(row.pin_hash, who["pin"])
        wrong = f"{(int(who['pin']) + 1) % 10_000:04d}"
        assert not verify_secret(row.pin_hash, wrong)

    card_number = await session.scalar(
        sa.select(card.c.card_number)
        .join(
            resident,
            sa.and_(
                resident.c.currency_id == card.c.currency_id, resident.c.id == card.c.resident_id
            ),
        )
        .where(resident.c.resident_number == credentials["residents"]["card"]["resident_number"])
    )
    assert card_number == credentials["residents"]["card"]["card_number"]


def test_every_install_draws_its_own_secrets() -> None:
    first = demo._draw_secrets()
    second = demo._draw_secrets()
    assert first.users["staff1"].text != second.users["staff1"].text
    assert all(len(s.text) == 12 for s in first.users.values())
    assert len({demo.new_merchant_code() for _ in range(50)}) == 50


def test_pins_are_never_the_obvious_ones() -> None:
    pins = {demo.new_pin() for _ in range(3000)}
    for obvious in ("0000", "1111", "1234", "2345", "9876", "3210"):
        assert obvious not in pins


def test_secrets_verify_and_mismatches_never_raise() -> None:
    hashed = hash_secret("4821")
    assert hashed != hash_secret("4821")  # salted
    assert verify_secret(hashed, "4821")
    assert not verify_secret(hashed, "4822")
    assert not verify_secret("not a hash", "4821")
    assert not verify_secret("", "4821")
    assert not verify_secret(None, "4821")
    assert not needs_rehash(hashed)
    assert needs_rehash("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")


@pytest.mark.committing
async def test_load_if_empty_loads_on_the_first_run_only(
    committing_engine: AsyncEngine, settings: Settings
) -> None:
    assert settings.database_url is not None
    url = settings.database_url.get_secret_value()
    path = demo.credentials_path(settings)
    assert path == settings.data_dir / "demo-credentials.json"

    assert await demo.load_if_empty(url, settings=settings) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["residents"]["card"]["card_number"]
    assert [s["username"] for s in written["staff"]] == ["staff1", "staff2"]
    assert list(path.parent.iterdir()) == [path]

    assert await demo.load_if_empty(url, settings=settings) is False
    assert json.loads(path.read_text(encoding="utf-8")) == written

    async with AsyncSession(committing_engine) as session:
        currency_id = await _saiki(session)
        report = await verify(session, currency_id=currency_id)
        assert report.ok, report.problem
        staff1 = await session.scalar(
            sa.select(user.c.password_hash).where(
                user.c.currency_id == currency_id, user.c.username == "staff1"
            )
        )
        assert verify_secret(staff1, written["staff"][0]["password"])
