"""The spending planner: which lots a payment draws from, and how much."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from currency.errors import InsufficientBalance, InvalidOperation
from currency.ledger.spending import (
    Draw,
    LotKind,
    Payee,
    Plan,
    SpendableLot,
    accepts,
    for_payee,
    of_kinds,
    plan,
)

TODAY = date(2025, 6, 1)
SOON = TODAY + timedelta(days=3)
LATER = TODAY + timedelta(days=30)

SHOP = Payee(tags=frozenset({"small-business", "food"}), district="ume")


def lot(
    id: int,
    amount: int,
    *,
    kind: LotKind = "coin",
    expires_on: date = LATER,
    tags: frozenset[str] | None = None,
    districts: frozenset[str] | None = None,
) -> SpendableLot:
    return SpendableLot(
        id=id,
        kind=kind,
        amount_remaining=amount,
        expires_on=expires_on,
        allowed_tags=tags,
        allowed_districts=districts,
    )


def drawn(result: Plan) -> list[tuple[int, int]]:
    return [(draw.lot.id, draw.amount) for draw in result.draws]


class TestPlan:
    def test_soonest_expiring_lot_is_spent_first(self) -> None:
        lots = [lot(1, 500, expires_on=LATER), lot(2, 500, expires_on=SOON)]
        assert drawn(plan(lots, amount=300, today=TODAY)) == [(2, 300)]

    def test_points_are_spent_before_coins_expiring_the_same_day(self) -> None:
        lots = [lot(1, 500, kind="coin"), lot(2, 500, kind="point")]
        result = plan(lots, amount=700, today=TODAY)
        assert drawn(result) == [(2, 500), (1, 200)]
        assert result.by_kind() == {"point": 500, "coin": 200}

    def test_an_earlier_expiring_coin_goes_before_a_later_point(self) -> None:
        lots = [lot(1, 100, kind="point", expires_on=LATER), lot(2, 100, expires_on=SOON)]
        assert drawn(plan(lots, amount=150, today=TODAY)) == [(2, 100), (1, 50)]

    def test_smaller_id_goes_first_when_date_and_kind_tie(self) -> None:
        lots = [lot(9, 100), lot(3, 100), lot(5, 100)]
        assert drawn(plan(lots, amount=250, today=TODAY)) == [(3, 100), (5, 100), (9, 50)]

    def test_last_lot_is_drawn_only_partially(self) -> None:
        lots = [lot(1, 100, expires_on=SOON), lot(2, 1000)]
        result = plan(lots, amount=130, today=TODAY)
        assert drawn(result) == [(1, 100), (2, 30)]
        assert result.amount == 130

    def test_exact_amount_drains_every_lot_and_draws_nothing_more(self) -> None:
        lots = [lot(1, 100, expires_on=SOON), lot(2, 200)]
        assert drawn(plan(lots, amount=300, today=TODAY)) == [(1, 100), (2, 200)]

    def test_amount_covered_by_the_first_lot_leaves_the_others_untouched(self) -> None:
        lots = [lot(1, 100, expires_on=SOON), lot(2, 200)]
        assert drawn(plan(lots, amount=100, today=TODAY)) == [(1, 100)]

    def test_lot_is_usable_on_its_expiry_day(self) -> None:
        assert drawn(plan([lot(1, 100, expires_on=TODAY)], amount=100, today=TODAY)) == [(1, 100)]

    def test_lot_is_not_usable_the_day_after_its_expiry(self) -> None:
        with pytest.raises(InsufficientBalance) as raised:
            plan([lot(1, 100, expires_on=TODAY)], amount=100, today=TODAY + timedelta(days=1))
        assert (raised.value.total, raised.value.spendable) == (0, 0)

    def test_lots_with_nothing_remaining_are_skipped(self) -> None:
        lots = [lot(1, 0, expires_on=SOON), lot(2, 100)]
        assert drawn(plan(lots, amount=50, today=TODAY)) == [(2, 50)]

    def test_works_with_a_one_shot_iterator(self) -> None:
        lots = iter([lot(1, 100, expires_on=SOON), lot(2, 100)])
        assert drawn(plan(lots, amount=150, today=TODAY)) == [(1, 100), (2, 50)]

    def test_input_is_not_mutated(self) -> None:
        lots = [lot(2, 100), lot(1, 100, kind="point"), lot(3, 50, expires_on=SOON)]
        before = copy.deepcopy(lots)
        plan(lots, amount=220, today=TODAY)
        assert lots == before

    def test_same_input_gives_the_same_plan(self) -> None:
        lots = [lot(i, 10 * i, kind="point" if i % 2 else "coin") for i in range(1, 8)]
        assert plan(lots, amount=123, today=TODAY) == plan(
            list(reversed(lots)), amount=123, today=TODAY
        )


class TestInsufficientBalance:
    def test_reports_requested_total_and_spendable(self) -> None:
        lots = [lot(1, 100), lot(2, 50)]
        with pytest.raises(InsufficientBalance) as raised:
            plan(lots, amount=151, today=TODAY)
        assert (raised.value.requested, raised.value.total, raised.value.spendable) == (
            151,
            150,
            150,
        )

    def test_restricted_lots_count_in_total_but_not_in_spendable(self) -> None:
        lots = [lot(1, 100), lot(2, 300, kind="point", tags=frozenset({"pharmacy"}))]
        with pytest.raises(InsufficientBalance) as raised:
            plan(lots, amount=200, today=TODAY, accept=for_payee(SHOP))
        assert (raised.value.total, raised.value.spendable) == (400, 100)
        assert raised.value.restricted == 300

    def test_expired_lots_count_in_neither_total_nor_spendable(self) -> None:
        lots = [lot(1, 100), lot(2, 900, expires_on=TODAY - timedelta(days=1))]
        with pytest.raises(InsufficientBalance) as raised:
            plan(lots, amount=200, today=TODAY)
        assert (raised.value.total, raised.value.spendable) == (100, 100)

    def test_empty_wallet_has_nothing_to_spend(self) -> None:
        with pytest.raises(InsufficientBalance) as raised:
            plan([], amount=1, today=TODAY)
        assert (raised.value.total, raised.value.spendable) == (0, 0)


class TestAmountValidation:
    @pytest.mark.parametrize("amount", [0, -1, True, 1.5, "100", None])
    def test_amount_that_is_not_a_positive_whole_number_is_refused(self, amount: object) -> None:
        with pytest.raises(InvalidOperation, match="amount"):
            plan([lot(1, 100)], amount=amount, today=TODAY)  # type: ignore[arg-type]

    def test_draw_larger_than_the_lot_is_refused(self) -> None:
        with pytest.raises(InvalidOperation):
            Draw(lot=lot(1, 100), amount=101)

    def test_plan_whose_amount_differs_from_its_draws_is_refused(self) -> None:
        with pytest.raises(InvalidOperation):
            Plan(draws=(Draw(lot=lot(1, 100), amount=40),), amount=50)


class TestRestrictions:
    def test_tag_restricted_lot_needs_one_matching_tag(self) -> None:
        restricted = lot(1, 100, tags=frozenset({"small-business", "pharmacy"}))
        assert accepts(SHOP, restricted)
        assert not accepts(Payee(tags=frozenset({"chain"}), district="ume"), restricted)
        assert not accepts(Payee(tags=frozenset(), district="ume"), restricted)

    def test_district_restricted_lot_needs_the_merchants_district(self) -> None:
        restricted = lot(1, 100, districts=frozenset({"ume", "kamiura"}))
        assert accepts(SHOP, restricted)
        assert not accepts(Payee(tags=SHOP.tags, district="yayoi"), restricted)
        assert not accepts(Payee(tags=SHOP.tags, district=None), restricted)

    def test_both_restrictions_must_hold(self) -> None:
        restricted = lot(1, 100, tags=frozenset({"food"}), districts=frozenset({"ume"}))
        assert accepts(SHOP, restricted)
        assert not accepts(Payee(tags=frozenset({"food"}), district="yayoi"), restricted)
        assert not accepts(Payee(tags=frozenset({"chain"}), district="ume"), restricted)

    def test_unrestricted_lot_is_accepted_anywhere(self) -> None:
        assert accepts(Payee(tags=frozenset(), district=None), lot(1, 100))

    def test_plan_for_a_payee_skips_lots_the_payee_may_not_take(self) -> None:
        lots = [
            lot(1, 100, kind="point", expires_on=SOON, districts=frozenset({"yayoi"})),
            lot(2, 100, kind="point", expires_on=SOON, tags=frozenset({"food"})),
            lot(3, 100),
        ]
        assert drawn(plan(lots, amount=150, today=TODAY, accept=for_payee(SHOP))) == [
            (2, 100),
            (3, 50),
        ]

    def test_coins_only_excludes_points(self) -> None:
        lots = [lot(1, 100, kind="point", expires_on=SOON), lot(2, 100, kind="coin")]
        result = plan(lots, amount=80, today=TODAY, accept=of_kinds(["coin"]))
        assert drawn(result) == [(2, 80)]
        assert result.by_kind() == {"coin": 80}

    def test_coins_only_reports_points_as_restricted(self) -> None:
        lots = [lot(1, 100, kind="point"), lot(2, 30, kind="coin")]
        with pytest.raises(InsufficientBalance) as raised:
            plan(lots, amount=50, today=TODAY, accept=of_kinds(["coin"]))
        assert (raised.value.total, raised.value.spendable) == (130, 30)


# --- property: the plan against a small independent model ------------------------------------

DISTRICTS = ["ume", "yayoi", "kamiura"]
TAGS = ["food", "small-business", "pharmacy"]


@st.composite
def lots_strategy(draw: st.DrawFn) -> list[SpendableLot]:
    ids = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=8))
    return [
        SpendableLot(
            id=lot_id,
            kind=draw(st.sampled_from(["coin", "point"])),
            amount_remaining=draw(st.integers(0, 500)),
            expires_on=TODAY + timedelta(days=draw(st.integers(-3, 5))),
            allowed_tags=draw(st.none() | st.frozensets(st.sampled_from(TAGS), max_size=2)),
            allowed_districts=draw(
                st.none() | st.frozensets(st.sampled_from(DISTRICTS), max_size=2)
            ),
        )
        for lot_id in ids
    ]


payees = st.builds(
    Payee,
    tags=st.frozensets(st.sampled_from(TAGS), max_size=2),
    district=st.none() | st.sampled_from(DISTRICTS),
)


def model_order(item: SpendableLot) -> tuple[date, bool, int]:
    return (item.expires_on, item.kind == "coin", item.id)


@given(lots=lots_strategy(), payee=payees, amount=st.integers(1, 2500))
def test_plan_spends_usable_lots_in_order_or_reports_the_shortfall(
    lots: list[SpendableLot], payee: Payee, amount: int
) -> None:
    live = [x for x in lots if x.amount_remaining > 0 and TODAY <= x.expires_on]
    usable = sorted((x for x in live if accepts(payee, x)), key=model_order)
    spendable = sum(x.amount_remaining for x in usable)
    try:
        result = plan(lots, amount=amount, today=TODAY, accept=for_payee(payee))
    except InsufficientBalance as error:
        assert spendable < amount
        assert error.spendable == spendable
        assert error.total == sum(x.amount_remaining for x in live)
        return
    assert spendable >= amount
    assert sum(d.amount for d in result.draws) == result.amount == amount
    assert all(0 < d.amount <= d.lot.amount_remaining for d in result.draws)
    assert all(d.lot in usable for d in result.draws)
    # Draws are a prefix of the spending order; every lot but the last is drained.
    assert [d.lot for d in result.draws] == usable[: len(result.draws)]
    assert all(d.amount == d.lot.amount_remaining for d in result.draws[:-1])
