"""Staff charges over HTTP: coins for yen at the counter, once per Idempotency-Key."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.staff_support import Office, open_office, refused


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    return await open_office(client, session, settings)


def order(number: str, yen: object = 3_000, **more: object) -> dict[str, object]:
    return {"resident_number": number, "yen": yen, "channel": "counter",
            "reference": "R-1", **more}  # fmt: skip


class TestCharge:
    async def test_the_counter_charges_coins_into_the_wallet(self, office: Office) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/charges", order(person.number), key="k-1")
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["yen"], body["coins"], body["balance_after"]) == (3_000, 3_000, 3_000)
        assert body["channel"] == "counter" and body["operation_id"] > 0
        assert "replayed" not in body
        assert await office.books.balance(person.wallet) == 3_000

    async def test_an_admin_may_charge_too(self, office: Office) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/charges", order(person.number), role="admin", key="k")
        assert r.status_code == 201, r.text

    async def test_an_unknown_resident_is_404_and_nothing_is_charged(self, office: Office) -> None:
        issued = await office.books.issued()
        r = await office.post("/v1/staff/charges", order("9999999"), key="k-1")
        assert "number" in refused(r, 404, "not-found")["detail"]
        assert await office.books.balance(issued) == 0

    async def test_a_charge_past_the_balance_cap_is_refused_with_the_limit(
        self, office: Office
    ) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/charges", order(person.number, 60_000), key="k")
        body = refused(r, 422, "limit-exceeded")
        assert body["limit"] == 50_000 and body["requested"] == 60_000
        assert await office.books.balance(person.wallet) == 0

    @pytest.mark.parametrize("yen", ["3000", 3000.0, 0, -5, 10_000_001, True, None])
    async def test_an_amount_that_is_not_a_whole_number_in_range_is_422(
        self, office: Office, yen: object
    ) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/charges", order(person.number, yen), key="k")
        assert refused(r, 422, "validation")["errors"][0]["loc"] == ["body", "yen"]
        assert await office.books.balance(person.wallet) == 0

    async def test_more_than_the_service_sells_at_once_is_refused_plainly(
        self, office: Office
    ) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/charges", order(person.number, 2_000_000), key="k")
        assert "¥1,000,000" in refused(r, 422, "invalid-operation")["detail"]

    async def test_the_provider_channel_is_not_for_staff(self, office: Office) -> None:
        person = await office.books.resident()
        r = await office.post(
            "/v1/staff/charges", order(person.number, channel="provider"), key="k"
        )
        refused(r, 422, "validation")


class TestIdempotency:
    async def test_a_charge_without_a_key_is_400(self, office: Office) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/charges", order(person.number))
        refused(r, 400, "idempotency-key-missing")
        assert await office.books.balance(person.wallet) == 0

    async def test_a_retry_answers_the_same_and_charges_once(self, office: Office) -> None:
        person = await office.books.resident()
        first = await office.post("/v1/staff/charges", order(person.number), key="k-1")
        again = await office.post("/v1/staff/charges", order(person.number), key="k-1")
        assert (again.status_code, again.json()) == (first.status_code, first.json())
        assert again.headers["idempotent-replayed"] == "true"
        assert first.headers["idempotent-replayed"] == "false"
        assert await office.books.balance(person.wallet) == 3_000

    async def test_the_same_key_for_another_charge_is_422(self, office: Office) -> None:
        person = await office.books.resident()
        await office.post("/v1/staff/charges", order(person.number), key="k-1")
        r = await office.post("/v1/staff/charges", order(person.number, 5_000), key="k-1")
        refused(r, 422, "idempotency-key-reused")
        assert await office.books.balance(person.wallet) == 3_000


class TestRoles:
    @pytest.mark.parametrize("role", ["resident", "shop", "auditor"])
    async def test_only_staff_and_admins_may_charge(self, office: Office, role: str) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/charges", order(person.number), role=role, key="k")
        refused(r, 403, "not-permitted")
        assert await office.books.balance(person.wallet) == 0

    async def test_without_a_token_it_is_401(self, office: Office) -> None:
        person = await office.books.resident()
        r = await office.client.post(
            "/v1/staff/charges", json=order(person.number), headers={"Idempotency-Key": "k"}
        )
        refused(r, 401, "unauthenticated")
