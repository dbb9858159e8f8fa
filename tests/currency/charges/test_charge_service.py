"""Charging a wallet: coins for yen, a campaign's premium, limits, replays, the webhook."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.charges import service as charges
from currency.charges.result import Channel, ChargeResult
from currency.charges.webhook import WebhookRefused, sign
from currency.clock import JAPAN
from currency.errors import (
    AccountUnavailable,
    IdempotencyConflict,
    InvalidOperation,
    LimitExceeded,
    NotFound,
)
from currency.issuance import rulebook
from currency.issuance.models import counter
from currency.issuance.rules import ChargePremium, LocalizedName
from currency.ledger.models import account, lot, operation, transfer
from currency.ledger.spending import LotKind
from currency.ledger.types import Idempotency
from currency.residents.models import resident
from tests.factories import Books, Resident

SECRET = b"whsec_meguri_test"
ALL_CHANNELS: tuple[Channel, ...] = ("counter", "kiosk", "provider")


def jst_now() -> datetime:
    """Now, after the test's rules were approved (a rule is in force from its approval)."""
    return datetime.now(JAPAN)


async def open_campaign(
    session: AsyncSession,
    books: Books,
    *,
    code: str = "summer",
    rate_bp: int = 2000,
    kind: LotKind = "point",
    cap: int = 5_000,
    budget: int = 1_000_000,
    channels: Sequence[Channel] = ALL_CHANNELS,
    window: tuple[timedelta, timedelta] = (timedelta(days=-1), timedelta(days=30)),
    expiry_days: int | None = None,
) -> ChargePremium:
    """A campaign drafted by one staff member and approved by another, already started."""
    now = jst_now()
    rule = ChargePremium(
        code=code,
        name=LocalizedName(ja="チャージ応援", en="Charge bonus"),
        rate_bp=rate_bp,
        premium_kind=kind,
        cap_per_resident=cap,
        budget=budget,
        starts_at=now + window[0],
        ends_at=now + window[1],
        channels=tuple(channels),
        premium_expiry_days=expiry_days,
    )
    alice, bob = await books.staff(), await books.staff()
    drafted = await rulebook.draft(
        session,
        currency_id=books.currency_id,
        staff_id=alice,
        rule=rule,
        starts_at=now - timedelta(days=1),
    )
    await rulebook.approve(session, currency_id=books.currency_id, staff_id=bob, rule_id=drafted.id)
    return rule


async def charge(
    books: Books,
    payer: Resident,
    yen: Any,
    *,
    channel: Channel = "counter",
    key: str | None = None,
    actor: str = "staff:1",
    request: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ChargeResult:
    asked = request if request is not None else {"resident": payer.number, "yen": yen}
    idem = Idempotency(actor, key, asked) if key else None
    return await charges.charge(
        books.session,
        currency_id=books.currency_id,
        resident_number=payer.number,
        yen=yen,
        channel=channel,
        reference="R-0001",
        actor=actor,
        idempotency=idem,
        now=now or jst_now(),
    )


async def used(books: Books, name: str) -> int | None:
    return await books.session.scalar(
        sa.select(counter.c.used).where(
            counter.c.currency_id == books.currency_id, counter.c.name == name
        )
    )


async def lots_of(books: Books, wallet: int) -> list[tuple[str, int, date]]:
    rows = await books.session.execute(
        sa.select(lot.c.kind, lot.c.amount_issued, lot.c.expires_on)
        .where(lot.c.currency_id == books.currency_id, lot.c.wallet_account_id == wallet)
        .order_by(lot.c.id)
    )
    return [(r.kind, r.amount_issued, r.expires_on) for r in rows]


async def charge_operations(books: Books) -> list[dict[str, Any]]:
    rows = await books.session.execute(
        sa.select(operation.c.details)
        .where(operation.c.currency_id == books.currency_id, operation.c.kind == "charge")
        .order_by(operation.c.id)
    )
    return [dict(r.details) for r in rows]


async def snapshot(books: Books, wallet: int) -> tuple[int, int, int]:
    """Balance, operations and counted premiums: what a refusal must leave as it was."""
    ops = await books.session.scalar(
        sa.select(sa.func.count()).where(operation.c.currency_id == books.currency_id)
    )
    counted = await books.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(counter.c.used), 0)).where(
            counter.c.currency_id == books.currency_id
        )
    )
    return await books.balance(wallet), int(ops or 0), int(counted or 0)


