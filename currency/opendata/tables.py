"""A month's open-data tables: cells with their suppression applied. Pure: no database."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from currency.errors import InvalidOperation
from currency.opendata.cells import TOTAL, Fact, Key, aggregate
from currency.opendata.suppression import Rule, protect

UNKNOWN_AGE = "不明"
OLDEST_BAND = 90  # 90 and over in one band: few residents are older
PAYMENTS = "payments"
GRANTS = "grants"
DIMENSIONS = {
    PAYMENTS: ("district", "merchant_category", "age_band"),
    GRANTS: ("district", "programme", "age_band"),
}


@dataclass(frozen=True)
class PublishedCell:
    dims: Key
    count: int | None  # None: suppressed
    amount: int | None
    residents: int | None

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class Table:
    name: str
    dimensions: tuple[str, ...]
    cells: tuple[PublishedCell, ...]


@dataclass(frozen=True)
class MonthTables:
    month: date  # its first day
    rule: Rule
    tables: tuple[Table, ...]

    @property
    def label(self) -> str:
        return month_label(self.month)


def age_band(birth_year: int | None, year: int) -> str:
    """10-year bands of the age reached during the calendar year; 90 and over together."""
    if birth_year is None or birth_year > year:
        return UNKNOWN_AGE
    age = year - birth_year
    if age >= OLDEST_BAND:
        return f"{OLDEST_BAND}+"
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def build(name: str, facts: Iterable[Fact], rule: Rule) -> Table:
    """Aggregate, suppress, and publish: a suppressed cell shows no figure at all."""
    cells = aggregate(facts)
    hidden = protect(cells, rule, with_shops=name == PAYMENTS)
    published = []
    for key in sorted(cells, key=_order):
        cell = cells[key]
        if key in hidden:
            published.append(PublishedCell(key, None, None, None))
        else:
            published.append(PublishedCell(key, cell.count, cell.amount, cell.residents))
    return Table(name, DIMENSIONS[name], tuple(published))


def _order(key: Key) -> tuple[tuple[bool, str], ...]:
    """Interior cells first, margins after, the grand total last."""
    return tuple((value == TOTAL, value) for value in key)


def parse_month(text: str) -> date:
    """``2026-10`` → 2026-10-01; anything else is refused with an example."""
    if not re.fullmatch(r"\d{4}-\d{2}", text or ""):
        raise InvalidOperation(f"A month is written like 2026-10, not {text!r}.")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12:
        raise InvalidOperation(f"{text} is not a month: the month must be 01 to 12.")
    return date(year, month, 1)


def month_label(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
