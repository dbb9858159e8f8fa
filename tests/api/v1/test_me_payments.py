"""POST /v1/me/payments: paying a shop whose code the resident scanned, by its printed
code and a typed amount, or by its one-time code for a fixed amount."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from currency.payments import codes
from currency.payments.codes import text
from currency.settings import Settings
from tests.api.v1.test_me_support import BAD_AMOUNTS, Town, new_key, open_town, refused
from tests.factories import Shop

PATH = "/v1/me/payments"


async def shop_request(town: Town, shop: Shop, amount: int, settings: Settings) -> str:
    """The text of the shop's one-time code for ``amount``, as the wallet scans it."""
    made = await codes.create_payment_request(
        town.books.session, currency_id=town.books.currency_id, merchant_id=shop.id,
        amount=amount, created_by=await town.books.staff(), secret=settings.secret_key,
        now=deps.now(),
    )  # fmt: skip
    return made.text


class TestPayByPrintedCode:
    async def test_the_resident_pays_the_typed_amount_and_sees_the_registered_shop(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        shop = await town.books.shop(district="蒲江")
        r = await town.post(PATH, {"merchant_code": shop.code, "amount": 350}, key=new_key())
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["amount"] == 350 and body["merchant"]["district"] == "蒲江"
        assert body["merchant"]["name"].startswith("テスト商店")
        assert set(body) == {"operation_id", "amount", "merchant", "created_at"}
        assert r.headers["idempotent-replayed"] == "false"
        assert await town.balance() == 650
        assert await town.books.balance(shop.account_id) == 350

    async def test_a_genuine_link_mac_is_accepted(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        shop = await town.books.shop()
        link = codes.shop_link(
            base_url="https://saiki.example", merchant_code=shop.code, secret=settings.secret_key
        )
        code, mac = codes.read_shop_link(link)
        body = {"merchant_code": code, "amount": 100, "link_mac": mac}
        assert (await town.post(PATH, body, key=new_key())).status_code == 201
        assert await town.balance() == 900

    async def test_an_altered_link_is_refused_and_nothing_is_charged(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        shop, other = await town.books.shop(), await town.books.shop()
        # a sticker with another shop's code over this shop's poster keeps the old MAC
        mac = text.shop_mac(settings.secret_key, shop.code)
        body = {"merchant_code": other.code, "amount": 100, "link_mac": mac}
        problem = refused(await town.post(PATH, body, key=new_key()), 422, "invalid-code")
        assert "not genuine" in problem["detail"]
        assert await town.balance() == 1_000

    async def test_an_unknown_shop_is_404(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        body = {"merchant_code": "NO-SUCH-SHOP", "amount": 100}
        refused(await town.post(PATH, body, key=new_key()), 404, "not-found")


class TestPayByShopsCode:
    async def test_the_fixed_amount_is_paid_once(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        shop = await town.books.shop()
        request = await shop_request(town, shop, 480, settings)
        r = await town.post(PATH, {"payment_request": request}, key=new_key())
        assert r.status_code == 201, r.text
        assert r.json()["amount"] == 480
        again = await town.post(PATH, {"payment_request": request}, key=new_key())
        assert "already paid" in refused(again, 422, "invalid-code")["detail"]
        assert await town.balance() == 520

    async def test_a_retry_of_the_payment_that_used_the_code_gets_it_back(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        request = await shop_request(town, await town.books.shop(), 300, settings)
        key = new_key()
        first = await town.post(PATH, {"payment_request": request}, key=key)
        retry = await town.post(PATH, {"payment_request": request}, key=key)
        assert (retry.status_code, retry.json()) == (201, first.json())
        assert retry.headers["idempotent-replayed"] == "true"
        assert await town.balance() == 700

    async def test_a_forged_code_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        request = await shop_request(town, await town.books.shop(), 300, settings)
        forged = request[:-1] + ("A" if request[-1] != "A" else "B")
        refused(
            await town.post(PATH, {"payment_request": forged}, key=new_key()), 422, "invalid-code"
        )
        assert await town.balance() == 1_000


class TestRetries:
    async def test_a_retry_with_the_same_key_answers_the_same_and_pays_once(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        shop = await town.books.shop()
        body, key = {"merchant_code": shop.code, "amount": 200}, new_key()
        first = await town.post(PATH, body, key=key)
        retry = await town.post(PATH, body, key=key)
        assert (retry.status_code, retry.json()) == (201, first.json())
        assert retry.headers["idempotent-replayed"] == "true"
        assert await town.balance() == 800
        history = (await town.get("/v1/me/history")).json()["items"]
        assert [i["kind"] for i in history] == ["payment", "charge"]

    async def test_the_same_key_for_another_payment_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        shop, key = await town.books.shop(), new_key()
        await town.post(PATH, {"merchant_code": shop.code, "amount": 200}, key=key)
        r = await town.post(PATH, {"merchant_code": shop.code, "amount": 300}, key=key)
        refused(r, 422, "idempotency-key-reused")
        assert await town.balance() == 800

    async def test_without_a_key_nothing_is_paid(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        shop = await town.books.shop()
        r = await town.post(PATH, {"merchant_code": shop.code, "amount": 200})
        refused(r, 400, "idempotency-key-missing")
        assert await town.balance() == 1_000


class TestRefusals:
    async def test_not_enough_balance_says_what_could_be_spent(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        await town.books.grant(town.person.wallet, 300, districts=frozenset({"蒲江"}))
        shop = await town.books.shop(district="佐伯")
        r = await town.post(PATH, {"merchant_code": shop.code, "amount": 1_200}, key=new_key())
        problem = refused(r, 409, "insufficient-balance")
        assert (problem["spendable"], problem["total"]) == (1_000, 1_300)
        assert await town.balance() == 1_300

    async def test_over_the_per_payment_limit_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 40_000)
        shop = await town.books.shop()
        r = await town.post(PATH, {"merchant_code": shop.code, "amount": 30_001}, key=new_key())
        assert refused(r, 422, "limit-exceeded")["limit"] == 30_000
        assert await town.balance() == 40_000

    @pytest.mark.parametrize("amount", BAD_AMOUNTS)
    async def test_an_amount_that_is_not_a_whole_number_in_range_changes_nothing(
        self, client: AsyncClient, session: AsyncSession, settings: Settings, amount: Any
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        shop = await town.books.shop()
        r = await town.post(PATH, {"merchant_code": shop.code, "amount": amount}, key=new_key())
        refused(r, 422, "validation")
        assert await town.balance() == 1_000

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"amount": 100},
            {"merchant_code": "M1"},
            {"payment_request": "MGR1.1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAA", "amount": 100},
            {"payment_request": "MGR1.1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAA", "merchant_code": "M1"},
            {"merchant_code": "M1", "amount": 100, "tip": 10},
        ],
    )
    async def test_anything_but_exactly_one_of_the_two_forms_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings, body: Any
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        refused(await town.post(PATH, body, key=new_key()), 422, "validation")
        assert await town.balance() == 1_000
