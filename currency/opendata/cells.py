"""Cells of a published table: every combination of its dimensions, margins included.

A table has three dimensions (e.g. district × merchant category × age band). Each cell is
keyed by one value per dimension, ``TOTAL`` standing for "all of them": so the interior
cells, the three two-way margins, the three one-way margins and the grand total are all
cells of one dictionary, and every published sum is an equation between them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import product

TOTAL = "計"
Key = tuple[str, ...]
MEASURES = ("count", "amount")  # the additive measures; margins are their sums


@dataclass(frozen=True)
class Fact:
    """What one resident did at one shop (or in one programme) in the month, summed."""

    resident: int
    dims: Key
    count: int
    amount: int
    shop: int | None = None


@dataclass
class Cell:
    count: int = 0
    amount: int = 0
    by_resident: Counter[int] = field(default_factory=Counter)
    shops: set[int] = field(default_factory=set)

    @property
    def residents(self) -> int:
        return len(self.by_resident)

    @property
    def top_amount(self) -> int:
        """What the largest single contributor put into this cell."""
        return max(self.by_resident.values(), default=0)

    def measure(self, name: str) -> int:
        value: int = getattr(self, name)
        return value


def aggregate(facts: Iterable[Fact], dimensions: int = 3) -> dict[Key, Cell]:
    """Every non-empty cell at every level of aggregation."""
    cells: dict[Key, Cell] = defaultdict(Cell)
    masks = list(product((False, True), repeat=dimensions))
    for fact in facts:
        for mask in masks:
            key = tuple(
                TOTAL if hide else value for hide, value in zip(mask, fact.dims, strict=True)
            )
            cell = cells[key]
            cell.count += fact.count
            cell.amount += fact.amount
            cell.by_resident[fact.resident] += fact.amount
            if fact.shop is not None:
                cell.shops.add(fact.shop)
    return dict(cells)


def lines(keys: Iterable[Key]) -> list[tuple[Key, ...]]:
    """The published equations: each is (margin, *its cells along one dimension).

    Empty cells are left out: they are published as absent (zero), known to everyone."""
    found: dict[tuple[Key, int], list[Key]] = defaultdict(list)
    for key in keys:
        for position, value in enumerate(key):
            if value != TOTAL:
                found[((*key[:position], TOTAL, *key[position + 1 :]), position)].append(key)
    return [(margin, *sorted(members)) for (margin, _), members in sorted(found.items())]


def by_member(equations: list[tuple[Key, ...]]) -> Mapping[Key, list[int]]:
    """For each cell, the equations it appears in (by index)."""
    index: dict[Key, list[int]] = defaultdict(list)
    for number, equation in enumerate(equations):
        for key in equation:
            index[key].append(number)
    return index
