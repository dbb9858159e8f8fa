"""Residents and their cards at the city counter, over HTTP."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.staff_support import Office, open_office, refused
from tests.currency.auth.support import PIN

PERSON = {"resident_number": "saiki-0042", "name": "佐伯 花子", "name_kana": "サイキ ハナコ",
          "district": "蒲江", "birth_year": 1948, "has_smartphone": False}  # fmt: skip


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    return await open_office(client, session, settings)


async def enrolled(office: Office) -> str:
    r = await office.post("/v1/staff/residents", PERSON)
    assert r.status_code == 201, r.text
    return str(r.json()["resident_number"])


class TestResidents:
    async def test_enrolment_gives_an_empty_wallet_at_level_one(self, office: Office) -> None:
        r = await office.post("/v1/staff/residents", PERSON)
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["resident_number"], body["verification_level"]) == ("SAIKI0042", 1)
        assert body["wallet"] == {"balance": 0, "spendable": {"coin": 0, "point": 0}, "lots": []}
        assert body["card"] is None and body["pin_set"] is False

    async def test_a_number_enrolled_twice_is_409(self, office: Office) -> None:
        await enrolled(office)
        refused(await office.post("/v1/staff/residents", PERSON), 409, "already-done")

    async def test_an_impossible_birth_year_is_refused(self, office: Office) -> None:
        r = await office.post("/v1/staff/residents", {**PERSON, "birth_year": 1800})
        assert "1800" in refused(r, 422, "invalid-operation")["detail"]

    async def test_the_profile_shows_the_wallet(self, office: Office) -> None:
        person = await office.books.resident()
        await office.books.charge(person.wallet, 1_200)
        r = await office.get(f"/v1/staff/residents/{person.number}")
        assert r.status_code == 200, r.text
        assert r.json()["wallet"]["balance"] == 1_200

    async def test_an_unknown_number_is_404(self, office: Office) -> None:
        refused(await office.get("/v1/staff/residents/NOBODY1"), 404, "not-found")

    async def test_verification_raises_the_level_once(self, office: Office) -> None:
        number = await enrolled(office)
        path = f"/v1/staff/residents/{number}/verify"
        r = await office.post(path, {"method": "運転免許証"})
        assert (r.status_code, r.json()["verification_level"]) == (200, 2)
        refused(await office.post(path, {"method": "運転免許証"}), 409, "already-done")

    async def test_suspending_blocks_the_wallet_and_restoring_opens_it(
        self, office: Office
    ) -> None:
        person = await office.books.resident()
        path = f"/v1/staff/residents/{person.number}/status"
        r = await office.post(path, {"status": "suspended", "reason": "本人の申し出"})
        assert (r.status_code, r.json()["status"]) == (200, "suspended")
        charge = {"resident_number": person.number, "yen": 100, "channel": "counter"}
        r = await office.post("/v1/staff/charges", charge, key="c")
        refused(r, 409, "account-unavailable")
        refused(await office.post(path, {"status": "suspended", "reason": "x"}), 409,
                "already-done")  # fmt: skip
        assert (await office.post(path, {"status": "active", "reason": "戻り"})).status_code == 200

    async def test_a_status_change_needs_a_reason(self, office: Office) -> None:
        person = await office.books.resident()
        path = f"/v1/staff/residents/{person.number}/status"
        refused(await office.post(path, {"status": "suspended", "reason": ""}), 422, "validation")


class TestCards:
    async def test_a_card_comes_with_its_qr_and_a_sheet_to_print(self, office: Office) -> None:
        number = await enrolled(office)
        r = await office.post(f"/v1/staff/residents/{number}/cards")
        assert r.status_code == 201, r.text
        body = r.json()
        assert len(body["card_number"].replace(" ", "")) == 16
        assert body["sheet_svg"].startswith("<svg") and "佐伯 花子" in body["sheet_svg"]
        shown = (await office.get(f"/v1/staff/residents/{number}")).json()["card"]
        assert shown == {"card_number": body["card_number"], "status": "active",
                         "block_reason": None}  # fmt: skip

    async def test_a_second_active_card_is_refused(self, office: Office) -> None:
        number = await enrolled(office)
        await office.post(f"/v1/staff/residents/{number}/cards")
        r = await office.post(f"/v1/staff/residents/{number}/cards")
        assert "block the old card" in refused(r, 409, "already-done")["detail"]

    async def test_a_blocked_card_can_be_replaced_but_not_blocked_again(
        self, office: Office
    ) -> None:
        number = await enrolled(office)
        printed = (await office.post(f"/v1/staff/residents/{number}/cards")).json()["card_number"]
        path = f"/v1/staff/cards/{printed}/block"
        r = await office.post(path, {"reason": "紛失"})
        assert (r.status_code, r.json()) == (200, {"done": "blocked"})
        refused(await office.post(path, {"reason": "紛失"}), 409, "already-done")
        assert (await office.post(f"/v1/staff/residents/{number}/cards")).status_code == 201

    async def test_blocking_an_unknown_card_is_404(self, office: Office) -> None:
        r = await office.post("/v1/staff/cards/1000000000000000/block", {"reason": "紛失"})
        refused(r, 404, "not-found")

    async def test_a_new_pin_is_set_and_a_weak_one_refused(self, office: Office) -> None:
        number = await enrolled(office)
        path = f"/v1/staff/residents/{number}/pin"
        assert (await office.post(path, {"pin": PIN})).json() == {"done": "pin-set"}
        assert (await office.get(f"/v1/staff/residents/{number}")).json()["pin_set"] is True
        assert "guess" in refused(await office.post(path, {"pin": "1111"}), 422,
                                  "invalid-operation")["detail"]  # fmt: skip


class TestRoles:
    @pytest.mark.parametrize("role", ["resident", "shop"])
    async def test_residents_and_shops_may_not_look_up_a_resident(
        self, office: Office, role: str
    ) -> None:
        person = await office.books.resident()
        r = await office.get(f"/v1/staff/residents/{person.number}", role=role)
        refused(r, 403, "not-permitted")

    async def test_an_auditor_may_look_but_not_change(self, office: Office) -> None:
        person = await office.books.resident()
        assert (await office.get(f"/v1/staff/residents/{person.number}",
                                 role="auditor")).status_code == 200  # fmt: skip
        for path, body in [
            ("/v1/staff/residents", PERSON),
            (f"/v1/staff/residents/{person.number}/verify", {"method": "x"}),
            (f"/v1/staff/residents/{person.number}/status", {"status": "suspended",
                                                              "reason": "x"}),
            (f"/v1/staff/residents/{person.number}/cards", None),
            (f"/v1/staff/residents/{person.number}/pin", {"pin": PIN}),
            ("/v1/staff/cards/1000000000000000/block", {"reason": "x"}),
        ]:  # fmt: skip
            refused(await office.post(path, body, role="auditor"), 403, "not-permitted")
        assert (await office.get(f"/v1/staff/residents/{person.number}")).json()["status"] == (
            "active"
        )

    async def test_without_a_token_it_is_401(self, office: Office) -> None:
        refused(await office.client.get("/v1/staff/residents/X123"), 401, "unauthenticated")
        r = await office.client.post("/v1/staff/residents", json=PERSON)
        refused(r, 401, "unauthenticated")