def today() -> date:
    return jst_now().date()


class TestCharge:
    async def test_a_charge_without_a_campaign_puts_coins_for_half_a_year_in_the_wallet(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident()
        result = await charge(books, payer, 3000)
        assert (result.coins, result.premium, result.balance_after) == (3000, None, 3000)
        assert result.coin_expires_on == today() + timedelta(days=180)
        assert await lots_of(books, payer.wallet) == [("coin", 3000, result.coin_expires_on)]
        assert await books.balance(await books.issued()) == -3000
        [details] = await charge_operations(books)
        assert details["yen"] == 3000 and details["channel"] == "counter"
        assert details["reference"] == "R-0001" and details["campaign"] is None

    async def test_a_20_percent_campaign_adds_a_point_lot_in_the_same_operation(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_campaign(session, books, kind="point", expiry_days=90)
        payer = await books.resident()
        result = await charge(books, payer, 10_000)
        assert result.premium is not None
        assert (result.premium.amount, result.premium.kind) == (2000, "point")
        assert result.premium.expires_on == today() + timedelta(days=90)
        assert (result.premium.reason, result.total, result.balance_after) == (None, 12_000, 12_000)
        legs = await session.execute(
            sa.select(transfer.c.kind, transfer.c.amount).where(
                transfer.c.currency_id == books.currency_id,
                transfer.c.operation_id == result.operation_id,
            )
        )
        assert sorted(tuple(r) for r in legs) == [
            ("charge.coin", 10_000),
            ("charge.premium.point", 2000),
        ]
        assert await books.balance(await books.granted()) == -2000
        assert await used(books, "premium:summer:budget") == 2000
        assert await used(books, f"premium:summer:resident:{payer.id}") == 2000
        [details] = await charge_operations(books)
        assert (details["campaign"], details["premium"]) == ("summer", 2000)

    async def test_a_coin_campaign_premium_comes_from_issued_coins_with_the_coin_expiry(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_campaign(session, books, kind="coin")
        payer = await books.resident()
        result = await charge(books, payer, 5000)
        assert result.premium is not None and result.premium.kind == "coin"
        coin_day = today() + timedelta(days=180)
        assert await lots_of(books, payer.wallet) == [
            ("coin", 5000, coin_day),
            ("coin", 1000, coin_day),
        ]
        assert await books.balance(await books.issued()) == -6000

    async def test_a_coin_premium_never_outlives_six_months_whatever_the_campaign_says(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_campaign(session, books, kind="coin", expiry_days=365)
        result = await charge(books, await books.resident(), 5000)
        assert result.premium is not None and result.premium.expires_on is not None
        assert result.premium.expires_on < today() + timedelta(days=186)

    @pytest.mark.parametrize(
        ("window", "channels"),
        [
            ((timedelta(days=-10), timedelta(seconds=-1)), ALL_CHANNELS),  # ended
            ((timedelta(hours=1), timedelta(days=10)), ALL_CHANNELS),  # not started
            ((timedelta(days=-1), timedelta(days=10)), ("kiosk", "provider")),  # not here
        ],
        ids=["ended", "not_started", "other_channel"],
    )
    async def test_a_campaign_outside_its_window_or_channel_gives_no_premium(
        self,
        session: AsyncSession,
        window: tuple[timedelta, timedelta],
        channels: tuple[Channel, ...],
    ) -> None:
        books = await Books.open(session)
        await open_campaign(session, books, window=window, channels=channels)
        payer = await books.resident()
        result = await charge(books, payer, 10_000, channel="counter")
        assert result.premium is None and result.balance_after == 10_000
        assert await used(books, "premium:summer:budget") is None

    async def test_of_overlapping_campaigns_the_highest_rate_then_the_lowest_code_pays(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_campaign(session, books, code="autumn", rate_bp=1000)
        await open_campaign(session, books, code="winter", rate_bp=2500)
        await open_campaign(session, books, code="spring", rate_bp=2500)
        result = await charge(books, await books.resident(), 4000)
        assert result.premium is not None
        assert (result.premium.campaign, result.premium.amount) == ("spring", 1000)

    async def test_the_per_resident_cap_is_reached_exactly_then_reduces_then_stops_the_premium(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_campaign(session, books, cap=3000)
        payer = await books.resident(level=2)
        premiums = [(await charge(books, payer, yen)).premium for yen in (5000, 10_000)]
        assert [(p.amount, p.reason) for p in premiums if p] == [(1000, None), (2000, None)]
        reduced = (await charge(books, payer, 10_000)).premium
        assert reduced is not None and reduced.amount == 0 and reduced.expires_on is None
        assert (reduced.full_amount, reduced.reason) == (2000, "cap_per_resident")
        assert reduced.note is not None and "3,000 per person" in reduced.note
        assert await used(books, f"premium:summer:resident:{payer.id}") == 3000
        assert [k for k, _, _ in await lots_of(books, payer.wallet)].count("point") == 2

    async def test_a_premium_past_the_cap_is_cut_to_what_is_left(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_campaign(session, books, cap=2500)
        payer = await books.resident(level=2)
        await charge(books, payer, 10_000)
        second = (await charge(books, payer, 10_000)).premium
        assert second is not None
        assert (second.amount, second.full_amount, second.reason) == (500, 2000, "cap_per_resident")
        assert await books.balance(payer.wallet) == 22_500

    async def test_a_budget_smaller_than_the_premium_reduces_it_with_reason_budget(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_campaign(session, books, cap=1500, budget=1500)
        residents = [await books.resident() for _ in range(3)]
        given = [(await charge(books, r, 5000)).premium for r in residents]
        assert [(p.amount, p.reason) for p in given if p] == [
            (1000, None),
            (500, "budget"),
            (0, "budget"),
        ]
        assert await used(books, "premium:summer:budget") == 1500


class TestRefusals:
    async def test_a_charge_past_the_balance_cap_with_its_premium_is_refused_and_changes_nothing(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident()  # basic: at most 50,000 in the wallet
        await books.charge(payer.wallet, 45_000)
        await open_campaign(session, books)
        before = await snapshot(books, payer.wallet)
        with pytest.raises(LimitExceeded) as refused:
            await charge(books, payer, 5000)  # 5,000 + 1,000 premium
        assert refused.value.code == "balance_cap" and refused.value.remaining == 5000
        assert "¥1,000 too much" in str(refused.value)
        assert await snapshot(books, payer.wallet) == before

    async def test_a_charge_that_fills_the_wallet_exactly_to_the_cap_is_taken(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident()
        await books.charge(payer.wallet, 45_000)
        assert (await charge(books, payer, 5000)).balance_after == 50_000

    async def test_an_unknown_resident_is_not_found(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        stranger = Resident(id=0, number="9999999999", wallet=0)
        with pytest.raises(NotFound):
            await charge(books, stranger, 1000)

    async def test_a_resident_who_is_not_active_cannot_be_charged(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident()
        await session.execute(
            sa.update(resident).where(resident.c.id == payer.id).values(status="suspended")
        )
        before = await snapshot(books, payer.wallet)
        with pytest.raises(AccountUnavailable, match="suspended"):
            await charge(books, payer, 1000)
        assert await snapshot(books, payer.wallet) == before

    async def test_a_blocked_wallet_cannot_be_charged(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        payer = await books.resident()
        await open_campaign(session, books)
        await session.execute(
            sa.update(account).where(account.c.id == payer.wallet).values(status="blocked")
        )
        before = await snapshot(books, payer.wallet)
        with pytest.raises(AccountUnavailable, match="blocked"):
            await charge(books, payer, 1000)
        assert await snapshot(books, payer.wallet) == before

    @pytest.mark.parametrize("yen", [0, -500, 1000.0, 1_000_001, True, "1000"])
    async def test_an_amount_that_is_not_a_sane_whole_number_of_yen_is_refused(
        self, session: AsyncSession, yen: Any
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident(level=2)
        before = await snapshot(books, payer.wallet)
        with pytest.raises(InvalidOperation, match="whole number of yen"):
            await charge(books, payer, yen)
        assert await snapshot(books, payer.wallet) == before


class TestIdempotency:
    async def test_the_same_key_twice_charges_once_and_returns_the_same_result(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_campaign(session, books)
        payer = await books.resident()
        staff = f"staff:{await books.staff()}"
        first = await charge(books, payer, 10_000, key="till-1", actor=staff)
        again = await charge(books, payer, 10_000, key="till-1", actor=staff)
        assert again.replayed and not first.replayed
        assert again == first.model_copy(update={"replayed": True})
        assert await books.balance(payer.wallet) == 12_000
        assert len(await charge_operations(books)) == 1
        assert await used(books, "premium:summer:budget") == 2000
        trail = await audit.entries(session, currency_id=books.currency_id)
        assert [e["action"] for e in trail if e["action"] == "charge"] == ["charge"]
        assert trail[0]["actor"] == staff

    async def test_the_same_key_for_a_different_request_is_a_conflict(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident()
        await charge(books, payer, 1000, key="till-2")
        with pytest.raises(IdempotencyConflict):
            await charge(books, payer, 2000, key="till-2")
        assert await books.balance(payer.wallet) == 1000


def event(payer: Resident, *, event_id: str = "evt_1", yen: int = 3000, **more: Any) -> bytes:
    fields = {"id": event_id, "type": "charge.succeeded", "resident_number": payer.number}
    return json.dumps({**fields, "yen": yen, "reference": "ch_1", **more}).encode()


def signed(body: bytes, *, secret: bytes = SECRET, ago: timedelta = timedelta()) -> str:
    return sign(body, secret, jst_now() - ago)


async def deliver(books: Books, body: bytes, header: str | None = None) -> ChargeResult:
    """The provider's POST, signed now with our secret unless ``header`` says otherwise."""
    return await charges.charge_from_webhook(
        books.session,
        currency_id=books.currency_id,
        body=body,
        signature_header=signed(body) if header is None else header,
        secrets=[SECRET],
        now=jst_now(),
    )


class TestWebhook:
    async def test_a_signed_event_charges_the_resident_through_the_provider_channel(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_campaign(session, books, channels=("provider",))
        payer = await books.resident()
        result = await deliver(books, event(payer))
        assert (result.channel, result.reference, result.total) == ("provider", "ch_1", 3600)
        actors = await session.scalars(
            sa.select(operation.c.actor).where(operation.c.currency_id == books.currency_id)
        )
        assert list(actors) == ["provider"]
        trail = await audit.entries(session, currency_id=books.currency_id)
        assert [e for e in trail if e["action"] == "charge"] == []  # no staff involved

    async def test_a_duplicate_delivery_charges_once(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        await open_campaign(session, books)
        payer = await books.resident()
        first = await deliver(books, event(payer))
        again = await deliver(books, event(payer))
        assert again == first.model_copy(update={"replayed": True})
        assert await books.balance(payer.wallet) == 3600
        assert await used(books, "premium:summer:budget") == 600

    async def test_an_event_id_reused_for_another_charge_is_a_conflict(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident()
        await deliver(books, event(payer))
        with pytest.raises(IdempotencyConflict):
            await deliver(books, event(payer, yen=9000))
        assert await books.balance(payer.wallet) == 3000

    @pytest.mark.parametrize(
        ("forge", "reason"),
        [
            ({"secret": b"not-our-secret"}, "bad_signature"),
            ({"ago": timedelta(minutes=10)}, "timestamp_out_of_range"),
            (None, "missing_header"),
        ],
        ids=["bad_signature", "old_timestamp", "unsigned"],
    )
    async def test_an_unsigned_forged_or_stale_event_is_refused_and_charges_nothing(
        self, session: AsyncSession, forge: dict[str, Any] | None, reason: str
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident()
        body = event(payer)
        with pytest.raises(WebhookRefused) as refused:
            await deliver(books, body, signed(body, **forge) if forge is not None else "")
        assert refused.value.reason == reason
        assert await snapshot(books, payer.wallet) == (0, 0, 0)

    async def test_an_event_that_is_not_a_succeeded_charge_issues_nothing(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        payer = await books.resident()
        with pytest.raises(InvalidOperation, match="not handled"):
            await deliver(books, event(payer, type="charge.refunded"))
        assert await books.balance(payer.wallet) == 0
