"""Looking residents up at the counter, over HTTP: by number as typed, by name or kana in
any width, a page at a time, with no more personal data than a clerk needs."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.card_support import audit_rows
from tests.api.v1.staff_support import Office, open_office, refused

PEOPLE = [
    {"resident_number": "S-100-0001", "name": "佐伯 花子", "name_kana": "サイキ ハナコ",
     "district": "蒲江"},
    {"resident_number": "S-100-0002", "name": "ＳＡＩＫＩ Ｔａｒｏ", "name_kana": None,
     "district": "佐伯"},
    {"resident_number": "S-100-0003", "name": "大分 一郎", "name_kana": "ｵｵｲﾀ ｲﾁﾛｳ",
     "district": "佐伯"},
]  # fmt: skip


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    office = await open_office(client, session, settings)
    for person in PEOPLE:
        r = await office.post("/v1/staff/residents", {**person, "birth_year": 1950})
        assert r.status_code == 201, r.text
    return office


async def found(office: Office, role: str = "staff", **params: Any) -> list[str]:
    r = await office.get("/v1/staff/residents", role=role, **params)
    assert r.status_code == 200, r.text
    return [item["resident_number"] for item in r.json()["items"]]


class TestSearch:
    async def test_a_number_typed_in_full_width_with_hyphens_finds_exactly_one(
        self, office: Office
    ) -> None:
        assert await found(office, q="ｓ－１００－０００１") == ["S1000001"]
        assert await found(office, q="S1000") == [], "a number matches whole, never a prefix"

    @pytest.mark.parametrize(
        ("q", "who"),
        [
            ("佐伯花子", "S1000001"),  # without the blank
            ("はなこ", "S1000001"),  # hiragana finds the katakana kana
            ("ﾊﾅｺ", "S1000001"),  # half-width kana
            ("saiki", "S1000002"),  # full-width Latin, any case
            ("イチロウ", "S1000003"),  # the kana was stored half-width
        ],
    )
    async def test_names_and_kana_match_in_any_width_and_case(
        self, office: Office, q: str, who: str
    ) -> None:
        assert await found(office, q=q) == [who]

    async def test_wildcards_are_plain_characters(self, office: Office) -> None:
        assert await found(office, q="%") == [] and await found(office, q="_") == []

    async def test_district_and_status_narrow_the_list(self, office: Office) -> None:
        assert await found(office, district="佐伯") == ["S1000002", "S1000003"]
        path = "/v1/staff/residents/S1000003/status"
        await office.post(path, {"status": "suspended", "reason": "本人の申し出"})
        assert await found(office, status="suspended") == ["S1000003"]
        assert await found(office, district="佐伯", status="active") == ["S1000002"]

    async def test_a_result_holds_what_the_counter_needs_and_no_more(self, office: Office) -> None:
        r = await office.get("/v1/staff/residents", q="花子")
        [item] = r.json()["items"]
        assert item == {
            "resident_number": "S1000001", "name": "佐伯 花子", "name_kana": "サイキ ハナコ",
            "district": "蒲江", "status": "active", "verification_level": 1,
            "card_status": None,
        }  # fmt: skip

    async def test_pages_follow_the_cursor_to_the_end(self, office: Office) -> None:
        seen: list[str] = []
        cursor: str | None = None
        for _ in range(5):
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = (await office.get("/v1/staff/residents", **params)).json()
            seen += [i["resident_number"] for i in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == ["S1000001", "S1000002", "S1000003"]

    async def test_a_cursor_not_of_ours_is_422(self, office: Office) -> None:
        r = await office.get("/v1/staff/residents", cursor="abc")
        refused(r, 422, "invalid-operation")


class TestWhoLookedUpWhom:
    async def test_opening_a_resident_is_audited_and_a_list_is_not(self, office: Office) -> None:
        await found(office, q="花子")
        assert not [a for a in await audit_rows(office, "resident:S1000001")
                    if a["action"] == "resident.viewed"]  # fmt: skip
        assert (
            await office.get("/v1/staff/residents/s-100-0001", role="auditor")
        ).status_code == 200
        [viewed] = [a for a in await audit_rows(office, "resident:S1000001")
                    if a["action"] == "resident.viewed"]  # fmt: skip
        assert viewed["actor"] == f"staff:{office.ids['auditor']}"

    async def test_the_auditor_searches_and_shops_and_residents_may_not(
        self, office: Office
    ) -> None:
        assert await found(office, role="auditor", q="花子") == ["S1000001"]
        refused(await office.get("/v1/staff/residents", role="shop"), 403, "not-permitted")
        refused(await office.get("/v1/staff/residents", role="resident"), 403, "not-permitted")
        refused(await office.client.get("/v1/staff/residents"), 401, "unauthenticated")
