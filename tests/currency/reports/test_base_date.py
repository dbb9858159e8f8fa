"""The base-date report: a history around 2026-03-31 whose figures are known by hand, and
the unused balance rebuilt lot by lot, independently, from the movements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.errors import InvalidOperation
from currency.ledger import expiry
from currency.ledger.models import lot, lot_movement, transfer
from currency.ledger.types import Posted
from currency.reports import base_date
from currency.reports.exports import base_date_csv
from tests.conftest import DatabaseUnderTest
from tests.currency.reports.ledger_story import Story
from tests.factories import Books, as_superuser

JST = ZoneInfo("Asia/Tokyo")
BASE = date(2026, 3, 31)


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


@dataclass
class Built:
    currency_id: int
    stamps: list[tuple[int, datetime]]


async def march_history(story: Story) -> Built:
    """Each operation with the instant it is stamped at (after it is written)."""
    b = story.books
    aki, ben, cho, dan, eve = [await b.resident() for _ in range(5)]
    shop = await b.shop()
    at: list[tuple[Posted, str]] = [
        (await story.charge(aki, 8_000, expires_on=date(2026, 9, 30)), "2025-09-30 12:00"),
        (await story.charge(ben, 5_000, expires_on=date(2026, 3, 30)), "2025-11-10 10:00"),
        (await story.charge(eve, 300, expires_on=date(2026, 1, 31)), "2025-12-01 10:00"),
        (await story.premium(cho, 10_000, 1_000, expires_on=BASE), "2026-01-15 10:00"),
        (await story.grant(dan, 700), "2026-02-01 10:00"),  # points: not in the report
    ]
    swept = await expiry.expire_due(b.session, currency_id=story.cid, as_of=date(2026, 2, 2))
    at += [(p, "2026-02-02 10:00") for p in swept]
    paid = await story.pay(aki, shop, 3_000)
    at += [(paid, "2026-02-10 10:00"), (await story.refund(paid, 1_000), "2026-03-01 10:00")]
    at.append((await story.send(cho, ben, 2_000), "2026-03-05 10:00"))
    mistaken = await story.pay(aki, shop, 500)
    at += [(mistaken, "2026-03-20 10:00"), (await story.reverse(mistaken), "2026-03-25 10:00")]
    at.append((await story.charge(dan, 200, days=300), "2026-03-31 23:59:59.999"))
    # 1 ms after the instant: the next period's
    at.append((await story.pay(aki, shop, 1_000), "2026-04-01 00:00:00.000"))
    late = await expiry.expire_due(b.session, currency_id=story.cid, as_of=BASE)
    at += [(p, "2026-04-01 00:00:00.000") for p in late]
    return Built(story.cid, [(p.operation_id, jst(when)) for p, when in at])


def stamp_sql(built: Built) -> str:
    sql = []
    for op, when in built.stamps:
        for table, column in (("ledger_transfer", "operation_id"), ("ledger_operation", "id")):
            sql.append(
                f"UPDATE {table} SET created_at = '{when.isoformat()}' "
                f"WHERE currency_id = {built.currency_id} AND {column} = {op};"
            )
    return "\n".join(sql)


async def lots_at(session: AsyncSession, currency_id: int, until: datetime) -> dict[int, int]:
    """Every coin lot's balance at ``until``, summed here in Python from the movements."""
    m, t, lt = lot_movement, transfer, lot
    found = await session.execute(
        sa.select(m.c.lot_id, m.c.amount, lt.c.kind, t.c.created_at)
        .join(t, (t.c.currency_id == m.c.currency_id) & (t.c.id == m.c.transfer_id))
        .join(lt, (lt.c.currency_id == m.c.currency_id) & (lt.c.id == m.c.lot_id))
        .where(m.c.currency_id == currency_id)
    )
    balances: dict[int, int] = {}
    for lot_id, amount, kind, created_at in found:
        if kind == "coin" and created_at < until:
            balances[lot_id] = balances.get(lot_id, 0) + amount
    return balances


