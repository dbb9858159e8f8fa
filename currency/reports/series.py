"""Daily figures from the rollups: one measure over a range of days, optionally by a cell."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import InvalidOperation
from currency.reports.models import MEASURES, daily

BY = ("value_kind", "programme_id", "category", "district", "age_band")
MAX_DAYS = 1_100  # three years of days in one answer


@dataclass(frozen=True)
class Point:
    day: date
    key: str  # the cell's value for ``by`` ('' without ``by``)
    amount: int
    count: int


async def series(
    session: AsyncSession,
    *,
    currency_id: int,
    start: date,
    end: date,
    measure: str,
    by: str | None = None,
) -> list[Point]:
    """Every day of ``start..end`` (days without any transfer are 0), by ``by`` if given."""
    _check(start, end, measure, by)
    key = sa.cast(daily.c[by], sa.Text) if by else sa.literal("")
    found = await session.execute(
        sa.select(daily.c.day, key, sa.func.sum(daily.c.amount), sa.func.sum(daily.c.count))
        .where(
            daily.c.currency_id == currency_id,
            daily.c.day.between(start, end),
            daily.c.measure == measure,
        )
        .group_by(daily.c.day, key)
        .order_by(daily.c.day, key)
    )
    points = [Point(d, str(k), int(a), int(n)) for d, k, a, n in found]
    return points if by else _every_day(start, end, points)


async def totals_by_day(
    session: AsyncSession, *, currency_id: int, start: date, end: date
) -> dict[date, dict[str, int]]:
    """Every measure's net amount per day (one query)."""
    found = await session.execute(
        sa.select(daily.c.day, daily.c.measure, sa.func.sum(daily.c.amount))
        .where(daily.c.currency_id == currency_id, daily.c.day.between(start, end))
        .group_by(daily.c.day, daily.c.measure)
    )
    out: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for day, measure, amount in found:
        out[day][measure] = int(amount)
    return {d: out[d] for d in days(start, end)}


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _every_day(start: date, end: date, points: list[Point]) -> list[Point]:
    found = {p.day: p for p in points}
    return [found.get(d, Point(d, "", 0, 0)) for d in days(start, end)]


def _check(start: date, end: date, measure: str, by: str | None) -> None:
    if measure not in MEASURES:
        raise InvalidOperation(
            f"There is no measure {measure!r}; use one of {', '.join(MEASURES)}."
        )
    if by is not None and by not in BY:
        raise InvalidOperation(f"Figures cannot be split by {by!r}; use one of {', '.join(BY)}.")
    if end < start:
        raise InvalidOperation(f"The range ends ({end}) before it starts ({start}).")
    if (end - start).days >= MAX_DAYS:
        raise InvalidOperation(f"Ask for at most {MAX_DAYS:,} days at a time.")
