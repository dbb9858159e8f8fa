"""GET /v1/merchant/events: the shop's live sales over a real served app (an in-process
client reads a response only when it is complete, and this one never is), with real
commits: what a shop sees arrive, what it never sees, resuming, heartbeats, the end."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.main import create_app
from api.v1.merchant import events, feed_hub
from currency.db.engine import asyncpg_url, make_engine
from currency.ledger.types import Posted
from currency.merchants.models import merchant
from currency.payments import service as payments
from currency.settings import Settings
from currency.users.models import user
from tests.api.v1.test_merchant_support import bearer, problem
from tests.currency.auth.support import PASSWORD, PIN, add_resident, add_user, currency_code
from tests.factories import Books, Shop
from tests.web.live import free_port, serve

READ_FOR_S = 20  # a guard against a hang, not a timing


@dataclass
class Frame:
    id: str | None = None
    data: dict[str, Any] | None = None
    comments: list[str] = field(default_factory=list)
    retry: int | None = None


class Feed:
    """One open stream, read frame by frame."""

    def __init__(self, response: httpx.Response) -> None:
        self.response, self._lines = response, response.aiter_lines()

    async def frame(self) -> Frame:
        return await asyncio.wait_for(self._frame(), READ_FOR_S)

    async def _frame(self) -> Frame:
        found = Frame()
        async for line in self._lines:
            if not line:
                return found
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                found.comments.append(value)
            elif name == "id":
                found.id = value
            elif name == "data":
                found.data = json.loads(value)
            elif name == "retry":
                found.retry = int(value)
        raise EOFError("the stream ended")

    async def sale(self) -> Frame:
        """The next payment or refund, past heartbeats."""
        while (found := await self.frame()).data is None:
            pass
        return found

    async def quiet(self) -> None:
        """Nothing but a heartbeat comes next: all that was due was sent."""
        found = await self.frame()
        assert found.data is None and "keep-alive" in found.comments, found


@dataclass
class Served:
    app: FastAPI
    url: str
    books: Books
    sessions: async_sessionmaker[AsyncSession]
    shop: Shop
    headers: dict[str, str]

    @asynccontextmanager
    async def feed(self, **kwargs: Any) -> AsyncIterator[Feed]:
        async with (
            httpx.AsyncClient(base_url=self.url, timeout=READ_FOR_S) as client,
            client.stream("GET", "/v1/merchant/events", **kwargs) as response,
        ):
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            opened = Feed(response)
            first = await opened.frame()
            assert first.retry == 3000
            yield opened

    async def pay(self, amount: int, shop: Shop | None = None) -> Posted:
        async with self.sessions() as session, session.begin():
            self.books.session = session
            wallet = await self.books.wallet()
            await self.books.charge(wallet, amount)
            return await payments.pay(
                session, currency_id=self.books.currency_id, wallet_account_id=wallet,
                merchant_id=(shop or self.shop).id, amount=amount, actor=f"resident:{wallet}",
                today=self.books.today,
            )  # fmt: skip

    async def refund(self, paid: Posted, amount: int) -> Posted:
        async with self.sessions() as session, session.begin():
            return await payments.refund(
                session, currency_id=self.books.currency_id,
                merchant_account_id=self.shop.account_id, payment_id=paid.operation_id,
                amount=amount, actor="user:1", grace_days=30, today=self.books.today,
            )  # fmt: skip

    async def another_shop(self) -> Shop:
        async with self.sessions() as session, session.begin():
            self.books.session = session
            return await self.books.shop()


def _server_engine(test_db: Any) -> AsyncEngine:
    """An engine for the server's own event loop, logging in as the tests' engines do."""
    if test_db.runtime_url != test_db.owner_url:
        return make_engine(test_db.runtime_url, pool_size=5)
    return create_async_engine(  # an external database: one login, acting as the app's role
        asyncpg_url(test_db.runtime_url), pool_size=5,
        connect_args={"server_settings": {"role": "meguri_app", "timezone": "UTC"}},
    )  # fmt: skip


def _app(settings: Settings, engine: AsyncEngine) -> FastAPI:
    app = create_app(settings, engine=engine)
    lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def serving(app: FastAPI) -> AsyncIterator[None]:  # as api/main.py should
        async with lifespan(app):
            yield
            await feed_hub.close(app)
            await engine.dispose()

    app.router.lifespan_context = serving
    return app


async def _shop_of(session: AsyncSession, books: Books, user_id: int) -> Shop:
    m, u = merchant.c, user.c
    row = await session.execute(
        sa.select(m.id, m.account_id, m.code)
        .join(user, sa.and_(u.currency_id == m.currency_id, u.merchant_id == m.id))
        .where(u.currency_id == books.currency_id, u.id == user_id)
    )
    return Shop(*row.one())


@pytest.fixture
async def served(
    committing_engine: AsyncEngine,
    test_db: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Served]:
    monkeypatch.setattr(events, "HEARTBEAT_S", 0.3)
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        settings.currency_code = await currency_code(books)
        clerk = await add_user(books, role="merchant_clerk")
        shop = await _shop_of(session, books, clerk.id)
    app = _app(settings, _server_engine(test_db))
    port = free_port()
    server = serve(app, port)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            r = await client.post(
                "/v1/auth/login", json={"username": clerk.username, "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
        yield Served(app, url, books, sessions, shop, bearer(r.json()["access_token"]))
    finally:
        server.stop()


@pytest.mark.committing
class TestLiveSales:
    async def test_a_payment_made_after_connecting_arrives_then_its_refund(
        self, served: Served
    ) -> None:
        async with served.feed(headers=served.headers) as feed:
            await feed.quiet()
            paid = await served.pay(1_200)
            committed = time.monotonic()
            got = await feed.sale()
            print(f"\ncommit → delivery: {time.monotonic() - committed:.3f} s")
            assert got.data is not None and got.id == got.data["id"]
            assert (got.data["kind"], got.data["operation_id"]) == ("payment", paid.operation_id)
            assert (got.data["amount"], got.data["payer"]) == (1_200, "resident")
            assert got.data["reference"] == f"{paid.operation_id % 10_000:04d}"
            back = await served.refund(paid, 200)
            refund = await feed.sale()
            assert refund.data is not None
            assert (refund.data["kind"], refund.data["operation_id"]) == (
                "refund",
                back.operation_id,
            )
            assert (refund.data["refund_of"], refund.data["today_total"]) == (
                paid.operation_id,
                1_000,
            )

    async def test_another_shops_payment_never_arrives(self, served: Served) -> None:
        elsewhere = await served.another_shop()
        async with served.feed(headers=served.headers) as feed:
            await feed.quiet()
            await served.pay(700, elsewhere)
            ours = await served.pay(300)
            got = await feed.sale()
            assert got.data is not None and got.data["operation_id"] == ours.operation_id
            await feed.quiet()

    async def test_opening_the_page_shows_todays_sales_first(self, served: Served) -> None:
        earlier = [await served.pay(100), await served.pay(200)]
        async with served.feed(headers=served.headers) as feed:
            got = [await feed.sale(), await feed.sale()]
            await feed.quiet()
        assert [f.data["operation_id"] for f in got if f.data] == [p.operation_id for p in earlier]
        assert got[-1].data is not None and got[-1].data["today_total"] == 300

    @pytest.mark.parametrize("how", ["header", "query"])
    async def test_reconnecting_with_the_last_event_id_gets_exactly_what_was_missed(
        self, served: Served, how: str
    ) -> None:
        before = await served.pay(100)
        async with served.feed(headers=served.headers) as feed:
            last = await feed.sale()
        assert last.data is not None and last.data["operation_id"] == before.operation_id
        missed = [await served.pay(200), await served.pay(300)]
        assert last.id is not None
        headers, params = (
            ({**served.headers, "Last-Event-ID": last.id}, {}) if how == "header"
            else (served.headers, {"last_event_id": last.id})
        )  # fmt: skip
        async with served.feed(headers=headers, params=params) as feed:
            got = [await feed.sale(), await feed.sale()]
            await feed.quiet()
        assert [f.data["operation_id"] for f in got if f.data] == [p.operation_id for p in missed]

    async def test_heartbeats_keep_a_quiet_stream_open(self, served: Served) -> None:
        async with served.feed(headers=served.headers) as feed:
            for _ in range(3):
                await feed.quiet()

    async def test_closing_the_page_stops_the_poller(self, served: Served) -> None:
        async with served.feed(headers=served.headers) as feed:
            await feed.quiet()
            hub = feed_hub.hub_of(served.app)
            assert hub.running and hub.listeners == 1
        deadline = time.monotonic() + READ_FOR_S
        while hub.running or hub.listeners:
            assert time.monotonic() < deadline, "the poller outlived its last listener"
            await asyncio.sleep(0.05)

    async def test_the_stream_ends_when_its_sign_in_runs_out(
        self, served: Served, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(events, "MAX_STREAM", timedelta(seconds=1))
        async with served.feed(headers=served.headers) as feed:
            with pytest.raises(EOFError):
                while True:
                    await feed.frame()


class TestWhoMayListen:
    async def test_without_a_token_it_is_401(self, client: httpx.AsyncClient) -> None:
        problem(await client.get("/v1/merchant/events"), 401, "unauthenticated")

    async def test_a_resident_is_refused(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await Books.open(session)
        settings.currency_code = await currency_code(books)
        person = await add_resident(books)
        r = await client.post(
            "/v1/auth/resident", json={"resident_number": person.number, "pin": PIN}
        )
        token = r.json()["access_token"]
        problem(
            await client.get("/v1/merchant/events", headers=bearer(token)), 403, "not-permitted"
        )
