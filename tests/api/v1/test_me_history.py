"""GET /v1/me/history: the wallet's operations, newest first, a page at a time; only the
resident's own, and nothing of the other residents they dealt with."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.payments import service as payments
from currency.settings import Settings
from tests.api.v1.test_me_support import Town, new_key, open_town, refused


async def all_pages(town: Town, **params: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await town.get("/v1/me/history", **query)
        assert r.status_code == 200, r.text
        pages.append(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return pages


class TestPages:
    async def test_25_operations_come_as_20_then_5_newest_first(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        posted = [await town.books.charge(town.person.wallet, 100 + n) for n in range(25)]
        pages = await all_pages(town)
        assert [len(page) for page in pages] == [20, 5]
        listed = [item["operation_id"] for page in pages for item in page]
        assert listed == [p.operation_id for p in reversed(posted)]
        assert [item["amount"] for item in pages[1]] == [104, 103, 102, 101, 100]

    async def test_a_smaller_page_size_is_honoured(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        for n in range(7):
            await town.books.charge(town.person.wallet, 10 + n)
        pages = await all_pages(town, limit=3)
        assert [len(page) for page in pages] == [3, 3, 1]

    async def test_an_empty_wallet_has_one_empty_page(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        r = await town.get("/v1/me/history")
        assert r.json() == {"items": [], "next_cursor": None}

    @pytest.mark.parametrize("cursor", ["not-a-cursor", "MTIz", "", "x" * 50])
    async def test_a_cursor_we_did_not_make_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings, cursor: str
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 100)
        r = await town.get("/v1/me/history", cursor=cursor)
        if cursor == "":  # an empty cursor is no cursor: the first page
            assert r.status_code == 200 and len(r.json()["items"]) == 1
        else:
            refused(r, 422, "invalid-operation")

    @pytest.mark.parametrize("limit", [0, 101, "ten"])
    async def test_a_page_size_outside_1_to_100_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings, limit: object
    ) -> None:
        town = await open_town(client, session, settings)
        refused(await town.get("/v1/me/history", limit=limit), 422, "validation")


class TestWhatEachLineSays:
    async def test_charges_grants_payments_refunds_and_sends_read_from_the_wallets_side(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        books, shop = town.books, await town.books.shop(district="蒲江")
        await books.charge(town.person.wallet, 1_000)
        await books.grant(town.person.wallet, 200)
        paid = await town.post(
            "/v1/me/payments", {"merchant_code": shop.code, "amount": 500}, key=new_key()
        )
        await payments.refund(
            session, currency_id=books.currency_id, merchant_account_id=shop.account_id,
            payment_id=paid.json()["operation_id"], amount=100, actor="test", grace_days=30,
        )  # fmt: skip
        body = {"to_resident_number": friend.person.number, "amount": 50}
        assert (await town.post("/v1/me/transfers", body, key=new_key())).status_code == 201
        items = (await town.get("/v1/me/history")).json()["items"]
        lines = [(i["kind"], i["amount"], i["counterpart_kind"], i["counterpart"]) for i in items]
        shop_name = paid.json()["merchant"]["name"]
        assert lines == [
            ("send", -50, "resident", "another resident"),
            ("refund", 100, "shop", shop_name),
            ("payment", -500, "shop", shop_name),
            ("grant", 200, "city", None),
            ("charge", 1_000, "city", None),
        ]
        assert items[2]["by_kind"] == {"point": -200, "coin": -300}  # points first (FEFO)

    async def test_the_receiver_sees_another_resident_never_the_senders_name_or_number(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        await town.books.charge(town.person.wallet, 1_000)
        body = {"to_resident_number": friend.person.number, "amount": 70}
        assert (await town.post("/v1/me/transfers", body, key=new_key())).status_code == 201
        r = await friend.get("/v1/me/history")
        [line] = r.json()["items"]
        assert (line["kind"], line["amount"], line["counterpart"]) == (
            "send", 70, "another resident",
        )  # fmt: skip
        sender = (await town.get("/v1/me")).json()
        assert sender["resident_number"] not in r.text and sender["name"] not in r.text


class TestOnlyOwnHistory:
    async def test_another_residents_operations_never_show(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        other = await town.another()
        mine = await town.books.charge(town.person.wallet, 111)
        for n in range(3):
            await town.books.charge(other.person.wallet, 900 + n)
        items = (await town.get("/v1/me/history")).json()["items"]
        assert [(i["operation_id"], i["amount"]) for i in items] == [(mine.operation_id, 111)]

    async def test_a_cursor_from_another_residents_list_only_continues_ones_own(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        other = await town.another()
        own = [await town.books.charge(town.person.wallet, 10 + n) for n in range(3)]
        for n in range(5):
            await town.books.charge(other.person.wallet, 500 + n)
        cursor = (await other.get("/v1/me/history", limit=2)).json()["next_cursor"]
        r = await town.get("/v1/me/history", cursor=cursor)
        assert r.status_code == 200, r.text
        # the cursor is only a position: what follows it is this wallet's own, older lines
        listed = [(i["operation_id"], i["amount"]) for i in r.json()["items"]]
        assert listed == [(p.operation_id, 10 + n) for n, p in reversed(list(enumerate(own)))]
