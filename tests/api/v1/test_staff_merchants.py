"""Shops at the city office over HTTP: search, onboard, change, bank account, users, poster."""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.settings import Settings
from tests.api.v1.staff_support import Office, open_office, refused

SHOP = {"name": "上浦 しおさい鮮魚店", "name_kana": "シオサイセンギョテン", "district": "上浦",
        "category": "食料品", "tags": ["small-business", "food"]}  # fmt: skip
BANK = {"bank_code": "0184", "bank_name_kana": "ｵｵｲﾀ", "branch_code": "301",
        "branch_name_kana": "ｻｲｷ", "account_type": 1, "account_number": "7654321",
        "holder_kana": "シオサイセンギョテン"}  # fmt: skip


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    return await open_office(client, session, settings)


async def onboarded(office: Office, **overrides: Any) -> dict[str, Any]:
    r = await office.post("/v1/staff/merchants", {**SHOP, **overrides})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def send(office: Office, method: str, path: str, body: Any, role: str = "staff") -> Response:
    headers = await office.sign_in(role)
    return await office.client.request(method, path, json=body, headers=headers)


class TestOnboarding:
    async def test_a_shop_is_onboarded_active_with_the_fee_in_force(self, office: Office) -> None:
        body = await onboarded(office)
        assert (body["name"], body["status"], body["fee_rate_bp"]) == (SHOP["name"], "active", 150)
        r = await office.get(f"/v1/staff/merchants/{body['code']}", role="auditor")
        assert r.status_code == 200 and r.json() == body

    async def test_a_taken_code_is_refused(self, office: Office) -> None:
        await onboarded(office, code="KAMIURA-1")
        r = await office.post("/v1/staff/merchants", {**SHOP, "code": "KAMIURA-1"})
        assert "taken" in refused(r, 422, "invalid-operation")["detail"]

    async def test_an_unknown_field_or_missing_name_is_422(self, office: Office) -> None:
        refused(await office.post("/v1/staff/merchants", {**SHOP, "fee": 1}), 422, "validation")
        refused(await office.post("/v1/staff/merchants", {**SHOP, "name": ""}), 422, "validation")

    async def test_yes_or_no_is_true_or_false_not_a_number(self, office: Office) -> None:
        r = await office.post("/v1/staff/merchants", {**SHOP, "is_public_body": 0})
        refused(r, 422, "validation")
        assert r.json()["errors"][0]["loc"][-1] == "is_public_body"

    @pytest.mark.parametrize(("role", "status"), [("auditor", 403), ("resident", 403),
                                                   ("shop", 403)])  # fmt: skip
    async def test_only_staff_and_admin_onboard(
        self, office: Office, role: str, status: int
    ) -> None:
        refused(await office.post("/v1/staff/merchants", SHOP, role=role), status, "not-permitted")
        r = await office.get("/v1/staff/merchants", q="しおさい")
        assert r.json()["items"] == []

    async def test_admin_onboards_too_and_no_token_is_401(self, office: Office) -> None:
        r = await office.post("/v1/staff/merchants", SHOP, role="admin")
        assert r.status_code == 201, r.text
        refused(await office.client.get("/v1/staff/merchants"), 401, "unauthenticated")


class TestSearch:
    async def test_by_name_district_and_status_page_by_page(self, office: Office) -> None:
        fish = await onboarded(office)
        await onboarded(office, name="しろやま珈琲", name_kana="シロヤマ", district="佐伯")
        r = await office.get("/v1/staff/merchants", role="auditor", q="しおさい")
        assert [s["code"] for s in r.json()["items"]] == [fish["code"]]
        r = await office.get("/v1/staff/merchants", district="佐伯", status="active")
        assert [s["name"] for s in r.json()["items"]] == ["しろやま珈琲"]
        assert r.json()["next_cursor"] is None

    async def test_a_bad_cursor_is_422(self, office: Office) -> None:
        refused(await office.get("/v1/staff/merchants", cursor="abc"), 422, "validation")


