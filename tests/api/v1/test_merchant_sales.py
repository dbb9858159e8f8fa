"""A shop's sales over a period, one payment with its refunds, and refunding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.settings import Settings
from tests.api.v1.test_merchant_support import (
    Till,
    clerk_of,
    keyed,
    open_till,
    problem,
    resident_headers,
)


@pytest.fixture
async def till(client: AsyncClient, session: AsyncSession, settings: Settings) -> Till:
    """A shop whose owner is signed in."""
    return await open_till(client, session, settings)


@pytest.fixture
async def other(till: Till) -> Till:
    """Another shop of the same city, its owner signed in."""
    return await open_till(till.client, till.books.session, till.settings, books=till.books)


async def refund(till: Till, payment_id: int, amount: int, key: str | None = None) -> Response:
    return await till.client.post(
        f"/v1/merchant/payments/{payment_id}/refunds",
        json={"amount": amount},
        headers=keyed(till.headers, key),
    )


class TestSales:
    async def test_todays_payments_newest_first_with_refunds_and_totals(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        first = await till.paid(payer, 1_000)
        second = await till.paid(payer, 300)
        assert (await refund(till, first, 400)).status_code == 201
        r = await till.client.get("/v1/merchant/payments", headers=till.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        today = clock.today().isoformat()
        assert (body["from"], body["to"]) == (today, today)
        assert [p["operation_id"] for p in body["payments"]] == [second, first]
        assert body["payments"][1]["refunded"] == 400
        assert body["payments"][1]["kept"] == 600
        assert body["totals"] == {"count": 2, "amount": 1_300, "refunded": 400, "kept": 900}

    async def test_another_shops_payments_are_never_listed(self, till: Till, other: Till) -> None:
        payer = await till.customer(coins=5_000)
        await till.paid(payer, 1_000)
        await other.paid(payer, 700)
        r = await other.client.get("/v1/merchant/payments", headers=other.headers)
        assert [p["amount"] for p in r.json()["payments"]] == [700]

    async def test_a_period_without_payments_is_empty(self, till: Till) -> None:
        await till.paid(await till.customer(), 1_000)
        yesterday = (clock.today() - timedelta(days=1)).isoformat()
        r = await till.client.get(
            "/v1/merchant/payments", params={"from": yesterday, "to": yesterday},
            headers=till.headers,
        )  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["payments"] == []
        assert r.json()["totals"]["amount"] == 0

    async def test_a_period_up_to_today_includes_today(self, till: Till) -> None:
        await till.paid(await till.customer(), 1_000)
        week_ago = (clock.today() - timedelta(days=7)).isoformat()
        r = await till.client.get(
            "/v1/merchant/payments", params={"from": week_ago}, headers=till.headers
        )
        assert r.json()["totals"]["count"] == 1

    @pytest.mark.parametrize(
        "params",
        [
            {"from": "2026-11-10", "to": "2026-11-01"},
            {"from": "2026-01-01", "to": "2026-11-01"},
        ],
    )
    async def test_a_backwards_or_too_long_period_is_refused(
        self, till: Till, params: dict[str, str]
    ) -> None:
        r = await till.client.get("/v1/merchant/payments", params=params, headers=till.headers)
        problem(r, 422, "invalid-operation")

    async def test_a_date_that_is_not_a_date_is_422(self, till: Till) -> None:
        r = await till.client.get(
            "/v1/merchant/payments", params={"from": "yesterday"}, headers=till.headers
        )
        problem(r, 422, "validation")

    async def test_a_number_is_not_read_as_a_day_in_1970(self, till: Till) -> None:
        for to in ("0", "1764115200", "2026-11-25T00:00:00"):
            r = await till.client.get(
                "/v1/merchant/payments", params={"to": to}, headers=till.headers
            )
            problem(r, 422, "validation")
            (error,) = r.json()["errors"]
            assert error["loc"] == ["query", "to"], to
            assert "2026-11-25" in error["msg"], to  # how a day is written

    async def test_a_clerk_sees_the_sales_a_resident_may_not(self, till: Till) -> None:
        await till.paid(await till.customer(), 1_000)
        clerk = await till.client.get("/v1/merchant/payments", headers=await clerk_of(till))
        assert clerk.json()["totals"]["count"] == 1
        resident = await till.client.get(
            "/v1/merchant/payments", headers=await resident_headers(till)
        )
        problem(resident, 403, "not-permitted")
        problem(await till.client.get("/v1/merchant/payments"), 401, "unauthenticated")


class TestOnePayment:
    async def test_a_payment_shows_what_was_refunded_and_what_is_left(self, till: Till) -> None:
        paid = await till.paid(await till.customer(coins=5_000), 1_000)
        await refund(till, paid, 250)
        r = await till.client.get(f"/v1/merchant/payments/{paid}", headers=till.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["amount"], body["refunded"], body["refundable"]) == (1_000, 250, 750)
        assert [x["amount"] for x in body["refunds"]] == [250]
        assert body["refunds"][0]["reversed"] is False

    async def test_another_shops_payment_is_not_found(self, till: Till, other: Till) -> None:
        paid = await other.paid(await till.customer(), 1_000)
        r = await till.client.get(f"/v1/merchant/payments/{paid}", headers=till.headers)
        body = problem(r, 404, "not-found")
        assert "1000" not in str(body) and "1,000" not in str(body)

    @pytest.mark.parametrize(
        ("payment_id", "status"), [("999999999", 404), ("0", 422), ("abc", 422), (str(2**63), 422)]
    )
    async def test_an_unknown_or_impossible_payment_id_is_refused(
        self, till: Till, payment_id: str, status: int
    ) -> None:
        r = await till.client.get(f"/v1/merchant/payments/{payment_id}", headers=till.headers)
        problem(r, status, "not-found" if status == 404 else "validation")

    async def test_a_charge_is_not_a_payment_of_the_shop(self, till: Till) -> None:
        charged = await till.books.charge((await till.customer(coins=0)).wallet, 1_000)
        r = await till.client.get(
            f"/v1/merchant/payments/{charged.operation_id}", headers=till.headers
        )
        problem(r, 404, "not-found")


class TestRefund:
    async def test_the_owner_refunds_part_of_a_payment_to_the_wallet(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        paid = await till.paid(payer, 1_000)
        r = await refund(till, paid, 300)
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["refund_of"], body["amount"]) == (paid, 300)
        assert await till.balance(payer.wallet) == 4_300
        assert await till.balance() == 700

    async def test_a_retry_with_the_same_key_refunds_once(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        paid = await till.paid(payer, 1_000)
        first, again = await refund(till, paid, 300, "r-1"), await refund(till, paid, 300, "r-1")
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert await till.balance(payer.wallet) == 4_300

    async def test_the_same_key_for_another_refund_is_refused(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        paid = await till.paid(payer, 1_000)
        await refund(till, paid, 300, "r-2")
        problem(await refund(till, paid, 200, "r-2"), 422, "idempotency-key-reused")
        other = await till.paid(payer, 500)
        problem(await refund(till, other, 300, "r-2"), 422, "idempotency-key-reused")
        assert await till.balance(payer.wallet) == 5_000 - 1_500 + 300

    async def test_without_an_idempotency_key_nothing_is_refunded(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        paid = await till.paid(payer, 1_000)
        r = await till.client.post(
            f"/v1/merchant/payments/{paid}/refunds", json={"amount": 100}, headers=till.headers
        )
        problem(r, 400, "idempotency-key-missing")
        assert await till.balance(payer.wallet) == 4_000

    async def test_more_than_is_left_is_refused(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        paid = await till.paid(payer, 1_000)
        await refund(till, paid, 800)
        problem(await refund(till, paid, 300), 422, "invalid-operation")
        assert await till.balance(payer.wallet) == 4_800

    async def test_a_clerk_may_not_refund_without_the_owners_pin(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        paid = await till.paid(payer, 1_000)
        r = await till.client.post(
            f"/v1/merchant/payments/{paid}/refunds",
            json={"amount": 100},
            headers=keyed(await clerk_of(till)),
        )
        problem(r, 403, "not-permitted")
        assert await till.balance(payer.wallet) == 4_000

    async def test_another_shops_payment_is_not_found(self, till: Till, other: Till) -> None:
        payer = await till.customer(coins=5_000)
        paid = await other.paid(payer, 1_000)
        problem(await refund(till, paid, 100), 404, "not-found")
        assert await other.balance() == 1_000

    @pytest.mark.parametrize("amount", [0, -5, 10_000_001, "100", 1.5, None, False])
    async def test_a_bad_amount_is_422(self, till: Till, amount: object) -> None:
        paid = await till.paid(await till.customer(), 1_000)
        r = await till.client.post(
            f"/v1/merchant/payments/{paid}/refunds",
            json={"amount": amount},
            headers=keyed(till.headers),
        )
        problem(r, 422, "validation")
