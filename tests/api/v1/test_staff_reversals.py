"""Reversals over HTTP: one staff member asks, another approves or rejects."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.staff_support import Office, open_office, refused


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    return await open_office(client, session, settings)


async def charged(office: Office) -> tuple[int, int]:
    """A resident's wallet with one charge of ¥2,000, and that charge's operation."""
    person = await office.books.resident()
    posted = await office.books.charge(person.wallet, 2_000)
    return person.wallet, posted.operation_id


async def asked(office: Office, operation_id: int) -> int:
    r = await office.post("/v1/staff/reversals", {"operation_id": operation_id,
                                                  "reason": "二重入金"})  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


class TestReversals:
    async def test_a_request_waits_and_another_staff_member_reverses_it(
        self, office: Office
    ) -> None:
        wallet, operation_id = await charged(office)
        request_id = await asked(office, operation_id)
        [waiting] = (await office.get("/v1/staff/reversals")).json()
        assert (waiting["id"], waiting["status"], waiting["amount"]) == (request_id, "pending",
                                                                          2_000)  # fmt: skip
        assert await office.books.balance(wallet) == 2_000
        r = await office.post(f"/v1/staff/reversals/{request_id}/approve", role="admin")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "approved" and r.json()["reversal_operation_id"]
        assert await office.books.balance(wallet) == 0
        assert (await office.get("/v1/staff/reversals")).json() == []

    async def test_the_one_who_asked_may_not_approve(self, office: Office) -> None:
        wallet, operation_id = await charged(office)
        request_id = await asked(office, operation_id)
        r = await office.post(f"/v1/staff/reversals/{request_id}/approve")
        assert "someone other" in refused(r, 403, "not-permitted")["detail"]
        assert await office.books.balance(wallet) == 2_000

    async def test_a_rejected_request_reverses_nothing_and_cannot_be_approved(
        self, office: Office
    ) -> None:
        wallet, operation_id = await charged(office)
        request_id = await asked(office, operation_id)
        r = await office.post(f"/v1/staff/reversals/{request_id}/reject",
                              {"reason": "確認済み"}, role="admin")  # fmt: skip
        assert (r.status_code, r.json()["decision_reason"]) == (200, "確認済み")
        r = await office.post(f"/v1/staff/reversals/{request_id}/approve", role="admin")
        refused(r, 409, "already-done")
        assert await office.books.balance(wallet) == 2_000

    async def test_asking_twice_for_one_operation_is_409(self, office: Office) -> None:
        _, operation_id = await charged(office)
        await asked(office, operation_id)
        r = await office.post("/v1/staff/reversals", {"operation_id": operation_id,
                                                      "reason": "again"})  # fmt: skip
        refused(r, 409, "already-done")

    async def test_an_unknown_operation_or_request_is_404(self, office: Office) -> None:
        r = await office.post("/v1/staff/reversals", {"operation_id": 99_999_999, "reason": "x"})
        refused(r, 404, "not-found")
        refused(await office.post("/v1/staff/reversals/99999/approve", role="admin"), 404,
                "not-found")  # fmt: skip

    async def test_an_id_past_any_request_is_refused_not_a_server_error(
        self, office: Office
    ) -> None:
        for decision, body in (("approve", None), ("reject", {"reason": "いいえ"})):
            r = await office.post(f"/v1/staff/reversals/{2**70}/{decision}", body, role="admin")
            refused(r, 422, "validation")


class TestRoles:
    async def test_an_auditor_sees_the_queue_but_may_not_ask_or_decide(
        self, office: Office
    ) -> None:
        wallet, operation_id = await charged(office)
        request_id = await asked(office, operation_id)
        assert len((await office.get("/v1/staff/reversals", role="auditor")).json()) == 1
        r = await office.post("/v1/staff/reversals", {"operation_id": operation_id,
                                                      "reason": "x"}, role="auditor")  # fmt: skip
        refused(r, 403, "not-permitted")
        r = await office.post(f"/v1/staff/reversals/{request_id}/approve", role="auditor")
        refused(r, 403, "not-permitted")
        assert await office.books.balance(wallet) == 2_000

    @pytest.mark.parametrize("role", ["resident", "shop"])
    async def test_residents_and_shops_may_not_see_the_queue(
        self, office: Office, role: str
    ) -> None:
        refused(await office.get("/v1/staff/reversals", role=role), 403, "not-permitted")

    async def test_without_a_token_it_is_401(self, office: Office) -> None:
        refused(await office.client.get("/v1/staff/reversals"), 401, "unauthenticated")
