"""The audit log and the settlements, for staff and auditors, over HTTP."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.staff_support import Office, open_office, refused
from tests.currency.settlement.test_payouts import settled_period


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    return await open_office(client, session, settings)


PERSON = {"resident_number": "A-100", "name": "佐伯 一郎", "district": "佐伯"}


class TestAudit:
    async def test_a_staff_action_is_in_the_log_under_its_target(self, office: Office) -> None:
        await office.post("/v1/staff/residents", PERSON)
        r = await office.get("/v1/staff/audit", role="auditor", target="resident:A100")
        assert r.status_code == 200, r.text
        [entry] = r.json()
        assert (entry["action"], entry["actor"]) == ("resident.enrol",
                                                     f"staff:{office.ids['staff']}")  # fmt: skip
        assert entry["after"]["name"] == "佐伯 一郎"

    async def test_the_newest_come_first_up_to_the_limit(self, office: Office) -> None:
        await office.post("/v1/staff/residents", PERSON)
        await office.post("/v1/staff/residents/A100/verify", {"method": "保険証"})
        [newest] = (await office.get("/v1/staff/audit", limit=1)).json()
        assert newest["action"] == "resident.verify"

    async def test_a_limit_out_of_range_is_422(self, office: Office) -> None:
        refused(await office.get("/v1/staff/audit", limit=0), 422, "validation")

    @pytest.mark.parametrize("role", ["resident", "shop"])
    async def test_residents_and_shops_may_not_read_the_log(
        self, office: Office, role: str
    ) -> None:
        refused(await office.get("/v1/staff/audit", role=role), 403, "not-permitted")

    async def test_without_a_token_it_is_401(self, office: Office) -> None:
        refused(await office.client.get("/v1/staff/audit"), 401, "unauthenticated")


class TestSettlements:
    async def test_the_period_lists_every_shops_settlement(
        self, office: Office, settings: Settings
    ) -> None:
        period_end, _, shops = await settled_period(office.books, settings, accounts=False)
        r = await office.get("/v1/staff/settlements", role="auditor", period=str(period_end))
        assert r.status_code == 200, r.text
        amounts = {row["merchant_id"]: row["amount"] for row in r.json()}
        assert amounts[shops[0].id] == 8_000 and amounts[shops[1].id] == 999

    async def test_a_period_not_settled_is_empty_and_a_bad_date_is_422(
        self, office: Office
    ) -> None:
        assert (await office.get("/v1/staff/settlements", period="2020-01-10")).json() == []
        refused(await office.get("/v1/staff/settlements", period="10/01"), 422, "validation")
        refused(
            await office.get("/v1/staff/settlements", period="0"), 422, "validation"
        )  # not 1970

    @pytest.mark.parametrize("role", ["resident", "shop"])
    async def test_residents_and_shops_may_not_see_the_citys_statement(
        self, office: Office, role: str
    ) -> None:
        r = await office.get("/v1/staff/settlements", role=role, period="2020-01-10")
        refused(r, 403, "not-permitted")
