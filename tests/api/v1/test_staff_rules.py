"""Rule versions over HTTP: drafted by one staff member, decided by another."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.staff_support import Office, open_office, refused

PROGRAMME: dict[str, Any] = {
    "kind": "point_programme",
    "code": "clean",
    "name": {"ja": "清掃ボランティア", "en": "Clean-up volunteers"},
    "activities": [{"code": "cleanup", "name": {"ja": "ごみ拾い", "en": "Litter"}, "points": 500}],
    "budget": 100_000,
}


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    return await open_office(client, session, settings)


def draft(rule: dict[str, Any] = PROGRAMME, **more: Any) -> dict[str, Any]:
    starts_at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    return {"rule": rule, "starts_at": starts_at, "note": "令和8年度", **more}


async def drafted(office: Office) -> int:
    r = await office.post("/v1/staff/rules", draft())
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


class TestDraft:
    async def test_a_draft_is_listed_with_its_author_and_not_yet_in_force(
        self, office: Office
    ) -> None:
        rule_id = await drafted(office)
        r = await office.get("/v1/staff/rules", kind="point_programme")
        assert r.status_code == 200
        [shown] = r.json()
        assert (shown["id"], shown["status"], shown["version"]) == (rule_id, "draft", 1)
        assert shown["drafted_by"] == office.ids["staff"] and shown["decided_by"] is None
        assert shown["rule"]["budget"] == 100_000

    async def test_a_bad_rule_is_422_naming_the_field(self, office: Office) -> None:
        r = await office.post("/v1/staff/rules", draft({**PROGRAMME, "budget": -5}))
        body = refused(r, 422, "validation")
        assert any(err["loc"][-1] == "budget" for err in body["errors"]), body
        r = await office.post("/v1/staff/rules", draft({**PROGRAMME, "kind": "lottery"}))
        refused(r, 422, "validation")
        assert (await office.get("/v1/staff/rules")).json() == []

    async def test_a_start_without_a_time_zone_is_refused(self, office: Office) -> None:
        r = await office.post("/v1/staff/rules", draft(starts_at="2026-04-01T00:00:00"))
        refused(r, 422, "validation")

    async def test_a_number_is_not_taken_for_a_unix_time(self, office: Office) -> None:
        for number in (0, "1700000000"):
            r = await office.post("/v1/staff/rules", draft(starts_at=number))
            refused(r, 422, "validation")
        assert (await office.get("/v1/staff/rules")).json() == []


class TestDecide:
    async def test_another_staff_member_approves_and_it_is_in_force(self, office: Office) -> None:
        rule_id = await drafted(office)
        r = await office.post(f"/v1/staff/rules/{rule_id}/approve", role="admin")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["decided_by"]) == ("approved", office.ids["admin"])
        person = await office.books.resident()
        grant = {"resident_number": person.number, "programme": "clean", "activity": "cleanup"}
        assert (await office.post("/v1/staff/grants", grant, key="g")).status_code == 201

    async def test_the_author_may_not_approve_their_own_rule(self, office: Office) -> None:
        rule_id = await drafted(office)
        r = await office.post(f"/v1/staff/rules/{rule_id}/approve")
        assert "someone other" in refused(r, 403, "not-permitted")["detail"]

    async def test_a_decided_rule_cannot_be_decided_again(self, office: Office) -> None:
        rule_id = await drafted(office)
        r = await office.post(f"/v1/staff/rules/{rule_id}/reject", {"reason": "予算超過"},
                              role="admin")  # fmt: skip
        assert (r.status_code, r.json()["status"], r.json()["reason"]) == (
            200, "rejected", "予算超過",
        )  # fmt: skip
        refused(await office.post(f"/v1/staff/rules/{rule_id}/approve", role="admin"), 409,
                "already-done")  # fmt: skip

    async def test_a_rejection_needs_a_reason_and_an_unknown_rule_is_404(
        self, office: Office
    ) -> None:
        rule_id = await drafted(office)
        r = await office.post(f"/v1/staff/rules/{rule_id}/reject", {"reason": ""}, role="admin")
        refused(r, 422, "validation")
        refused(await office.post("/v1/staff/rules/999999/approve", role="admin"), 404,
                "not-found")  # fmt: skip

    async def test_an_id_past_any_rule_is_refused_not_a_server_error(self, office: Office) -> None:
        for decision, body in (("approve", None), ("reject", {"reason": "いいえ"})):
            r = await office.post(f"/v1/staff/rules/{2**70}/{decision}", body, role="admin")
            refused(r, 422, "validation")


class TestRoles:
    async def test_an_auditor_reads_the_rules_but_may_not_draft_or_decide(
        self, office: Office
    ) -> None:
        rule_id = await drafted(office)
        assert len((await office.get("/v1/staff/rules", role="auditor")).json()) == 1
        refused(await office.post("/v1/staff/rules", draft(), role="auditor"), 403,
                "not-permitted")  # fmt: skip
        r = await office.post(f"/v1/staff/rules/{rule_id}/approve", role="auditor")
        refused(r, 403, "not-permitted")

    @pytest.mark.parametrize("role", ["resident", "shop"])
    async def test_residents_and_shops_see_no_rule_history(self, office: Office, role: str) -> None:
        refused(await office.get("/v1/staff/rules", role=role), 403, "not-permitted")

    async def test_without_a_token_it_is_401(self, office: Office) -> None:
        refused(await office.client.get("/v1/staff/rules"), 401, "unauthenticated")
