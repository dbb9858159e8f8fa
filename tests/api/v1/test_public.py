"""What anyone can open without signing in: the published chain heads, and the page a
shop's printed QR code opens on a resident's phone."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.ledger import chain
from currency.ledger.models import chain_head, chain_link, transfer
from currency.merchants.models import merchant
from currency.payments import codes
from currency.settings import Settings
from tests.api.v1.test_auth_api import open_books
from tests.factories import Books, Shop
from tests.web.test_pages import Node, parse

HEADS = "/v1/public/chain-heads"
NOT_GENUINE_JA = "このQRコードは正しくありません。支払わずに、お店の方にお知らせください。"
NOT_TAKING_PAYMENTS_JA = "このお店は、いま めぐりでのお支払いを受け付けていません。"


async def recomputed_head(books: Books) -> tuple[int, str]:
    """What an outsider computes from the transfers, in chain order, from the genesis."""
    rows = await books.session.execute(
        sa.select(transfer, chain_link.c.sequence)
        .join(
            chain_link,
            sa.and_(
                chain_link.c.currency_id == transfer.c.currency_id,
                chain_link.c.transfer_id == transfer.c.id,
            ),
        )
        .where(transfer.c.currency_id == books.currency_id)
        .order_by(chain_link.c.sequence)
    )
    digest, sequence = chain.GENESIS, 0
    for row in rows.mappings():
        digest, sequence = chain.link_hash(digest, row), row["sequence"]
    return sequence, digest.hex()


async def publish_days(books: Books, days: list[date]) -> None:
    for n, day in enumerate(days, start=1):
        await books.session.execute(
            sa.insert(chain_head).values(
                currency_id=books.currency_id, day=day, last_sequence=n * 10,
                head_hash=bytes([n]) * 32,
            )
        )  # fmt: skip


class TestChainHeads:
    async def test_anyone_can_fetch_todays_head_and_recompute_it_from_the_transfers(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        wallet = await books.wallet()
        await books.charge(wallet, 1_000)
        await books.charge(wallet, 2_500)
        await chain.seal_all(session, currency_id=books.currency_id)
        r = await client.get(HEADS)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["currency"] == settings.currency_code
        assert body["hash_algorithm"] == "sha256"
        assert body["next_before"] is None
        [head] = body["heads"]
        assert (head["last_sequence"], head["head_hash"]) == await recomputed_head(books)
        assert len(head["head_hash"]) == 64

    async def test_heads_come_newest_first_a_page_at_a_time_until_the_first_day(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        first = date(2026, 10, 1)
        await publish_days(books, [first + timedelta(days=n) for n in range(5)])
        page1 = (await client.get(HEADS, params={"limit": 2})).json()
        assert [h["day"] for h in page1["heads"]] == ["2026-10-05", "2026-10-04"]
        assert page1["next_before"] == "2026-10-04"
        page2 = (await client.get(HEADS, params={"limit": 2, "before": "2026-10-04"})).json()
        assert [h["day"] for h in page2["heads"]] == ["2026-10-03", "2026-10-02"]
        page3 = (await client.get(HEADS, params={"limit": 2, "before": "2026-10-02"})).json()
        assert [h["day"] for h in page3["heads"]] == ["2026-10-01"]
        assert page3["next_before"] is None
        assert page3["heads"][0] == {
            "day": "2026-10-01", "last_sequence": 10, "head_hash": "01" * 32,
        }  # fmt: skip

    async def test_only_this_services_currency_is_published(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        other = await Books.open(session)
        await publish_days(other, [date(2026, 10, 1)])
        await open_books(session, settings)
        r = await client.get(HEADS)
        assert r.status_code == 200
        assert r.json()["heads"] == []

    async def test_a_bad_date_or_limit_is_a_validation_problem(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        await open_books(session, settings)
        for params in ({"before": "yesterday"}, {"before": "0"}, {"limit": 0}, {"limit": 367}):
            r = await client.get(HEADS, params=params)
            assert r.status_code == 422, params
            assert r.headers["content-type"] == "application/problem+json"

    async def test_no_sign_in_is_needed_and_the_route_is_documented(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        await open_books(session, settings)
        r = await client.get(HEADS, headers={"Authorization": "Bearer nonsense"})
        assert r.status_code == 200
        schema = (await client.get("/openapi.json")).json()
        assert "ChainHeads" in str(schema["paths"][HEADS]["get"]["responses"]["200"])


# ---- the shop's printed QR ------------------------------------------------------------------


def link_of(shop: Shop, settings: Settings) -> str:
    """Path and query of what the shop's poster holds."""
    url = codes.shop_link(
        base_url="https://meguri.example", merchant_code=shop.code, secret=settings.secret_key
    )
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def altered(link: str) -> str:
    last = link[-1]
    return link[:-1] + ("A" if last != "A" else "B")


