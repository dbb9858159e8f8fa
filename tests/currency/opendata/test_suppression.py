"""Suppression: small cells hidden, and no hidden cell recoverable from what is published."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from currency.opendata.cells import MEASURES, TOTAL, Cell, Fact, Key, aggregate, lines
from currency.opendata.suppression import Rule, protect
from currency.opendata.tables import PAYMENTS, build

RULE = Rule(k=3, min_shops=2)


def fact(resident: int, dims: tuple[str, str, str], amount: int = 100, shop: int = 0) -> Fact:
    return Fact(resident=resident, dims=dims, count=1, amount=amount, shop=shop)


def crowd(dims: tuple[str, str, str], n: int, first: int = 0, amount: int = 100) -> list[Fact]:
    """``n`` residents paying ``amount`` each, at shops 0 and 1 alternately."""
    return [fact(first + i, dims, amount, shop=i % 2) for i in range(n)]


def null_space(rows: list[dict[int, Fraction]], size: int) -> list[dict[int, Fraction]]:
    """A basis of {v : row·v = 0 for every row}, by plain exact elimination (the attack's own)."""
    pivots: dict[int, dict[int, Fraction]] = {}
    for given_row in rows:
        row = {c: v for c, v in given_row.items() if v}
        for c in [c for c in row if c in pivots]:
            factor = row.get(c, Fraction(0))
            for cc, vv in pivots[c].items():
                row[cc] = row.get(cc, Fraction(0)) - factor * vv
            row = {cc: vv for cc, vv in row.items() if vv}
        if not row:
            continue
        lead = min(row)
        row = {c: v / row[lead] for c, v in row.items()}
        for other in pivots.values():
            factor = other.get(lead, Fraction(0))
            if factor:
                for cc, vv in row.items():
                    other[cc] = other.get(cc, Fraction(0)) - factor * vv
                for cc in [cc for cc, vv in other.items() if not vv]:
                    del other[cc]
        pivots[lead] = row
    basis = []
    for free in (c for c in range(size) if c not in pivots):
        vector = {free: Fraction(1)}
        for lead, row in pivots.items():
            if row.get(free):
                vector[lead] = -row[free]
        basis.append(vector)
    return basis


def attack(cells: dict[Key, Cell], hidden: set[Key], measure: str) -> dict[Key, tuple[int, int]]:
    """For each hidden cell, two non-negative solutions of every published sum that differ
    in it, checked directly against the published figures; a cell with none is recovered."""
    order = sorted(hidden)
    col = {k: i for i, k in enumerate(order)}
    truth = [Fraction(cells[k].measure(measure)) for k in order]
    equations = lines(cells)
    rows = [
        {col[k]: Fraction(1 if n == 0 else -1) for n, k in enumerate(eq) if k in col}
        for eq in equations
    ]
    zeros = [i for i, v in enumerate(truth) if v == 0]
    basis = null_space([*rows, *({z: Fraction(1)} for z in zeros)], len(order))
    spans: dict[Key, tuple[int, int]] = {}
    for j, key in enumerate(order):
        if truth[j] == 0:
            continue
        vector = next((v for v in basis if v.get(j)), None)
        assert vector is not None, f"{measure} of hidden cell {key} is recoverable"
        step = min(truth[i] / abs(x) for i, x in vector.items() if x) / 2
        moved = [truth[i] + step * vector.get(i, 0) for i in range(len(order))]
        for eq in equations:  # every published sum still holds, nothing negative
            value = {k: moved[col[k]] if k in col else cells[k].measure(measure) for k in eq}
            assert value[eq[0]] == sum(value[k] for k in eq[1:])
        assert min(moved, default=0) >= 0 and moved[j] != truth[j]
        spans[key] = (int(min(moved[j], truth[j])), int(max(moved[j], truth[j])) + 1)
    return spans


class TestPrimarySuppression:
    def test_a_cell_with_fewer_than_k_residents_is_hidden_with_a_partner(self) -> None:
        facts = [
            *crowd(("A", "food", "30-39"), 2),
            *crowd(("A", "food", "40-49"), 5, first=10),
            *crowd(("A", "cafe", "30-39"), 5, 20),
            *crowd(("A", "cafe", "40-49"), 6, 30),
        ]
        table = build(PAYMENTS, facts, RULE)
        hidden = {c.dims for c in table.cells if c.suppressed}
        assert ("A", "food", "30-39") in hidden
        assert len([k for k in hidden if k[0] == "A" and TOTAL not in k]) >= 2

    def test_k_is_a_parameter(self) -> None:
        facts = crowd(("A", "food", "30-39"), 4)
        assert not build(PAYMENTS, facts, Rule(k=3, min_shops=1)).cells[0].suppressed
        assert build(PAYMENTS, facts, Rule(k=5, min_shops=1)).cells[0].suppressed

    def test_a_category_with_one_shop_in_a_district_is_hidden_however_many_residents(self) -> None:
        facts = [fact(i, ("A", "bakery", "30-39"), shop=7) for i in range(20)]
        cells = aggregate(facts)
        assert ("A", "bakery", "30-39") in protect(cells, RULE, with_shops=True)
        assert ("A", "bakery", "30-39") not in protect(cells, RULE, with_shops=False)

    def test_a_cell_dominated_by_one_resident_is_hidden(self) -> None:
        facts = [*crowd(("A", "food", "30-39"), 5), fact(99, ("A", "food", "30-39"), 10_000)]
        assert ("A", "food", "30-39") in protect(aggregate(facts), RULE, with_shops=False)

    def test_nothing_is_hidden_when_every_cell_is_large(self) -> None:
        facts = [*crowd(("A", "food", "30-39"), 5), *crowd(("A", "cafe", "30-39"), 5, 10)]
        assert protect(aggregate(facts), RULE, with_shops=True) == set()


class TestComplementarySuppression:
    def test_no_published_sum_hides_exactly_one_of_its_terms(self) -> None:
        facts = [
            *crowd(("A", "food", "30-39"), 1),
            *crowd(("A", "food", "40-49"), 5, 10),
            *crowd(("B", "food", "30-39"), 6, 20),
            *crowd(("B", "cafe", "40-49"), 7, 30),
        ]
        cells = aggregate(facts)
        hidden = protect(cells, RULE, with_shops=True)
        assert all(sum(k in hidden for k in eq) != 1 for eq in lines(cells))

    def test_a_hidden_cell_cannot_be_worked_out_from_the_margins(self) -> None:
        facts = [
            *crowd(("A", "food", "30-39"), 2, amount=300),
            *crowd(("A", "food", "40-49"), 4, 10),
            *crowd(("A", "cafe", "30-39"), 4, 20),
            *crowd(("A", "cafe", "40-49"), 9, 30),
        ]
        cells = aggregate(facts)
        hidden = protect(cells, RULE, with_shops=True)
        spans = attack(cells, hidden, "amount")
        low, high = spans[("A", "food", "30-39")]
        assert high - low > 1  # the attacker is left with a range, not the 600 paid


@st.composite
def small_months(draw: st.DrawFn) -> list[Fact]:
    districts = ["A", "B", "C"][: draw(st.integers(1, 3))]
    categories = ["food", "cafe", "fuel"][: draw(st.integers(1, 3))]
    bands = ["20-29", "70-79", "不明"][: draw(st.integers(1, 3))]
    row = st.tuples(
        st.integers(0, 25),
        st.sampled_from(districts),
        st.sampled_from(categories),
        st.sampled_from(bands),
        st.integers(1, 3),
        st.integers(0, 900),
        st.integers(0, 5),
    )
    return [
        Fact(resident=r, dims=(d, c, a), count=n, amount=amount, shop=shop)
        for r, d, c, a, n, amount, shop in draw(st.lists(row, min_size=1, max_size=60))
    ]


@settings(max_examples=150, deadline=None)
@given(small_months())
def test_no_cell_under_k_is_published_nor_any_hidden_cell_recoverable(facts: list[Fact]) -> None:
    table = build(PAYMENTS, facts, RULE)
    cells = aggregate(facts)
    for published in table.cells:
        if not published.suppressed:
            assert published.residents is not None and published.residents >= RULE.k
            assert len(cells[published.dims].shops) >= RULE.min_shops
    hidden = {c.dims for c in table.cells if c.suppressed}
    for measure in MEASURES:
        attack(cells, hidden, measure)