Stamped = tuple[async_sessionmaker[AsyncSession], int]


@pytest.fixture
async def march(committing_engine: AsyncEngine, test_db: DatabaseUnderTest) -> Stamped:
    """The March history committed, each operation at its instant: sessions and currency."""
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        books.today = date(2026, 1, 1)
        built = await march_history(Story(books))
    await as_superuser(test_db, stamp_sql(built))
    return sessions, built.currency_id


@pytest.mark.committing
class TestBaseDateReport:
    async def test_march_31_counts_what_the_ledger_says_happened_by_the_end_of_the_day(
        self, march: Stamped
    ) -> None:
        sessions, currency_id = march
        async with sessions() as session:
            found = await base_date.report(session, currency_id=currency_id, on=BASE)
            rebuilt = await lots_at(session, currency_id, base_date.end_of(BASE))
        # aki 6,000 + ben's 2,000 received + cho 9,000 + dan 200; ben's 5,000 lapsed on 3/30
        # but was swept 1 ms after the instant: past due, not unused.
        assert (found.unused, found.past_due_unswept, found.wallet_coin_lots) == (
            17_200, 5_000, 22_200,
        )  # fmt: skip
        assert found.wallet_coin_lots == sum(rebuilt.values())
        assert found.deposit_required == 0 and found.period_start == date(2025, 10, 1)
        books_of_period = (
            found.opening, found.issued, found.issued_premium, found.payments,
            found.refunds, found.used, found.expired, found.reversed, found.sent,
        )  # fmt: skip
        assert books_of_period == (8_000, 16_500, 1_000, 3_500, 1_000, 2_500, 300, 500, 2_000)
        assert (
            found.opening + found.issued - found.used - found.expired + found.reversed
            == found.wallet_coin_lots
        )

    async def test_the_next_day_sees_the_payment_and_the_sweep_made_1_ms_later(
        self, march: Stamped
    ) -> None:
        sessions, currency_id = march
        async with sessions() as session:
            after = await base_date.report(session, currency_id=currency_id, on=date(2026, 4, 1))
            rebuilt = await lots_at(session, currency_id, base_date.end_of(date(2026, 4, 1)))
        assert after.period_start == date(2026, 4, 1)
        assert (after.opening, after.payments, after.expired) == (22_200, 1_000, 5_000)
        # cho's and ben's lots that end on 3/31 are past due on 4/1, not yet swept
        assert (after.unused, after.past_due_unswept) == (5_200, 11_000)
        assert after.wallet_coin_lots == sum(rebuilt.values()) == 16_200
        csv_text = base_date_csv(after)
        assert csv_text.startswith("\ufeff基準日,期間開始日,基準日未使用残高(円)")
        assert "\r\n2026-04-01,2026-04-01,5200," in csv_text


class TestRules:
    def test_half_of_the_whole_unused_balance_is_secured_once_it_passes_ten_million(
        self,
    ) -> None:
        assert base_date.deposit_for(10_000_000) == 0
        assert base_date.deposit_for(10_000_001) == 5_000_001  # rounded up to the yen
        assert base_date.deposit_for(24_000_000) == 12_000_000

    def test_the_period_is_the_half_year_ending_on_march_31_or_september_30(self) -> None:
        assert base_date.period_start(date(2026, 3, 31)) == date(2025, 10, 1)
        assert base_date.period_start(date(2026, 9, 30)) == date(2026, 4, 1)
        assert base_date.period_start(date(2026, 12, 5)) == date(2026, 10, 1)

    async def test_a_day_that_has_not_ended_is_refused(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        now = datetime(2026, 3, 31, 14, 59, tzinfo=UTC)  # 23:59 in Japan
        with pytest.raises(InvalidOperation, match="has not ended yet"):
            await base_date.report(session, currency_id=books.currency_id, on=BASE, now=now)
