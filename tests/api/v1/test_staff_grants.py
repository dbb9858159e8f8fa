"""Staff grants over HTTP: volunteer points one at a time, once per Idempotency-Key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.staff_support import Office, open_office, refused
from tests.currency.issuance.test_grants import open_programme, today


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    office = await open_office(client, session, settings)
    office.ids["programme"] = await open_programme(office.books, monthly_cap=800)
    return office


def order(number: str, **more: object) -> dict[str, object]:
    return {"resident_number": number, "programme": "clean", "activity": "cleanup", **more}


class TestGrant:
    async def test_a_grant_gives_the_activitys_points(self, office: Office) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/grants", order(person.number, note="河川敷"), key="g")
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["points"], body["programme"], body["activity"]) == (500, "clean", "cleanup")
        assert body["on"] == today().isoformat() and body["resident_number"] == person.number
        assert await office.books.balance(person.wallet) == 500

    async def test_points_and_a_past_date_may_be_given(self, office: Office) -> None:
        person = await office.books.resident()
        on = (today() - timedelta(days=1)).isoformat()
        r = await office.post("/v1/staff/grants", order(person.number, points=120, on=on), key="g")
        assert (r.status_code, r.json()["points"], r.json()["on"]) == (201, 120, on)

    async def test_past_the_monthly_cap_is_refused_with_what_still_fits(
        self, office: Office
    ) -> None:
        person = await office.books.resident()
        await office.post("/v1/staff/grants", order(person.number), key="g-1")
        r = await office.post("/v1/staff/grants", order(person.number), key="g-2")
        body = refused(r, 422, "limit-exceeded")
        assert (body["limit"], body["used"], body["remaining"]) == (800, 500, 300)
        assert await office.books.balance(person.wallet) == 500

    async def test_an_unknown_activity_or_programme_or_resident_is_refused(
        self, office: Office
    ) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/grants", order(person.number, activity="karaoke"),
                              key="a")  # fmt: skip
        assert "cleanup (ごみ拾い)" in refused(r, 404, "not-found")["detail"]
        r = await office.post("/v1/staff/grants", order(person.number, programme="nope"),
                              key="b")  # fmt: skip
        refused(r, 404, "not-found")
        refused(await office.post("/v1/staff/grants", order("9999999"), key="c"), 404, "not-found")
        assert await office.books.balance(person.wallet) == 0

    async def test_a_date_in_the_future_is_refused(self, office: Office) -> None:
        person = await office.books.resident()
        on = (today() + timedelta(days=1)).isoformat()
        r = await office.post("/v1/staff/grants", order(person.number, on=on), key="g")
        assert "future" in refused(r, 422, "invalid-operation")["detail"]

    @pytest.mark.parametrize("points", ["100", 1.5, 0, True])
    async def test_points_must_be_a_whole_number_of_one_or_more(
        self, office: Office, points: object
    ) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/grants", order(person.number, points=points), key="g")
        assert refused(r, 422, "validation")["errors"][0]["loc"] == ["body", "points"]


class TestIdempotency:
    async def test_a_grant_without_a_key_is_400(self, office: Office) -> None:
        person = await office.books.resident()
        refused(await office.post("/v1/staff/grants", order(person.number)), 400,
                "idempotency-key-missing")  # fmt: skip
        assert await office.books.balance(person.wallet) == 0

    async def test_a_retry_answers_the_same_and_grants_once(self, office: Office) -> None:
        person = await office.books.resident()
        first = await office.post("/v1/staff/grants", order(person.number), key="g-1")
        again = await office.post("/v1/staff/grants", order(person.number), key="g-1")
        assert (again.status_code, again.json()) == (first.status_code, first.json())
        assert again.headers["idempotent-replayed"] == "true"
        assert await office.books.balance(person.wallet) == 500

    async def test_the_same_key_for_another_grant_is_422(self, office: Office) -> None:
        person = await office.books.resident()
        await office.post("/v1/staff/grants", order(person.number), key="g-1")
        r = await office.post("/v1/staff/grants", order(person.number, points=10), key="g-1")
        refused(r, 422, "idempotency-key-reused")
        assert await office.books.balance(person.wallet) == 500


class TestRoles:
    @pytest.mark.parametrize("role", ["resident", "shop", "auditor"])
    async def test_only_staff_and_admins_may_grant(self, office: Office, role: str) -> None:
        person = await office.books.resident()
        r = await office.post("/v1/staff/grants", order(person.number), role=role, key="g")
        refused(r, 403, "not-permitted")
        assert await office.books.balance(person.wallet) == 0

    async def test_without_a_token_it_is_401(self, office: Office) -> None:
        r = await office.client.post("/v1/staff/grants", json=order("1"),
                                     headers={"Idempotency-Key": "g"})  # fmt: skip
        refused(r, 401, "unauthenticated")
