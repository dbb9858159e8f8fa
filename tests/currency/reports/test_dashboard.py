"""The dashboard: today's figures, balances held, velocity, re-spend rate, top categories,
budget use — on a history whose figures are known by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.errors import InvalidOperation
from currency.reports import dashboard, series
from currency.reports.models import MEASURES, daily
from tests.currency.issuance.test_grants import give, open_programme
from tests.currency.reports.ledger_story import Story
from tests.currency.reports.test_rollups import catch_up, town_history
from tests.factories import Books


class TestDashboard:
    async def test_todays_figures_and_balances_held_match_the_history(
        self, session: AsyncSession
    ) -> None:
        story = Story(await Books.open(session))
        await town_history(story, fold=False)
        await catch_up(story)
        found = await dashboard.dashboard(session, currency_id=story.cid, today=clock.today())
        today = found.today
        # spent net of the refund; settled = payout + fee
        assert (today.issued, today.spent, today.settled, today.expired) == (
            16_100, 3_900, 2_030, 100,
        )  # fmt: skip
        assert found.outstanding == {"coin": 12_100, "point": 0, "merchant": 1_870}
        issued = found.outstanding["coin"] + found.outstanding["merchant"] + 2_030 + 100
        assert issued == today.issued  # every coin issued is somewhere
        assert len(found.series) == 90 and found.series[-1] == today
        assert found.respend_rate == round(800 / (800 + 2_030), 4)
        assert found.top_categories[0] == dashboard.Category("food", 3_900, 2)

    async def test_a_period_longer_than_the_chart_reaches_back_before_the_first_day(
        self, session: AsyncSession
    ) -> None:
        story = Story(await Books.open(session))
        await town_history(story, fold=False)
        await catch_up(story)
        found = await dashboard.dashboard(
            session, currency_id=story.cid, today=clock.today(), days_back=365
        )
        assert len(found.series) == 90 and found.period_days == 365
        assert found.respend_rate == round(800 / (800 + 2_030), 4)  # the same flows, longer

    async def test_velocity_is_spending_over_the_average_wallet_balance(self) -> None:
        days = [date(2026, 11, d) for d in (24, 25, 26)]
        flows = {d: dict.fromkeys(MEASURES, 0) for d in days}
        flows[days[0]]["issued"] = 9_000  # balances at the end of each day: 9,000 …
        flows[days[1]]["spent"] = 3_000  # … 6,000 …
        flows[days[2]]["spent"] = 3_000  # … 3,000 (today)
        assert dashboard.velocity(flows, days, wallets_now=3_000) == 1.0  # 6,000 / 6,000
        assert dashboard.velocity({d: dict.fromkeys(MEASURES, 0) for d in days}, days, 0) is None

    async def test_budget_use_comes_from_the_programme_and_its_counter(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books, budget=10_000)
        someone = await books.resident()
        await give(books, someone.number)  # 500 points for litter picking
        found = await dashboard.budgets(
            session, currency_id=books.currency_id, now=datetime.now(UTC)
        )
        assert [(b.kind, b.code, b.budget, b.used) for b in found] == [
            ("point_programme", "clean", 10_000, 500)
        ]


class TestSeries:
    async def test_a_measure_per_day_with_empty_days_as_zero_or_split_by_district(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        start = date(2026, 10, 1)
        await _rollup_rows(session, books.currency_id, start)
        per_day = await series.series(
            session, currency_id=books.currency_id, start=start,
            end=start + timedelta(days=2), measure="spent",
        )  # fmt: skip
        assert [(p.day.day, p.amount, p.count) for p in per_day] == [
            (1, 1_500, 3),
            (2, 0, 0),
            (3, 700, 1),
        ]
        by_district = await series.series(
            session, currency_id=books.currency_id, start=start, end=start,
            measure="spent", by="district",
        )  # fmt: skip
        assert [(p.key, p.amount) for p in by_district] == [("佐伯", 1_000), ("蒲江", 500)]

    async def test_an_unknown_measure_or_split_is_refused_in_words(
        self, session: AsyncSession
    ) -> None:
        day = date(2026, 10, 1)
        with pytest.raises(InvalidOperation, match="There is no measure 'sales'"):
            await series.series(session, currency_id=1, start=day, end=day, measure="sales")
        with pytest.raises(InvalidOperation, match="cannot be split by 'name'"):
            await series.series(
                session, currency_id=1, start=day, end=day, measure="spent", by="name"
            )


async def _rollup_rows(session: AsyncSession, currency_id: int, start: date) -> None:
    cell = {"currency_id": currency_id, "measure": "spent", "value_kind": "coin",
            "programme_id": 0, "category": "food", "age_band": "60-69"}  # fmt: skip
    rows = [
        {**cell, "day": start, "district": "佐伯", "amount": 1_000, "count": 2},
        {**cell, "day": start, "district": "蒲江", "amount": 500, "count": 1},
        {**cell, "day": start + timedelta(days=2), "district": "佐伯", "amount": 700, "count": 1},
        {**cell, "day": start, "district": "佐伯", "measure": "issued", "amount": 9, "count": 1},
    ]
    await session.execute(sa.insert(daily), rows)
