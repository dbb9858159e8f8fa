"""Reports over HTTP: the dashboard, daily series and the base-date report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.settings import Settings
from tests.api.v1.staff_support import Office, open_office, refused
from tests.currency.reports.ledger_story import Story
from tests.currency.reports.test_rollups import catch_up, town_history


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    found = await open_office(client, session, settings)
    story = Story(found.books)
    await town_history(story, fold=False)
    await catch_up(story)
    return found


class TestDashboard:
    async def test_the_auditor_sees_todays_circulation_and_what_is_held(
        self, office: Office
    ) -> None:
        r = await office.get("/v1/staff/reports/dashboard", role="auditor")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["today"]["issued"] == 16_100 and body["today"]["settled"] == 2_030
        assert body["outstanding"] == {"coin": 12_100, "point": 0, "merchant": 1_870}
        assert len(body["series"]) == 90 and body["top_categories"][0]["category"] == "food"

    @pytest.mark.parametrize("role", ["resident", "shop"])
    async def test_residents_and_shops_may_not_see_it(self, office: Office, role: str) -> None:
        refused(await office.get("/v1/staff/reports/dashboard", role=role), 403, "not-permitted")

    async def test_without_a_token_it_is_401(self, office: Office) -> None:
        r = await office.client.get("/v1/staff/reports/dashboard")
        refused(r, 401, "unauthenticated")


class TestSeries:
    async def test_spending_by_district_over_a_range_of_days(self, office: Office) -> None:
        today = clock.today()
        r = await office.get(
            "/v1/staff/reports/series", measure="spent", by="district",
            **{"from": str(today - timedelta(days=7)), "to": str(today)},
        )  # fmt: skip
        assert r.status_code == 200, r.text
        by_district = {p["key"]: p["amount"] for p in r.json()}
        assert by_district == {"佐伯": 4_200, "蒲江": 0}  # the 蒲江 payment was reversed

    async def test_an_unknown_measure_is_422_in_words(self, office: Office) -> None:
        today = str(clock.today())
        r = await office.get(
            "/v1/staff/reports/series", measure="sales", **{"from": today, "to": today}
        )
        assert "There is no measure" in refused(r, 422, "invalid-operation")["detail"]


class TestBaseDate:
    async def test_a_day_that_has_not_ended_is_422(self, office: Office) -> None:
        r = await office.get("/v1/staff/reports/base-date", on=str(clock.today()))
        assert "has not ended yet" in refused(r, 422, "invalid-operation")["detail"]

    async def test_a_number_is_not_read_as_a_day_in_1970(self, office: Office) -> None:
        r = await office.get("/v1/staff/reports/base-date", on="0")
        assert "2026-11-25" in refused(r, 422, "validation")["errors"][0]["msg"]
        r = await office.get(
            "/v1/staff/reports/series", measure="payments", **{"from": "0", "to": "0"}
        )
        assert [e["loc"] for e in refused(r, 422, "validation")["errors"]] == [
            ["query", "from"],
            ["query", "to"],
        ]

    async def test_yesterdays_report_does_not_hold_todays_charges(self, office: Office) -> None:
        yesterday = clock.today() - timedelta(days=1)
        r = await office.get("/v1/staff/reports/base-date", role="auditor", on=str(yesterday))
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["on"], body["unused"], body["issued"]) == (str(yesterday), 0, 0)
        assert body["threshold"] == 10_000_000 and body["deposit_required"] == 0
