"""Daily rollups: what a known history adds up to, and refresh-as-you-go equals a rebuild."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency import jobs
from currency.ledger import chain, expiry
from currency.reports import rollups
from currency.reports.models import daily
from tests.currency.reports.ledger_story import PROGRAMME, Story
from tests.factories import Books

Row = tuple[object, ...]


async def rows(session: AsyncSession, currency_id: int) -> list[Row]:
    found = await session.execute(
        sa.select(*[c for c in daily.c if c.name != "currency_id"])
        .where(daily.c.currency_id == currency_id)
        .order_by(*daily.primary_key.columns)
    )
    return [tuple(r) for r in found]


async def totals(session: AsyncSession, currency_id: int) -> dict[str, tuple[int, int]]:
    found = await session.execute(
        sa.select(daily.c.measure, sa.func.sum(daily.c.amount), sa.func.sum(daily.c.count))
        .where(daily.c.currency_id == currency_id)
        .group_by(daily.c.measure)
    )
    return {m: (int(a), int(n)) for m, a, n in found}


async def catch_up(story: Story) -> int:
    await chain.seal_all(story.books.session, currency_id=story.cid)
    return await rollups.refresh(story.books.session, currency_id=story.cid)


async def town_history(story: Story, *, fold: bool) -> dict[str, object]:
    """Every kind of operation, folded in as it goes when ``fold`` (see the expectations)."""
    b = story.books
    aki = await b.resident(district="蒲江", birth_year=1950)
    ben = await b.resident(district="佐伯", birth_year=1985)
    cho = await b.resident(district="佐伯", birth_year=None)  # type: ignore[arg-type]
    cafe = await b.shop(district="佐伯", tags=("food",))
    store = await b.shop(district="蒲江", tags=("retail",))
    supplier = await b.shop(district="佐伯", tags=("wholesale",))
    await story.charge(aki, 10_000)
    await story.grant(aki, 500)
    await story.premium(ben, 5_000, 500)
    first = await story.pay(aki, cafe, 1_200)  # 500 points (sooner to expire), 700 coins
    if fold:
        await catch_up(story)
    await story.refund(first, 300)
    mistaken = await story.pay(ben, store, 2_000)
    await story.reverse(mistaken)
    await story.send(aki, cho, 1_000)
    if fold:
        await catch_up(story)
    await story.pay(ben, cafe, 3_000)
    await story.shop_pays(cafe, supplier, 800)
    await story.settle(cafe, 2_000, 30)
    await story.grant(cho, 100, days=-1)
    await expiry.expire_due(b.session, currency_id=story.cid, as_of=b.today)
    return {"cafe": cafe}


class TestRollups:
    async def test_a_known_history_adds_up_to_the_figures_counted_by_hand(
        self, session: AsyncSession
    ) -> None:
        story = Story(await Books.open(session))
        await town_history(story, fold=False)
        assert await catch_up(story) > 0
        assert await totals(session, story.cid) == {
            "issued": (16_100, 5),  # charge, grant, charge + premium (2 lots), grant
            "spent": (4_200, 3),  # 1,200 (points and coins: 2) + 3,000; 2,000 reversed
            "refunded": (300, 1),
            "sent": (1_000, 1),
            "merchant_paid": (800, 1),
            "settled": (2_000, 1),
            "fee": (30, 1),
            "expired": (100, 1),
        }

    async def test_each_figure_lands_in_the_cell_of_its_district_category_and_age(
        self, session: AsyncSession
    ) -> None:
        story = Story(await Books.open(session))
        await town_history(story, fold=False)
        await catch_up(story)
        day = story.books.today  # all in one transaction here: one day
        found = set(await rows(session, story.cid))
        # the payment at the café: the shop's district and category, the payer's age
        assert (day, "spent", "point", PROGRAMME, "food", "佐伯", "70-79", 500, 1) in found
        assert (day, "spent", "coin", 0, "food", "佐伯", "70-79", 700, 1) in found
        # issuance and sending: the resident's district
        assert (day, "issued", "coin", 0, "", "蒲江", "70-79", 10_000, 1) in found
        assert (day, "sent", "coin", 0, "", "蒲江", "70-79", 1_000, 1) in found
        # a reversed payment nets to nothing in its own cell
        assert (day, "spent", "coin", 0, "retail", "蒲江", "40-49", 0, 0) in found
        # no birth year: "unknown"; a settlement has no resident
        assert (day, "expired", "point", PROGRAMME, "", "佐伯", "unknown", 100, 1) in found
        assert (day, "settled", "mixed", 0, "food", "佐伯", "", 2_000, 1) in found

    async def test_refreshing_as_the_history_grows_gives_the_rows_a_rebuild_gives(
        self, session: AsyncSession
    ) -> None:
        story = Story(await Books.open(session))
        await town_history(story, fold=True)
        await catch_up(story)
        assert await rollups.refresh(session, currency_id=story.cid) == 0  # nothing new
        as_we_went = await rows(session, story.cid)
        assert await rollups.rebuild(session, currency_id=story.cid) > 0
        assert await rows(session, story.cid) == as_we_went

    async def test_refresh_stops_at_the_sequence_it_is_given(self, session: AsyncSession) -> None:
        story = Story(await Books.open(session))
        who = await story.books.resident()
        for amount in (100, 200, 400):
            await story.charge(who, amount)
        await chain.seal_all(session, currency_id=story.cid)
        assert await rollups.refresh(session, currency_id=story.cid, upto=2) == 2
        assert (await totals(session, story.cid))["issued"] == (300, 2)
        assert await rollups.refresh(session, currency_id=story.cid, upto=99) == 1
        assert (await totals(session, story.cid))["issued"] == (700, 3)


@pytest.mark.committing
class TestOutOfOrderCommits:
    async def test_a_transfer_that_commits_late_with_a_smaller_id_is_counted_once(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        async with sessions() as session, session.begin():
            story = Story(await Books.open(session))
            early, late = await story.books.resident(), await story.books.resident()
            shop = await story.books.shop()
            await story.books.issued()  # made now: both writers below use it
        async with sessions() as slow:  # takes the smaller ids, commits last
            await slow.begin()
            slow_story = Story(replace(story.books, session=slow))
            posted_slow = await slow_story.charge(early, 1_000)
            async with sessions() as fast, fast.begin():
                posted_fast = await Story(replace(story.books, session=fast)).charge(late, 50)
            assert posted_slow.transfer_ids[0] < posted_fast.transfer_ids[0]
            await _sweep(sessions, story.cid)  # chains and folds the fast one only
            assert await _issued(sessions, story.cid) == (50, 1)
            await slow_story.pay(early, shop, 300)
            await slow.commit()
        await _sweep(sessions, story.cid)
        assert await _issued(sessions, story.cid) == (1_050, 2)
        async with sessions() as session, session.begin():
            incremental = await rows(session, story.cid)
            await rollups.rebuild(session, currency_id=story.cid)
            assert await rows(session, story.cid) == incremental
            assert (await totals(session, story.cid))["spent"] == (300, 1)


async def _sweep(sessions: async_sessionmaker[AsyncSession], currency_id: int) -> None:
    """What ``meguri worker`` does for the chain and the rollups, in its own transactions."""
    for name in ("chain", "report-rollups"):
        async with sessions() as session, session.begin():
            await jobs.run_job(session, name, currency_id)
    await asyncio.sleep(0)


async def _issued(sessions: async_sessionmaker[AsyncSession], currency_id: int) -> tuple[int, int]:
    async with sessions() as session:
        return (await totals(session, currency_id)).get("issued", (0, 0))
