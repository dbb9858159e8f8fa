"""Which unknowns a system of linear equations pins to one value (exact, modulo a large prime).

The equations are sparse (a margin equals the sum of its cells: a handful of ±1 per row), so
rows are dicts from column to coefficient. Working modulo the Mersenne prime 2**127 - 1 keeps
every number small; a coefficient of these 0/±1 systems vanishing modulo it by accident is
beyond any table this service publishes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PRIME = 2**127 - 1
Row = dict[int, int]


def pinned(rows: Iterable[Mapping[int, int]]) -> set[int]:
    """The columns whose value the equations alone determine (whatever the constants are).

    In reduced row echelon form, x_j is determined exactly when some row is the unit
    vector e_j: any combination of the rows has, at each pivot, that row's coefficient."""
    pivots = _reduce(rows)
    return {column for column, row in pivots.items() if len(row) == 1}


def _reduce(rows: Iterable[Mapping[int, int]]) -> dict[int, Row]:
    pivots: dict[int, Row] = {}
    for given in rows:
        row = {c: v % PRIME for c, v in given.items() if v % PRIME}
        for column in [c for c in row if c in pivots]:
            factor = row.get(column, 0)
            if factor:
                _subtract(row, pivots[column], factor)
        if not row:
            continue
        lead = min(row)
        inverse = pow(row[lead], PRIME - 2, PRIME)
        row = {c: v * inverse % PRIME for c, v in row.items()}
        for other in pivots.values():
            factor = other.get(lead, 0)
            if factor:
                _subtract(other, row, factor)
        pivots[lead] = row
    return pivots


def _subtract(row: Row, pivot: Mapping[int, int], factor: int) -> None:
    """row -= factor * pivot, in place, dropping the zeros."""
    for column, value in pivot.items():
        new = (row.get(column, 0) - factor * value) % PRIME
        if new:
            row[column] = new
        else:
            row.pop(column, None)
