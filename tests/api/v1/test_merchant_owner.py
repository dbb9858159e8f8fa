"""What only a shop's owner does, over HTTP: the refund PIN, clerks, settlements with their
payout statements. Clerks are refused (403); another shop's settlement is not found."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.clock import JAPAN
from currency.issuance.schedule import settlement_period
from currency.issuance.standing_rules import SettlementSchedule
from currency.settings import Settings
from currency.settlement import bank
from currency.settlement import service as settlements
from currency.users.models import user
from tests.api.v1.test_merchant_support import (
    Till,
    clerk_of,
    open_till,
    problem,
    resident_headers,
    staff_headers,
)
from tests.currency.auth.support import PASSWORD

OWNER_PIN = "390417"


@pytest.fixture
async def till(client: AsyncClient, session: AsyncSession, settings: Settings) -> Till:
    return await open_till(client, session, settings)


async def put_pin(till: Till, pin: str, password: str = PASSWORD) -> Response:
    body = {"current_password": password, "pin": pin}
    return await till.client.put("/v1/merchant/pin", json=body, headers=till.headers)


async def settled(till: Till, refund: int = 0) -> settlements.Settlement:
    """A sale of 10,000 (less ``refund``) settled at the next cut-off; bank account on file."""
    payer = await till.customer(coins=20_000)
    paid = await till.paid(payer, 10_000)
    if refund:
        r = await till.client.post(
            f"/v1/merchant/payments/{paid}/refunds", json={"amount": refund},
            headers={**till.headers, "Idempotency-Key": "refund-1"},
        )  # fmt: skip
        assert r.status_code == 201, r.text
    books = till.books
    await bank.set_account(
        books.session, currency_id=books.currency_id, merchant_id=till.merchant_id,
        bank_code="0184", bank_name_kana="ｵｵｲﾀ", branch_code="301", branch_name_kana="ｻｲｷ",
        account_type=1, account_number="7654321", holder_kana="ﾃｽﾄ", staff_id=1,
        secret=till.settings.secret_key,
    )  # fmt: skip
    stamped = await books.session.scalar(sa.select(sa.func.now()))
    assert isinstance(stamped, datetime)
    today = stamped.astimezone(JAPAN).date()
    end = settlement_period(SettlementSchedule(), day=today).ends_on
    return await settlements.settle(
        books.session, currency_id=books.currency_id, merchant_id=till.merchant_id,
        period_end=end, actor="user:1", now=_closes(end) + timedelta(hours=1),
    )  # fmt: skip


def _closes(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), JAPAN)


class TestPin:
    async def test_the_owner_sets_a_pin_on_the_password_and_it_is_stored_hashed(
        self, till: Till
    ) -> None:
        r = await put_pin(till, OWNER_PIN)
        assert r.status_code == 200, r.text
        hashes = await till.books.session.scalars(
            sa.select(user.c.pin_hash).where(user.c.merchant_id == till.merchant_id)
        )
        stored = [h for h in hashes if h]
        assert len(stored) == 1 and OWNER_PIN not in stored[0]
        rows = await audit.entries(till.books.session, currency_id=till.books.currency_id)
        assert OWNER_PIN not in json.dumps([dict(x) for x in rows], default=str)

    async def test_a_wrong_password_or_guessable_pin_is_refused(self, till: Till) -> None:
        wrong = await put_pin(till, OWNER_PIN, "not-my-password")
        body = problem(wrong, 422, "invalid-operation")
        assert "password" in str(body["detail"])
        body = problem(await put_pin(till, "123456"), 422, "invalid-operation")
        assert "guess" in str(body["detail"])

    async def test_a_clerk_cannot_set_the_pin(self, till: Till) -> None:
        headers = await clerk_of(till)
        r = await till.client.put(
            "/v1/merchant/pin", json={"current_password": PASSWORD, "pin": OWNER_PIN},
            headers=headers,
        )  # fmt: skip
        problem(r, 403, "not-permitted")


class TestClerks:
    async def test_the_owner_adds_a_clerk_who_can_sign_in(self, till: Till) -> None:
        r = await till.client.post(
            "/v1/merchant/users", json={"display_name": "アルバイト 佐藤"}, headers=till.headers
        )
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["role"] == "merchant_clerk"
        login = {"username": made["username"], "password": made["initial_password"]}
        assert (await till.client.post("/v1/auth/login", json=login)).status_code == 200
        listed = await till.client.get("/v1/merchant/users", headers=till.headers)
        assert made["username"] in [u["username"] for u in listed.json()]
        assert "initial_password" not in listed.text and "hash" not in listed.text

    async def test_an_owner_cannot_be_added_here(self, till: Till) -> None:
        r = await till.client.post(
            "/v1/merchant/users", json={"display_name": "x", "role": "merchant_owner"},
            headers=till.headers,
        )  # fmt: skip
        problem(r, 422, "validation")

    @pytest.mark.parametrize("who", ["clerk", "resident", "staff"])
    async def test_only_the_owner_sees_or_adds_users(self, till: Till, who: str) -> None:
        make = {"clerk": clerk_of, "resident": resident_headers, "staff": staff_headers}[who]
        headers = await make(till)
        problem(await till.client.get("/v1/merchant/users", headers=headers), 403, "not-permitted")
        r = await till.client.post("/v1/merchant/users", json={"display_name": "x"},
                                   headers=headers)  # fmt: skip
        problem(r, 403, "not-permitted")

    async def test_no_token_is_401(self, till: Till) -> None:
        problem(await till.client.get("/v1/merchant/users"), 401, "unauthenticated")


class TestSettlements:
    async def test_the_statement_explains_the_payout(self, till: Till) -> None:
        done = await settled(till, refund=1_000)
        listed = await till.client.get("/v1/merchant/settlements", headers=till.headers)
        assert [s["id"] for s in listed.json()] == [done.id]
        r = await till.client.get(f"/v1/merchant/settlements/{done.id}", headers=till.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["gross_receipts"], body["refunds"], body["adjustments"]) == (10_000, 1_000, 0)
        assert (body["amount"], body["fee"], body["net"]) == (9_000, 135, 8_865)
        assert body["payout_on"] == done.payout_on.isoformat()
        assert body["account"] == "ｵｵｲﾀ 301 普通 ***4321"
        assert "7654321" not in r.text

    async def test_another_shops_settlement_is_not_found(
        self, till: Till, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        done = await settled(till)
        other = await open_till(client, session, settings, books=till.books)
        r = await client.get(f"/v1/merchant/settlements/{done.id}", headers=other.headers)
        problem(r, 404, "not-found")
        assert (await client.get("/v1/merchant/settlements", headers=other.headers)).json() == []

    async def test_a_clerk_does_not_see_settlements(self, till: Till) -> None:
        headers = await clerk_of(till)
        r = await till.client.get("/v1/merchant/settlements", headers=headers)
        problem(r, 403, "not-permitted")
