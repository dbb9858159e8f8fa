"""The demo data: complete, made through the real services, consistent with the ledger, and
its sign-ins, card and event QR really work."""

from __future__ import annotations

import json
import re
import stat
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from currency import demo
from currency.clock import JAPAN
from currency.corrections import service as corrections
from currency.demo import data, people, rules, story
from currency.errors import AlreadyDone
from currency.issuance import events, rulebook
from currency.issuance.models import event_claim
from currency.issuance.rules import ChargePremium, MerchantFee, RuleKind
from currency.ledger import accounts
from currency.ledger.models import currency, lot, operation, transfer
from currency.ledger.verify import verify
from currency.merchants.models import merchant
from currency.residents import card_codes, cards
from currency.residents.models import card, resident
from currency.security import hash_secret, needs_rehash, verify_secret
from currency.settings import Settings
from currency.settlement import bank
from currency.settlement.zengin import AccountType
from currency.users.models import user


async def _saiki(session: AsyncSession) -> int:
    currency_id: int | None = await session.scalar(
        sa.select(currency.c.id).where(currency.c.code == "saiki")
    )
    assert currency_id is not None
    return currency_id


async def _staff_ids(session: AsyncSession, currency_id: int) -> dict[str, int]:
    rows = await session.execute(
        sa.select(user.c.username, user.c.id).where(
            user.c.currency_id == currency_id, user.c.role.like("city_%")
        )
    )
    return {r.username: r.id for r in rows}


async def _all(session: AsyncSession, table: sa.Table, currency_id: int) -> list[Any]:
    query = sa.select(table).where(table.c.currency_id == currency_id)
    return list((await session.execute(query)).all())


async def test_the_demo_fills_every_district_and_verifies(
    session: AsyncSession, settings: Settings
) -> None:
    assert await demo.is_empty(session)
    await demo.load(session, settings=settings)
    assert not await demo.is_empty(session)

    row = (await session.execute(sa.select(currency).where(currency.c.code == "saiki"))).one()
    assert (row.name, row.coin_unit, row.point_unit) == ("さいきコイン", "コイン", "pt")
    currency_id = row.id

    shops = await _all(session, merchant, currency_id)
    assert len(shops) >= 18
    assert {s.district for s in shops} == set(data.DISTRICTS)
    public = [s for s in shops if s.is_public_body]
    assert len(public) == 1
    assert public[0].category == "公共施設" and "public-facility" in public[0].tags
    assert any("small-business" in s.tags for s in shops)
    codes = [s.code for s in shops]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(f"[{demo.CODE_ALPHABET}]{{6}}", c) for c in codes)

    residents = await _all(session, resident, currency_id)
    assert len(residents) >= 20
    assert all(re.fullmatch(r"S1[0-8]0\d{4}", p.resident_number) for p in residents)
    assert all(1938 <= p.birth_year <= 2004 for p in residents)
    assert {p.district for p in residents} == set(data.DISTRICTS)
    card_only = {p.id for p in residents if not p.has_smartphone}
    assert card_only
    issued = await _all(session, card, currency_id)
    assert {c.resident_id for c in issued} == card_only
    assert all(re.fullmatch(r"[1-9]\d{15}", c.card_number) for c in issued)
    assert all(p.pin_hash for p in residents)

    staff = await _staff_ids(session, currency_id)
    assert sorted(staff) == ["staff1", "staff2"]

    for p in residents:
        balance = await accounts.balance(
            session, currency_id=currency_id, account_id=p.wallet_account_id
        )
        assert balance > 0, p.name
    for s in shops:
        balance = await accounts.balance(session, currency_id=currency_id, account_id=s.account_id)
        assert balance > 0, s.name

    kinds = {o.kind for o in await _all(session, operation, currency_id)}
    assert {"charge", "grant", "payment", "refund", "send", "merchant_pay"} <= kinds

    report = await verify(session, currency_id=currency_id)
    assert report.ok, report.problem
    assert report.transfers > 0 and report.links == report.transfers


