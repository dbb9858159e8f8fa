"""Which cells of a table to hide, so that no small group of residents or shops shows.

1. Primary: a cell backed by fewer than ``k`` distinct residents, by fewer than
   ``min_shops`` distinct shops (a category in a district with one or two shops would
   publish their takings), or where one resident makes up more than half of the amount.
2. Complementary: every published sum (each margin = the sum of its cells along one
   dimension, up to the grand total) must hide none or at least two of its terms,
   otherwise the hidden one is the margin minus the others.
3. Audit: that rule alone can still leave a cell recoverable by combining several sums.
   Each hidden cell is checked exactly: if the published equations (with what is known
   to be zero) pin its count or amount to one value, another cell is hidden, and round
   again until no hidden value can be recovered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from currency.opendata import algebra
from currency.opendata.cells import MEASURES, Cell, Key, by_member, lines

Equation = tuple[Key, ...]


@dataclass(frozen=True)
class Rule:
    k: int = 10
    min_shops: int = 3
    dominance: float = 0.5  # a single resident's share of a cell's amount that hides it

    def sensitive(self, cell: Cell, *, with_shops: bool) -> bool:
        if 0 < cell.residents < self.k:
            return True
        if with_shops and len(cell.shops) < self.min_shops:
            return True
        return cell.amount > 0 and cell.top_amount > self.dominance * cell.amount


def protect(cells: Mapping[Key, Cell], rule: Rule, *, with_shops: bool) -> set[Key]:
    """The cells to publish as suppressed: primary, then complementary until none is recoverable."""
    hidden = {key for key, cell in cells.items() if rule.sensitive(cell, with_shops=with_shops)}
    equations = lines(cells)
    member_of = by_member(equations)
    while True:
        _close_lines(hidden, equations, cells)
        exposed = recoverable(cells, hidden, equations)
        if not exposed:
            return hidden
        covers = {_cover(key, hidden, equations, member_of, cells) for key in sorted(exposed)}
        covers.discard(None)
        if not covers:  # everything non-empty is hidden: nothing left to recover from
            return hidden
        hidden |= {c for c in covers if c is not None}


def _smallest(candidates: list[Key], cells: Mapping[Key, Cell]) -> Key | None:
    if not candidates:
        return None
    return min(candidates, key=lambda k: (cells[k].amount, cells[k].count, k))


def _close_lines(hidden: set[Key], equations: list[Equation], cells: Mapping[Key, Cell]) -> None:
    """Until stable: a sum hiding exactly one of its terms hides its next-smallest term too."""
    changed = True
    while changed:
        changed = False
        for equation in equations:
            if sum(key in hidden for key in equation) == 1:
                extra = _smallest([k for k in equation if k not in hidden], cells)
                if extra is not None:
                    hidden.add(extra)
                    changed = True


def _cover(
    key: Key,
    hidden: set[Key],
    equations: list[Equation],
    member_of: Mapping[Key, list[int]],
    cells: Mapping[Key, Cell],
) -> Key | None:
    near = [k for n in member_of.get(key, []) for k in equations[n] if k not in hidden]
    return _smallest(near, cells) or _smallest([k for k in cells if k not in hidden], cells)


def recoverable(
    cells: Mapping[Key, Cell], hidden: set[Key], equations: list[Equation] | None = None
) -> set[Key]:
    """Hidden cells whose count or amount the published sums pin to a single value.

    The attacker knows every published value and that nothing is negative. A hidden
    value that is zero may be pinned by non-negativity alone, so those are treated as
    known (a stronger attacker): then a hidden positive value is pinned exactly when the
    equations pin it — otherwise a small move along the equations' null space stays
    feasible and changes it. Hidden zeros themselves are not counted as exposed."""
    order = sorted(hidden)
    column = {key: i for i, key in enumerate(order)}
    rows = [
        {column[k]: (1 if n == 0 else -1) for n, k in enumerate(eq) if k in column}
        for eq in (equations if equations is not None else lines(cells))
    ]
    rows = [r for r in rows if r]
    exposed: set[Key] = set()
    for measure in MEASURES:
        zeros = {column[k] for k in order if cells[k].measure(measure) == 0}
        found = algebra.pinned([*rows, *({z: 1} for z in zeros)]) - zeros
        exposed |= {order[i] for i in found}
    return exposed
