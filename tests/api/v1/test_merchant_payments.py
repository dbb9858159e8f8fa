"""A shop takes a payment: the resident's one-time code (CPM) or a card and its PIN."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.main import create_app
from currency.settings import Settings
from tests.api.v1.test_merchant_support import (
    Till,
    clerk_of,
    keyed,
    open_till,
    problem,
    resident_headers,
    sign_in,
    staff_headers,
)
from tests.currency.auth.support import PIN, add_user, currency_code, resident_row
from tests.factories import Books


@pytest.fixture
async def till(client: AsyncClient, session: AsyncSession, settings: Settings) -> Till:
    """A shop whose clerk is signed in."""
    owner = await open_till(client, session, settings)
    owner.headers = await clerk_of(owner)
    return owner


class TestPayByCode:
    async def test_the_clerk_charges_the_residents_code(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        r = await till.pay({"payment_token": await till.token(payer), "amount": 1_200})
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["amount"], body["by_kind"]) == (1_200, {"coin": 1_200})
        assert body["created_at"].endswith("+09:00")
        assert r.headers["idempotent-replayed"] == "false"
        assert await till.balance(payer.wallet) == 3_800
        assert await till.balance() == 1_200

    async def test_points_are_spent_before_coins_and_the_answer_says_how_much_of_each(
        self, till: Till
    ) -> None:
        payer = await till.customer(coins=1_000, points=200)  # the points expire sooner
        r = await till.pay({"payment_token": await till.token(payer), "amount": 500})
        assert r.status_code == 201, r.text
        assert r.json()["by_kind"] == {"point": 200, "coin": 300}

    async def test_a_retry_with_the_same_key_answers_the_same_payment_and_charges_once(
        self, till: Till
    ) -> None:
        payer = await till.customer(coins=5_000)
        body = {"payment_token": await till.token(payer), "amount": 1_200}
        first = await till.pay(body, key="till-1")
        again = await till.pay(body, key="till-1")
        assert (again.status_code, again.json()) == (first.status_code, first.json())
        assert again.headers["idempotent-replayed"] == "true"
        assert await till.balance(payer.wallet) == 3_800

    async def test_the_same_key_for_another_amount_is_refused(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        token = await till.token(payer)
        await till.pay({"payment_token": token, "amount": 1_200}, key="till-2")
        r = await till.pay({"payment_token": token, "amount": 1_300}, key="till-2")
        problem(r, 422, "idempotency-key-reused")
        assert await till.balance(payer.wallet) == 3_800

    async def test_without_an_idempotency_key_nothing_is_charged(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        r = await till.client.post(
            "/v1/merchant/payments",
            json={"payment_token": await till.token(payer), "amount": 1_200},
            headers=till.headers,
        )
        problem(r, 400, "idempotency-key-missing")
        assert await till.balance(payer.wallet) == 5_000

    async def test_a_used_code_cannot_pay_again(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        token = await till.token(payer)
        assert (await till.pay({"payment_token": token, "amount": 1_000})).status_code == 201
        r = await till.pay({"payment_token": token, "amount": 1_000})
        body = problem(r, 422, "invalid-code")
        assert "already used" in str(body["detail"])
        assert await till.balance(payer.wallet) == 4_000

    async def test_an_expired_code_is_refused(self, till: Till) -> None:
        payer = await till.customer(coins=5_000)
        old = await till.token(payer, now=datetime.now(UTC) - timedelta(minutes=3))
        body = problem(await till.pay({"payment_token": old, "amount": 1_000}), 422, "invalid-code")
        assert "expired" in str(body["detail"])
        assert await till.balance(payer.wallet) == 5_000

    @pytest.mark.parametrize("mangle", [lambda t: t[:-1], lambda t: t[:-2] + "AA", lambda t: "x"])
    async def test_an_altered_code_is_refused(self, till: Till, mangle: object) -> None:
        payer = await till.customer(coins=5_000)
        token = mangle(await till.token(payer))  # type: ignore[operator]
        problem(await till.pay({"payment_token": token, "amount": 1_000}), 422, "invalid-code")
        assert await till.balance(payer.wallet) == 5_000

    async def test_not_enough_balance_says_what_is_spendable_and_the_code_stays_usable(
        self, till: Till
    ) -> None:
        payer = await till.customer(coins=1_000)
        token = await till.token(payer)
        body = problem(
            await till.pay({"payment_token": token, "amount": 1_500}), 409, "insufficient-balance"
        )
        assert body["spendable"] == 1_000
        assert (await till.pay({"payment_token": token, "amount": 900})).status_code == 201
        assert await till.balance(payer.wallet) == 100


class TestBadRequests:
    @pytest.mark.parametrize("amount", [0, -1, 10_000_001, "1000", 1000.0, 10.5, True, None, "NaN"])
    async def test_a_bad_amount_is_422_and_charges_nothing(
        self, till: Till, amount: object
    ) -> None:
        payer = await till.customer(coins=5_000)
        r = await till.pay({"payment_token": await till.token(payer), "amount": amount})
        body = problem(r, 422, "validation")
        assert any(e["loc"][-1] == "amount" for e in body["errors"])  # type: ignore[attr-defined]
        assert await till.balance(payer.wallet) == 5_000

    @pytest.mark.parametrize(
        "body",
        [
            {"amount": 100},
            {"payment_token": "MGP1.X", "card": {"qr": "MGC1.X", "pin": PIN}, "amount": 100},
            {"payment_token": "MGP1.X", "amount": 100, "merchant_id": 1},
            {"card": {"qr": "MGC1.X"}, "amount": 100},
        ],
    )
    async def test_a_request_must_carry_exactly_one_way_to_pay(
        self, till: Till, body: dict[str, object]
    ) -> None:
        problem(await till.pay(body), 422, "validation")


class TestPayByCard:
    async def test_a_card_and_its_pin_pay_from_the_holders_wallet(self, till: Till) -> None:
        holder = await till.customer(coins=3_000)
        r = await till.pay({"card": {"qr": await till.card(holder), "pin": PIN}, "amount": 700})
        assert r.status_code == 201, r.text
        assert r.json()["by_kind"] == {"coin": 700}
        assert await till.balance(holder.wallet) == 2_300

    async def test_a_wrong_pin_is_a_plain_refusal_that_counts(self, till: Till) -> None:
        holder = await till.customer(coins=3_000)
        r = await till.pay({"card": {"qr": await till.card(holder), "pin": "9051"}, "amount": 700})
        body = problem(r, 422, "wrong-pin")
        assert body["detail"] == "The PIN is not right. Please ask the customer to enter it again."
        assert (await resident_row(till.books, holder.id))["pin_failures"] == 1
        assert await till.balance(holder.wallet) == 3_000

    async def test_five_wrong_pins_lock_the_card_and_the_shop_is_sent_to_the_city_office(
        self, till: Till
    ) -> None:
        holder = await till.customer(coins=3_000)
        qr = await till.card(holder)
        answers = [
            await till.pay({"card": {"qr": qr, "pin": "9051"}, "amount": 700}) for _ in range(5)
        ]
        assert [a.status_code for a in answers] == [422, 422, 422, 422, 423]
        locked = problem(answers[-1], 423, "pin-locked")
        assert "city office" in str(locked["detail"])
        assert not re.search(r"\d", str(locked["detail"]) + str(locked["title"])), "no count"
        right = await till.pay({"card": {"qr": qr, "pin": PIN}, "amount": 700})
        problem(right, 423, "pin-locked")
        assert await till.balance(holder.wallet) == 3_000

    async def test_a_right_pin_starts_the_count_again(self, till: Till) -> None:
        holder = await till.customer(coins=3_000)
        qr = await till.card(holder)
        await till.pay({"card": {"qr": qr, "pin": "9051"}, "amount": 700})
        assert (await till.pay({"card": {"qr": qr, "pin": PIN}, "amount": 700})).status_code == 201
        assert (await resident_row(till.books, holder.id))["pin_failures"] == 0

    async def test_a_forged_card_is_refused(self, till: Till) -> None:
        holder = await till.customer(coins=3_000)
        qr = await till.card(holder)
        forged = qr[:-1] + ("A" if qr[-1] != "A" else "B")
        r = await till.pay({"card": {"qr": forged, "pin": PIN}, "amount": 700})
        problem(r, 422, "invalid-code")
        assert await till.balance(holder.wallet) == 3_000

    async def test_a_retry_with_the_same_key_pays_once(self, till: Till) -> None:
        holder = await till.customer(coins=3_000)
        body = {"card": {"qr": await till.card(holder), "pin": PIN}, "amount": 700}
        first, again = await till.pay(body, key="card-1"), await till.pay(body, key="card-1")
        assert (again.status_code, again.json()) == (201, first.json())
        assert await till.balance(holder.wallet) == 2_300


class TestWhoMayTakePayments:
    async def test_the_owner_takes_payments_too(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        till = await open_till(client, session, settings)
        payer = await till.customer()
        r = await till.pay({"payment_token": await till.token(payer), "amount": 100})
        assert r.status_code == 201, r.text

    async def test_without_a_sign_in_it_is_401(self, till: Till) -> None:
        r = await till.client.post(
            "/v1/merchant/payments", json={"payment_token": "x", "amount": 1}, headers=keyed({})
        )
        problem(r, 401, "unauthenticated")

    @pytest.mark.parametrize("who", ["resident", "staff"])
    async def test_a_resident_or_city_staff_may_not_take_payments(
        self, till: Till, who: str
    ) -> None:
        payer = await till.customer(coins=5_000)
        headers = await (resident_headers if who == "resident" else staff_headers)(till)
        r = await till.client.post(
            "/v1/merchant/payments",
            json={"payment_token": await till.token(payer), "amount": 1_000},
            headers=keyed(headers),
        )
        problem(r, 403, "not-permitted")
        assert await till.balance(payer.wallet) == 5_000


@pytest.mark.committing
async def test_wrong_pins_are_kept_although_each_payment_is_refused(
    committing_engine: AsyncEngine, settings: Settings
) -> None:
    """With real commits: the request's own transaction rolls back on a wrong PIN, and
    the count still stands (the card check commits on its own), so the fifth locks."""
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        settings.currency_code = await currency_code(books)
        owner = await add_user(books, role="merchant_owner")
        till = Till(None, books, settings, {}, 0, 0)  # type: ignore[arg-type]
        holder = await till.customer(coins=3_000)
        qr = await till.card(holder)
    app = create_app(settings, engine=committing_engine)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        headers = await sign_in(client, owner.username)

        async def pay(pin: str) -> int:
            body = {"card": {"qr": qr, "pin": pin}, "amount": 700}
            r = await client.post("/v1/merchant/payments", json=body, headers=keyed(headers))
            return r.status_code

        assert await pay(PIN) == 201
        assert [await pay("9051") for _ in range(5)] == [422, 422, 422, 422, 423]
        assert await pay(PIN) == 423
    async with sessions() as session:
        books.session = session
        assert (await resident_row(books, holder.id))["pin_failures"] == 5
        assert await books.balance(holder.wallet) == 2_300
