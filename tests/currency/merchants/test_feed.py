"""A shop's live feed as read from the ledger: its own sales and refunds only, each once,
resumable from any event's id — also when payments commit out of id order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.ledger.types import Posted
from currency.merchants import feed
from currency.merchants.feed import Cursor, FeedEvent
from currency.payments import service as payments
from currency.payments import transfers
from tests.factories import Books, Shop

SINCE = datetime(2000, 1, 1, tzinfo=UTC)


async def pay(books: Books, shop: Shop, amount: int, *, points: int = 0) -> Posted:
    wallet = await books.wallet()
    await books.charge(wallet, amount)
    if points:
        await books.grant(wallet, points)
    return await payments.pay(
        books.session, currency_id=books.currency_id, wallet_account_id=wallet,
        merchant_id=shop.id, amount=amount + points, actor=f"resident:{wallet}",
        today=books.today,
    )  # fmt: skip


async def refund(books: Books, shop: Shop, payment: Posted, amount: int) -> Posted:
    return await payments.refund(
        books.session, currency_id=books.currency_id, merchant_account_id=shop.account_id,
        payment_id=payment.operation_id, amount=amount, actor="user:1", grace_days=30,
        today=books.today,
    )  # fmt: skip


async def read(
    session: AsyncSession, books: Books, shop: Shop, after: Cursor | None = None
) -> list[FeedEvent]:
    return await feed.events_after(
        session, currency_id=books.currency_id, merchant_account_id=shop.account_id,
        after=after or Cursor(), since=SINCE,
    )  # fmt: skip


class TestEvents:
    async def test_payments_and_refunds_arrive_in_order_with_what_the_till_shows(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop = await books.shop()
        paid = await pay(books, shop, 800, points=200)
        back = await refund(books, shop, paid, 300)
        found = await read(session, books, shop)
        assert [(e.kind, e.operation_id, e.amount) for e in found] == [
            ("payment", paid.operation_id, 1000),
            ("refund", back.operation_id, 300),
        ]
        first, second = found
        assert first.by_kind == {"coin": 800, "point": 200}
        assert first.reference == f"{paid.operation_id:04d}"[-4:]
        assert (first.payer, first.refund_of) == ("resident", None)
        assert second.refund_of == paid.operation_id
        assert second.today_total == 700  # 1,000 taken, 300 given back

    async def test_another_shops_sales_never_appear(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        mine, theirs = await books.shop(), await books.shop()
        await pay(books, theirs, 500)
        ours = await pay(books, mine, 400)
        found = await read(session, books, mine)
        assert [e.operation_id for e in found] == [ours.operation_id]
        assert found[0].today_total == 400

    async def test_a_payment_from_another_shop_shows_the_shop_not_a_person(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        buyer, supplier = await books.shop(), await books.shop()
        await pay(books, buyer, 1_000)
        sent = await transfers.merchant_pay(
            session, currency_id=books.currency_id, payer_merchant_id=buyer.id,
            payee_code=supplier.code, amount=600, actor="user:1",
        )  # fmt: skip
        (event,) = await read(session, books, supplier)
        assert (event.operation_id, event.payer, event.amount) == (sent.operation_id, "shop", 600)

    async def test_resuming_from_an_event_gives_exactly_the_later_ones(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop = await books.shop()
        first = await pay(books, shop, 100)
        (seen,) = await read(session, books, shop)
        later = [await pay(books, shop, 200), await pay(books, shop, 300)]
        resumed = await read(session, books, shop, Cursor.parse(seen.id))
        assert [e.operation_id for e in resumed] == [p.operation_id for p in later]
        assert first.operation_id not in {e.operation_id for e in resumed}
        assert await read(session, books, shop, Cursor.parse(resumed[-1].id)) == []

    async def test_once_old_enough_the_cursor_is_just_a_number(
        self, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(feed, "SETTLE", timedelta(0))
        books = await Books.open(session)
        shop = await books.shop()
        paid = await pay(books, shop, 100)
        (event,) = await read(session, books, shop)
        assert event.id == str(paid.operation_id)
        assert await read(session, books, shop, Cursor.parse(event.id)) == []


class TestCursor:
    def test_an_event_id_reads_back_as_the_same_cursor(self) -> None:
        cursor = Cursor(120, frozenset({125, 123}))
        assert cursor.text() == "120:123,125"
        assert Cursor.parse(cursor.text()) == cursor
        assert Cursor.parse("0") == Cursor()

    @pytest.mark.parametrize("text", ["", "abc", "1:2,x", "-5", "1:" + ",".join(["9"] * 600)])
    def test_a_foreign_or_garbled_id_is_no_cursor(self, text: str) -> None:
        assert Cursor.parse(text) is None


@pytest.mark.committing
class TestOutOfOrderCommits:
    async def test_a_payment_committing_after_a_later_one_is_still_sent_once(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        async with sessions() as setup, setup.begin():
            books = await Books.open(setup)
            shop = await books.shop()
            wallets = [await books.wallet() for _ in range(2)]
            for wallet in wallets:
                await books.charge(wallet, 1_000)
        slow, fast = sessions(), sessions()
        await slow.begin()
        earlier = await _pay(slow, books, shop, wallets[0], 100)  # the smaller id, open
        async with fast.begin():
            later = await _pay(fast, books, shop, wallets[1], 200)
        assert earlier.operation_id < later.operation_id
        async with sessions() as s:
            first = await read(s, books, shop)
        assert [e.operation_id for e in first] == [later.operation_id]
        await slow.commit()
        await slow.close()
        await fast.close()
        async with sessions() as s:
            live = await read(s, books, shop, first[-1].cursor)
            resumed = await read(s, books, shop, Cursor.parse(first[-1].id))
            again = await read(s, books, shop, live[-1].cursor)
        assert [e.operation_id for e in live] == [earlier.operation_id]
        assert [e.operation_id for e in resumed] == [earlier.operation_id]
        assert again == []


async def _pay(session: AsyncSession, books: Books, shop: Shop, wallet: int, amount: int) -> Posted:
    return await payments.pay(
        session, currency_id=books.currency_id, wallet_account_id=wallet, merchant_id=shop.id,
        amount=amount, actor=f"resident:{wallet}", today=books.today,
    )  # fmt: skip
