"""One-time codes under real concurrency: a code copied to two tills, a shop's code paid by
two residents at once, a clerk's double tap. Each transaction commits for real.

The races are made certain, not left to luck: the first payment holds its transaction
open until the second is seen waiting on a lock (or has finished, which a missing lock
would allow), and only then commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.errors import CurrencyError, InvalidCode
from currency.ledger.types import Idempotency, Posted
from currency.payments import codes
from tests.currency.payments.test_codes import NOW, SECRET
from tests.factories import Books, Resident, Shop

pytestmark = pytest.mark.committing

Sessions = async_sessionmaker[AsyncSession]
Work = Callable[[AsyncSession], Awaitable[Posted]]
Outcome = Posted | CurrencyError


async def issued_token(sessions: Sessions, books: Books, wallet: int) -> codes.PaymentToken:
    async with sessions() as session, session.begin():
        return await codes.issue_payment_token(
            session, currency_id=books.currency_id, wallet_account_id=wallet, now=NOW
        )


async def race(sessions: Sessions, first: Work, second: Work) -> tuple[Outcome, Outcome]:
    """``first`` pays and keeps its transaction open while ``second`` starts; ``first``
    commits once ``second`` waits on a lock (or is done). Each outcome in order."""
    pid: list[int] = []

    async def run_second() -> Outcome:
        async with sessions() as s, s.begin():
            pid.append(int(await s.scalar(sa.select(sa.func.pg_backend_pid())) or 0))
            try:
                return await second(s)
            except CurrencyError as exc:
                return exc

    async with sessions() as session, session.begin():
        won = await first(session)
        task = asyncio.create_task(run_second())
        await waiting_or_done(sessions, task, pid)
    return won, await task


async def waiting_or_done(sessions: Sessions, task: asyncio.Task[Outcome], pid: list[int]) -> None:
    wait = sa.text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid")
    async with sessions() as watcher:
        while not task.done():
            if pid and await watcher.scalar(wait, {"pid": pid[0]}):
                return
            await watcher.rollback()  # a fresh view of pg_stat_activity
            await asyncio.sleep(0.005)


async def town(sessions: Sessions) -> tuple[Books, list[Resident], list[Shop]]:
    """Two residents with 10,000 each and two shops, committed."""
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        people = [await books.resident(), await books.resident()]
        for person in people:
            await books.charge(person.wallet, 10_000)
        return books, people, [await books.shop(), await books.shop()]


async def balances(sessions: Sessions, books: Books, *accounts: int) -> list[int]:
    async with sessions() as session:
        books.session = session
        return [await books.balance(a) for a in accounts]


async def test_one_code_scanned_at_two_tills_at_once_pays_once(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    books, [payer, _], shops = await town(sessions)
    token = await issued_token(sessions, books, payer.wallet)

    def scan_at(shop: Shop) -> Work:
        return lambda s: codes.pay_with_token(
            s, currency_id=books.currency_id, token_text=token.text, merchant_id=shop.id,
            amount=3_000, actor="merchant_user:1", today=books.today, now=NOW,
        )  # fmt: skip

    won, lost = await race(sessions, scan_at(shops[0]), scan_at(shops[1]))
    assert isinstance(won, Posted)
    assert isinstance(lost, InvalidCode) and "already used" in str(lost)
    accounts = (payer.wallet, shops[0].account_id, shops[1].account_id)
    assert await balances(sessions, books, *accounts) == [7_000, 3_000, 0]


async def test_one_shop_code_paid_by_two_residents_at_once_is_paid_once(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    books, people, [shop, _] = await town(sessions)
    async with sessions() as session, session.begin():
        books.session = session
        request = await codes.create_payment_request(
            session, currency_id=books.currency_id, merchant_id=shop.id, amount=2_000,
            created_by=await books.staff(), secret=SECRET, now=NOW,
        )  # fmt: skip

    def paid_by(person: Resident) -> Work:
        return lambda s: codes.pay_request(
            s, currency_id=books.currency_id, request_text=request.text,
            wallet_account_id=person.wallet, actor="resident", today=books.today, now=NOW,
            secret=SECRET,
        )  # fmt: skip

    won, lost = await race(sessions, paid_by(people[0]), paid_by(people[1]))
    assert isinstance(won, Posted)
    assert isinstance(lost, InvalidCode) and "already paid" in str(lost)
    accounts = (people[0].wallet, people[1].wallet, shop.account_id)
    assert await balances(sessions, books, *accounts) == [8_000, 10_000, 2_000]


async def test_a_clerks_double_tap_with_one_key_makes_one_payment_and_both_see_it(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    books, [payer, _], [shop, _] = await town(sessions)
    token = await issued_token(sessions, books, payer.wallet)
    idem = Idempotency("merchant_user:1", "tap-1", {"token": token.text, "amount": 1_000})

    def tap(s: AsyncSession) -> Awaitable[Posted]:
        return codes.pay_with_token(
            s, currency_id=books.currency_id, token_text=token.text, merchant_id=shop.id,
            amount=1_000, actor="merchant_user:1", idempotency=idem, today=books.today, now=NOW,
        )  # fmt: skip

    first, second = await race(sessions, tap, tap)
    assert isinstance(first, Posted) and isinstance(second, Posted)
    assert second.replayed and second.operation_id == first.operation_id
    assert await balances(sessions, books, payer.wallet, shop.account_id) == [9_000, 1_000]