def pay_buttons(page: Node) -> list[Node]:
    return [a for a in page.find("main").find_all("a") if "/wallet/pay" in a.attrs["href"]]


async def shop_name(session: AsyncSession, shop: Shop) -> str:
    name = await session.scalar(sa.select(merchant.c.name).where(merchant.c.id == shop.id))
    assert name is not None
    return str(name)


class TestShopLinkPage:
    async def test_a_genuine_code_shows_the_registered_shop_and_a_button_to_pay_it(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        shop = await books.shop(district="蒲江")
        link = link_of(shop, settings)
        r = await client.get(link)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/html")
        page = parse(r.text)
        assert page.find("html").attrs["lang"] == "ja"
        assert page.find("h1").text() == await shop_name(session, shop)
        assert "地区：蒲江" in page.find("main").text()
        [button] = pay_buttons(page)
        assert button.text() == "このお店に支払う"
        mac = link.split("s=")[1]
        assert button.attrs["href"] == f"/wallet/pay?shop={shop.code}&s={mac}"

    async def test_the_page_speaks_english_when_asked(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        shop = await books.shop()
        r = await client.get(link_of(shop, settings) + "&lang=en")
        page = parse(r.text)
        assert page.find("html").attrs["lang"] == "en"
        assert pay_buttons(page)[0].text() == "Pay this shop"

    async def test_an_altered_code_warns_not_to_pay_and_offers_no_button(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        shop = await books.shop()
        r = await client.get(altered(link_of(shop, settings)))
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("text/html")
        page = parse(r.text)
        assert NOT_GENUINE_JA in page.find("div", role="status").text()
        assert pay_buttons(page) == []
        assert await shop_name(session, shop) not in r.text

    async def test_a_sticker_with_another_shops_code_is_caught(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        mine, theirs = await books.shop(), await books.shop()
        mac = link_of(theirs, settings).split("s=")[1]
        for link in (f"/m/{mine.code}?s={mac}", f"/m/{mine.code}", f"/m/{mine.code}?s="):
            r = await client.get(link)
            assert r.status_code == 400, link
            assert NOT_GENUINE_JA in r.text
        english = await client.get(f"/m/{mine.code}?s={mac}&lang=en")
        assert "This QR code is not genuine" in english.text

    async def test_a_code_typed_in_lower_case_still_leads_to_the_shop(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        shop = await books.shop()
        path, _, query = link_of(shop, settings).partition("?")
        r = await client.get(f"{path}?{query.lower()}")
        assert r.status_code == 200
        assert pay_buttons(parse(r.text))[0].attrs["href"].endswith(query.split("=")[1])

    async def test_a_shop_that_is_not_registered_here_is_not_found(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        elsewhere = await (await Books.open(session)).shop()  # another city's shop
        await open_books(session, settings)
        for shop in (elsewhere, Shop(0, 0, "NO-SUCH-SHOP")):
            r = await client.get(link_of(shop, settings))
            assert r.status_code == 404
            page = parse(r.text)
            assert page.find("h1").text() == "このお店は見つかりません"
            assert pay_buttons(page) == []

    async def test_a_suspended_shop_says_it_cannot_take_payments_now(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        shop = await books.shop(status="suspended")
        r = await client.get(link_of(shop, settings))
        assert r.status_code == 200
        page = parse(r.text)
        assert page.find("h1").text() == await shop_name(session, shop)
        assert NOT_TAKING_PAYMENTS_JA in page.find("div", role="status").text()
        assert pay_buttons(page) == []

    async def test_the_page_is_neither_cached_nor_indexed_and_runs_no_inline_script(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        r = await client.get(link_of(await books.shop(), settings))
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-robots-tag"] == "noindex"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert all(s.attrs.get("src") for s in parse(r.text).find_all("script"))