class TestChange:
    async def test_suspending_needs_a_reason_and_is_audited(self, office: Office) -> None:
        shop = await onboarded(office)
        path = f"/v1/staff/merchants/{shop['code']}"
        refused(await send(office, "PATCH", path, {"status": "suspended"}), 422,
                "invalid-operation")  # fmt: skip
        r = await send(office, "PATCH", path, {"status": "suspended", "reason": "調査中"})
        assert r.status_code == 200 and r.json()["status"] == "suspended"
        rows = await audit.entries(
            office.books.session, currency_id=office.books.currency_id,
            target=f"merchant:{shop['code']}",
        )  # fmt: skip
        assert rows[0]["action"] == "merchant.status" and rows[0]["reason"] == "調査中"

    async def test_the_auditor_cannot_change_and_an_unknown_code_is_404(
        self, office: Office
    ) -> None:
        shop = await onboarded(office)
        path = f"/v1/staff/merchants/{shop['code']}"
        refused(await send(office, "PATCH", path, {"name": "x"}, "auditor"), 403, "not-permitted")
        refused(await send(office, "PATCH", "/v1/staff/merchants/NOSUCH", {"name": "x"}), 404,
                "not-found")  # fmt: skip

    async def test_null_for_a_required_field_is_refused(self, office: Office) -> None:
        shop = await onboarded(office)
        r = await send(office, "PATCH", f"/v1/staff/merchants/{shop['code']}", {"name": None})
        refused(r, 422, "invalid-operation")


class TestBankAccount:
    async def test_answered_masked_and_never_audited_in_full(self, office: Office) -> None:
        shop = await onboarded(office)
        r = await send(office, "PUT", f"/v1/staff/merchants/{shop['code']}/bank-account", BANK)
        assert r.status_code == 200, r.text
        assert r.json()["account_number"] == "***4321"
        assert "7654321" not in r.text
        rows = await audit.entries(office.books.session, currency_id=office.books.currency_id)
        assert "7654321" not in json.dumps([dict(x) for x in rows], default=str)

    async def test_a_holder_name_in_kanji_is_refused_in_words(self, office: Office) -> None:
        shop = await onboarded(office)
        body = {**BANK, "holder_kana": "潮騒鮮魚店"}
        r = await send(office, "PUT", f"/v1/staff/merchants/{shop['code']}/bank-account", body)
        assert "kana" in refused(r, 422, "invalid-operation")["detail"]

    async def test_a_string_account_type_is_422(self, office: Office) -> None:
        shop = await onboarded(office)
        body = {**BANK, "account_type": "1"}
        r = await send(office, "PUT", f"/v1/staff/merchants/{shop['code']}/bank-account", body)
        refused(r, 422, "validation")


class TestUsers:
    async def test_the_owner_signs_in_with_the_initial_password_shown_once(
        self, office: Office
    ) -> None:
        shop = await onboarded(office)
        r = await office.post(
            f"/v1/staff/merchants/{shop['code']}/users",
            {"role": "merchant_owner", "display_name": "潮 太郎"},
        )
        assert r.status_code == 201, r.text
        assert r.headers["cache-control"] == "no-store"
        made = r.json()
        login = {"username": made["username"], "password": made["initial_password"]}
        signed = await office.client.post("/v1/auth/login", json=login)
        assert signed.status_code == 200, signed.text
        rows = await audit.entries(office.books.session, currency_id=office.books.currency_id)
        assert made["initial_password"] not in json.dumps([dict(x) for x in rows], default=str)

    async def test_a_staff_role_cannot_be_given_to_a_shop_user(self, office: Office) -> None:
        shop = await onboarded(office)
        r = await office.post(
            f"/v1/staff/merchants/{shop['code']}/users",
            {"role": "city_admin", "display_name": "x"},
        )
        refused(r, 422, "validation")


class TestPoster:
    async def test_the_poster_carries_the_shops_name(self, office: Office) -> None:
        shop = await onboarded(office)
        r = await office.get(f"/v1/staff/merchants/{shop['code']}/poster", role="auditor")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("image/svg+xml")
        assert "しおさい鮮魚店" in r.text

    async def test_a_resident_gets_403(self, office: Office) -> None:
        shop = await onboarded(office)
        r = await office.get(f"/v1/staff/merchants/{shop['code']}/poster", role="resident")
        refused(r, 403, "not-permitted")