async def test_every_rule_kind_is_in_force_and_staff_have_history_to_review(
    session: AsyncSession, settings: Settings
) -> None:
    await demo.load(session, settings=settings)
    currency_id = await _saiki(session)
    staff = await _staff_ids(session, currency_id)
    now = datetime.now(UTC)

    for kind in get_args(RuleKind):
        assert await rulebook.in_force(session, currency_id=currency_id, kind=kind, now=now), kind
    fee = await rulebook.standing(
        session, currency_id=currency_id, kind="merchant_fee", model=MerchantFee, now=now
    )
    gym = await session.scalar(
        sa.select(merchant.c.code).where(
            merchant.c.currency_id == currency_id, merchant.c.is_public_body
        )
    )
    assert (fee.default_rate_bp, fee.overrides) == (150, {gym: 0})

    history = await rulebook.versions(session, currency_id=currency_id)
    approved = [v for v in history if v.status == "approved"]
    assert all(v.starts_at < now and v.drafted_by == staff["staff1"] for v in approved)
    assert all(v.decided_by == staff["staff2"] for v in approved)

    [rejected] = [v for v in history if v.status == "rejected"]
    assert rejected.kind == "merchant_fee" and rejected.reason == "小規模店舗の負担が大きいため"
    assert isinstance(rejected.rule, MerchantFee) and rejected.rule.default_rate_bp == 300

    [pending] = [v for v in history if v.status == "draft"]
    assert isinstance(pending.rule, ChargePremium) and pending.starts_at > now
    assert pending.drafted_by == staff["staff2"]  # so staff1, signed in first, may approve it
    approved_now = await rulebook.approve(
        session, currency_id=currency_id, staff_id=staff["staff1"], rule_id=pending.id
    )
    assert approved_now.status == "approved"

    [waiting] = await corrections.pending(session, currency_id)
    assert waiting.operation_kind == "payment" and waiting.amount == 1_900
    assert waiting.reason.startswith("金額の入力誤り")
    assert waiting.requested_by == staff["staff2"]


