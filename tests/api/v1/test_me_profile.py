"""The resident's own header (GET /v1/me), the one-time payment code, and who may call
the resident routes at all."""

from __future__ import annotations

import base64
import io
from datetime import datetime, timedelta

import pytest
import zxingcpp
from httpx import AsyncClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from currency.payments import codes
from currency.settings import Settings
from tests.api.v1.test_me_support import new_key, open_town, refused, staff_headers

ROUTES = [
    ("GET", "/v1/me"),
    ("GET", "/v1/me/wallet"),
    ("GET", "/v1/me/history"),
    ("POST", "/v1/me/payment-token"),
    ("POST", "/v1/me/payments"),
    ("POST", "/v1/me/transfers"),
]


def decoded(data_url: str, prefix: str) -> bytes:
    assert data_url.startswith(prefix)
    return base64.b64decode(data_url.removeprefix(prefix))


class TestWhoAmI:
    async def test_a_resident_sees_their_own_number_name_district_and_level(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        r = await town.get("/v1/me")
        assert r.status_code == 200, r.text
        assert r.json() == {
            "resident_number": town.person.number,
            "name": f"テスト 太郎{town.person.number[-3:]}",
            "district": "佐伯",
            "verification_level": 1,
        }

    async def test_two_residents_each_see_only_themselves(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        other = await town.another()
        mine, theirs = (await town.get("/v1/me")).json(), (await other.get("/v1/me")).json()
        assert mine["resident_number"] == town.person.number
        assert theirs["resident_number"] == other.person.number


class TestPaymentToken:
    async def test_the_code_comes_as_text_svg_and_png_and_lasts_two_minutes(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        before = deps.now()
        r = await town.post("/v1/me/payment-token")
        assert r.status_code == 201, r.text
        assert r.headers["cache-control"] == "no-store"
        body = r.json()
        assert body["token"].startswith("MGP1.")
        expires_at = datetime.fromisoformat(body["expires_at"])
        assert before + timedelta(seconds=119) < expires_at <= deps.now() + timedelta(seconds=120)
        assert b"<svg" in decoded(body["qr_svg"], "data:image/svg+xml;base64,")
        png = Image.open(io.BytesIO(decoded(body["qr_png"], "data:image/png;base64,")))
        assert [found.text for found in zxingcpp.read_barcodes(png)] == [body["token"]]

    async def test_a_shop_can_charge_the_code_once(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        shop = await town.books.shop()
        token = (await town.post("/v1/me/payment-token")).json()["token"]
        await codes.pay_with_token(
            session, currency_id=town.books.currency_id, token_text=token, merchant_id=shop.id,
            amount=400, actor="test", now=deps.now(),
        )  # fmt: skip
        assert await town.balance() == 600
        assert await town.books.balance(shop.account_id) == 400

    async def test_each_request_gives_a_new_code(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        first = (await town.post("/v1/me/payment-token")).json()["token"]
        second = (await town.post("/v1/me/payment-token")).json()["token"]
        assert first != second


class TestWhoMayAsk:
    @pytest.mark.parametrize(("method", "path"), ROUTES)
    async def test_a_staff_token_is_refused_with_403(
        self, client: AsyncClient, session: AsyncSession, settings: Settings, method: str,
        path: str,
    ) -> None:  # fmt: skip
        town = await open_town(client, session, settings)
        headers = {**await staff_headers(client, town.books), "Idempotency-Key": new_key()}
        body = {"to_resident_number": town.person.number, "amount": 1}
        r = await client.request(method, path, headers=headers, json=body)
        refused(r, 403, "not-permitted")

    @pytest.mark.parametrize(("method", "path"), ROUTES)
    async def test_without_a_token_the_answer_is_401(
        self, client: AsyncClient, method: str, path: str
    ) -> None:
        r = await client.request(method, path, headers={"Idempotency-Key": new_key()})
        refused(r, 401, "unauthenticated")
        assert r.headers["www-authenticate"] == "Bearer"
