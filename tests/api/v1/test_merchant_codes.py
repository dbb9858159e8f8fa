"""Codes a shop shows: a one-time code for a fixed amount, and the counter poster."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import zxingcpp
from httpx import AsyncClient
from PIL import Image, ImageDraw
from sqlalchemy.ext.asyncio import AsyncSession

from currency.payments import codes
from currency.settings import Settings
from tests.api.v1.test_merchant_support import (
    Till,
    clerk_of,
    open_till,
    problem,
    resident_headers,
)


@pytest.fixture
async def till(client: AsyncClient, session: AsyncSession, settings: Settings) -> Till:
    """A shop whose clerk is signed in."""
    owner = await open_till(client, session, settings)
    owner.headers = await clerk_of(owner)
    return owner


def scanned(png: bytes) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return str(found.text)


def scanned_svg(svg: str) -> str:
    """Draw the symbol's runs of dark modules (M x y h w …) and scan it like a phone."""
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg)
    size = 10 * (max(int(x) + int(w) for x, _, w in runs) + 4)
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w in ((int(a), int(b), int(c)) for a, b, c in runs):
        draw.rectangle((10 * x, 10 * y, 10 * (x + w) - 1, 10 * (y + 1) - 1), fill=0)
    [found] = zxingcpp.read_barcodes(image)
    return str(found.text)


def data(url: str, prefix: str) -> bytes:
    assert url.startswith(prefix)
    return base64.b64decode(url.removeprefix(prefix))


class TestPaymentRequest:
    async def test_the_code_on_the_screen_is_paid_once_by_a_resident(self, till: Till) -> None:
        r = await till.client.post(
            "/v1/merchant/payment-requests", json={"amount": 850}, headers=till.headers
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["text"].startswith("MGR1.") and body["amount"] == 850
        assert scanned(data(body["qr_png"], "data:image/png;base64,")) == body["text"]
        assert data(body["qr_svg"], "data:image/svg+xml;base64,").startswith(b"<svg")
        expires = datetime.fromisoformat(body["expires_at"])
        assert timedelta(minutes=4) < expires - datetime.now(UTC) <= timedelta(minutes=5)
        payer = await till.customer(coins=2_000)
        await codes.pay_request(
            till.books.session, currency_id=till.books.currency_id, request_text=body["text"],
            wallet_account_id=payer.wallet, actor="resident:1", now=datetime.now(UTC),
            secret=till.settings.secret_key,
        )  # fmt: skip
        assert await till.balance() == 850

    async def test_it_needs_no_idempotency_key_and_each_call_makes_a_new_code(
        self, till: Till
    ) -> None:
        texts = [
            (
                await till.client.post(
                    "/v1/merchant/payment-requests", json={"amount": 850}, headers=till.headers
                )
            ).json()["text"]
            for _ in range(2)
        ]
        assert texts[0] != texts[1]

    @pytest.mark.parametrize("amount", [0, -1, 10_000_001, "850", 8.5, True, None])
    async def test_a_bad_amount_is_422(self, till: Till, amount: object) -> None:
        r = await till.client.post(
            "/v1/merchant/payment-requests", json={"amount": amount}, headers=till.headers
        )
        problem(r, 422, "validation")

    async def test_only_the_shops_staff_make_codes(self, till: Till) -> None:
        r = await till.client.post(
            "/v1/merchant/payment-requests",
            json={"amount": 850},
            headers=await resident_headers(till),
        )
        problem(r, 403, "not-permitted")
        problem(
            await till.client.post("/v1/merchant/payment-requests", json={"amount": 850}),
            401,
            "unauthenticated",
        )


class TestPoster:
    async def test_the_poster_names_the_shop_and_its_code_leads_to_it(self, till: Till) -> None:
        r = await till.client.get("/v1/merchant/poster", headers=till.headers)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("image/svg+xml")
        svg = r.text
        shop = await codes.common.shop(
            till.books.session, currency_id=till.books.currency_id, merchant_id=till.merchant_id
        )
        assert shop.name in svg and shop.district in svg and "テストコイン" in svg
        link = scanned_svg(svg)
        parts = urlsplit(link)
        assert link.startswith(till.settings.base_url)
        code, mac = codes.read_shop_link(link)
        assert code == shop.code and parts.path.endswith(f"/m/{shop.code}")
        codes.check_shop_link(code, mac, till.settings.secret_key)  # genuine: no error

    async def test_a_resident_gets_no_poster(self, till: Till) -> None:
        r = await till.client.get("/v1/merchant/poster", headers=await resident_headers(till))
        problem(r, 403, "not-permitted")
        problem(await till.client.get("/v1/merchant/poster"), 401, "unauthenticated")