async def test_charges_earn_the_campaign_premium_and_points_keep_their_restrictions(
    session: AsyncSession, settings: Settings
) -> None:
    await demo.load(session, settings=settings)
    currency_id = await _saiki(session)
    wallets = dict(
        (await session.execute(sa.select(resident.c.wallet_account_id, resident.c.name))).all()
    )

    premiums = await session.execute(
        sa.select(transfer.c.credit_account_id, transfer.c.amount).where(
            transfer.c.currency_id == currency_id, transfer.c.kind == "charge.premium.coin"
        )
    )
    given = {wallets[w]: amount for w, amount in premiums}
    assert given == {p.name: min(p.coins // 5, 2_000) for p in data.RESIDENTS}
    charges = [o for o in await _all(session, operation, currency_id) if o.kind == "charge"]
    assert {o.details["campaign"] for o in charges} == {rules.campaign(datetime.now(JAPAN)).code}
    staff1 = (await _staff_ids(session, currency_id))["staff1"]
    assert {o.actor for o in charges} == {f"staff:{staff1}"}  # at the counter

    points = [lot_ for lot_ in await _all(session, lot, currency_id) if lot_.kind == "point"]
    assert all(p.programme_id is not None for p in points)
    assert any(p.allowed_tags == ["small-business"] for p in points)
    assert any(p.allowed_districts for p in points)
    assert any(p.allowed_tags is None and p.allowed_districts is None for p in points)
    districts = {d for p in points for d in p.allowed_districts or ()}
    assert districts == set(data.OUTLYING)
    volunteer = [p for p in points if p.allowed_tags == ["small-business"]]
    assert {p.expires_on - p.created_at.astimezone(JAPAN).date() for p in volunteer} == {
        timedelta(days=90)
    }
    grants = [o for o in await _all(session, operation, currency_id) if o.kind == "grant"]
    assert len(grants) == len(story.GRANTS) + 1  # and the event's claim


async def test_the_event_qr_was_claimed_once_and_still_works_for_others(
    session: AsyncSession, settings: Settings
) -> None:
    credentials = await demo.load(session, settings=settings)
    currency_id = await _saiki(session)
    claims = await _all(session, event_claim, currency_id)
    attendee = await session.scalar(sa.select(resident.c.id).where(resident.c.name == "高橋 陽菜"))
    assert [c.resident_id for c in claims] == [attendee]

    token = credentials["event"]["qr"]
    phone = credentials["residents"]["phone"]["resident_number"]
    number = await session.scalar(
        sa.select(resident.c.resident_number).where(resident.c.id == attendee)
    )
    assert number is not None
    secret = settings.secret_key
    now = datetime.now(UTC)
    with pytest.raises(AlreadyDone):
        await events.claim(
            session, currency_id=currency_id, resident_number=number, token=token, now=now,
            secret=secret,
        )  # fmt: skip
    got = await events.claim(
        session, currency_id=currency_id, resident_number=phone, token=token, now=now,
        secret=secret,
    )  # fmt: skip
    assert (got.programme, got.activity, got.points) == ("volunteer", "cleanup", 100)


async def test_the_handed_out_sign_ins_card_and_pins_work(
    session: AsyncSession, settings: Settings
) -> None:
    credentials = await demo.load(session, settings=settings)
    currency_id = await _saiki(session)
    assert credentials["note"] == "demo only"

    async def password_hash(username: str) -> str:
        found: str | None = await session.scalar(
            sa.select(user.c.password_hash).where(
                user.c.currency_id == currency_id, user.c.username == username
            )
        )
        assert found is not None
        return found

    shop = credentials["merchant"]
    signed: list[dict[str, Any]] = [*credentials["staff"], shop["owner"], shop["clerk"]]
    assert [p["role"] for p in signed] == [
        "city_admin",
        "city_staff",
        "merchant_owner",
        "merchant_clerk",
    ]
    assert len({p["username"] for p in signed}) == 4
    for p in signed:
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
        assert card_codes.check_new_pin(who["pin"], birth_year=row.birth_year) == who["pin"]
        assert verify_secret(row.pin_hash, who["pin"])
        wrong = f"{(int(who['pin']) + 1) % 10_000:04d}"
        assert not verify_secret(row.pin_hash, wrong)

    holder = credentials["residents"]["card"]
    assert holder["qr"] == f"MGC1.{holder['card_number']}.{holder['qr'].rsplit('.', 1)[1]}"
    paying = await cards.authenticate_card(
        session, currency_id=currency_id, qr=holder["qr"], pin=holder["pin"],
        secret=settings.secret_key,
    )  # fmt: skip
    assert paying.resident_number == holder["resident_number"]
    assert paying.card_number == holder["card_number"]


async def test_every_shop_has_a_bank_account_to_be_paid_to(
    session: AsyncSession, settings: Settings
) -> None:
    await demo.load(session, settings=settings)
    currency_id = await _saiki(session)
    shops = await _all(session, merchant, currency_id)
    opened = {
        s.code: await bank.get_account(
            session, currency_id=currency_id, merchant_id=s.id, secret=settings.secret_key
        )
        for s in shops
    }
    assert {a.bank_code for a in opened.values()} == {"0184"}
    assert len({a.account_number for a in opened.values()}) == len(shops)
    city = next(opened[s.code] for s in shops if s.is_public_body)
    assert city.account_type == AccountType.CURRENT
    assert city.holder_kana == "ｻｲｷｼ ｶｲｹｲｶﾝﾘｼﾔ"
    assert city.branch_name_kana == "ｻｲｷ"


def test_every_install_draws_its_own_secrets() -> None:
    first = people.draw_passwords()
    second = people.draw_passwords()
    assert first["staff1"].text != second["staff1"].text
    assert all(len(s.text) == 12 for s in first.values())
    assert len({demo.new_merchant_code() for _ in range(50)}) == 50


def test_pins_are_never_the_obvious_ones_nor_the_birth_year() -> None:
    pins = {demo.new_pin() for _ in range(3000)}
    for obvious in ("0000", "1111", "1234", "2345", "9876", "3210", "8901", "1212"):
        assert obvious not in pins
    born = [demo.new_pin(1958) for _ in range(3000)]
    assert "1958" not in born
    assert all(card_codes.check_new_pin(p, birth_year=1958) == p for p in born)


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
    assert written["residents"]["card"]["qr"].startswith("MGC1.")
    assert [s["username"] for s in written["staff"]] == ["staff1", "staff2"]
    assert not path.with_name(f".{path.name}.new").exists()  # nothing half-written left

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
