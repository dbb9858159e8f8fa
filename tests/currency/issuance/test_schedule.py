"""When things happen: settlement periods around month ends, and which rule is in force."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from currency.clock import JAPAN
from currency.errors import InvalidOperation
from currency.issuance.schedule import (
    RuleVersion,
    SettlementPeriod,
    cutoff_dates,
    rule_in_force,
    settlement_period,
)
from currency.issuance.standing_rules import SettlementSchedule

TWICE = SettlementSchedule(cutoff_days=(10, 25), payout_after_days=5)
MONTH_END = SettlementSchedule(cutoff_days=(31,), payout_after_days=10)


def period(schedule: SettlementSchedule, day: date) -> tuple[date, date, date]:
    found = settlement_period(schedule, day=day)
    return found.starts_on, found.ends_on, found.payout_on


class TestSettlementPeriod:
    @pytest.mark.parametrize(
        ("day", "starts_on", "ends_on"),
        [
            (date(2025, 1, 5), date(2024, 12, 26), date(2025, 1, 10)),
            (date(2025, 1, 10), date(2024, 12, 26), date(2025, 1, 10)),
            (date(2025, 1, 11), date(2025, 1, 11), date(2025, 1, 25)),
            (date(2025, 1, 25), date(2025, 1, 11), date(2025, 1, 25)),
            (date(2025, 1, 26), date(2025, 1, 26), date(2025, 2, 10)),
            (date(2024, 12, 31), date(2024, 12, 26), date(2025, 1, 10)),
        ],
    )
    def test_the_cut_off_day_closes_its_period(
        self, day: date, starts_on: date, ends_on: date
    ) -> None:
        assert period(TWICE, day) == (starts_on, ends_on, ends_on + timedelta(days=5))

    def test_payout_may_fall_in_the_next_month(self) -> None:
        assert period(TWICE, date(2025, 1, 20))[2] == date(2025, 1, 30)
        assert period(MONTH_END, date(2025, 1, 20))[2] == date(2025, 2, 10)

    @pytest.mark.parametrize(
        ("day", "ends_on"),
        [
            (date(2023, 2, 15), date(2023, 2, 28)),
            (date(2024, 2, 15), date(2024, 2, 29)),
            (date(2100, 2, 15), date(2100, 2, 28)),  # not a leap year
            (date(2000, 2, 15), date(2000, 2, 29)),  # a leap year
            (date(2025, 4, 30), date(2025, 4, 30)),
        ],
    )
    def test_a_cut_off_on_the_31st_is_the_last_day_of_shorter_months(
        self, day: date, ends_on: date
    ) -> None:
        starts_on, found_end, _ = period(MONTH_END, day)
        assert (starts_on, found_end) == (day.replace(day=1), ends_on)

    def test_february_in_a_leap_year_with_a_mid_month_cut_off(self) -> None:
        schedule = SettlementSchedule(cutoff_days=(15, 31))
        assert period(schedule, date(2024, 2, 29))[:2] == (date(2024, 2, 16), date(2024, 2, 29))
        assert period(schedule, date(2024, 3, 1))[:2] == (date(2024, 3, 1), date(2024, 3, 15))

    def test_a_cut_off_on_the_30th_moves_to_february_end_and_back(self) -> None:
        schedule = SettlementSchedule(cutoff_days=(30,))
        assert period(schedule, date(2025, 2, 10))[:2] == (date(2025, 1, 31), date(2025, 2, 28))
        assert period(schedule, date(2025, 3, 1))[:2] == (date(2025, 3, 1), date(2025, 3, 30))
        assert period(schedule, date(2025, 3, 31))[:2] == (date(2025, 3, 31), date(2025, 4, 30))

    def test_cut_offs_that_meet_at_february_end_become_one(self) -> None:
        schedule = SettlementSchedule(cutoff_days=(29, 30, 31))
        assert cutoff_dates(schedule, 2023, 2) == [date(2023, 2, 28)]
        assert cutoff_dates(schedule, 2024, 2) == [date(2024, 2, 29)]
        assert len(cutoff_dates(schedule, 2024, 3)) == 3

    def test_a_period_knows_which_days_it_holds(self) -> None:
        found = settlement_period(TWICE, day=date(2025, 1, 15))
        assert date(2025, 1, 11) in found and date(2025, 1, 25) in found
        assert date(2025, 1, 26) not in found and "2025-01-15" not in found

    @given(
        cutoffs=st.sets(st.integers(1, 31), min_size=1, max_size=5),
        day=st.dates(date(1999, 1, 1), date(2101, 12, 31)),
    )
    def test_the_period_holds_the_day_and_the_next_starts_after_it(
        self, cutoffs: set[int], day: date
    ) -> None:
        schedule = SettlementSchedule(cutoff_days=tuple(cutoffs))
        found = settlement_period(schedule, day=day)
        assert day in found
        assert found.ends_on in cutoff_dates(schedule, found.ends_on.year, found.ends_on.month)
        after = settlement_period(schedule, day=found.ends_on + timedelta(days=1))
        assert after.starts_on == found.ends_on + timedelta(days=1)
        assert settlement_period(schedule, day=found.starts_on) == found


T0 = datetime(2025, 4, 1, tzinfo=JAPAN)
DAY = timedelta(days=1)


def approved(version: int, starts_at: datetime, approved_at: datetime = T0) -> RuleVersion[str]:
    return RuleVersion(version, "approved", approved_at, starts_at, f"rule v{version}")


class TestRuleInForce:
    def test_the_latest_approved_version_that_has_started_is_in_force(self) -> None:
        versions = [approved(1, T0), approved(2, T0 + 10 * DAY)]
        assert rule_in_force(versions, now=T0 + 5 * DAY) == versions[0]
        assert rule_in_force(versions, now=T0 + 10 * DAY) == versions[1]

    def test_nothing_is_in_force_before_the_first_start(self) -> None:
        assert rule_in_force([approved(1, T0 + DAY)], now=T0) is None
        assert rule_in_force([], now=T0) is None

    def test_drafts_and_rejected_versions_never_count(self) -> None:
        versions = [
            approved(1, T0),
            RuleVersion(2, "draft", None, T0, "draft"),
            RuleVersion(3, "rejected", None, T0, "rejected"),
        ]
        assert rule_in_force(versions, now=T0 + DAY) == versions[0]

    def test_a_backdated_start_takes_effect_only_once_approved(self) -> None:
        versions = [approved(1, T0), approved(2, T0, approved_at=T0 + 3 * DAY)]
        assert rule_in_force(versions, now=T0 + DAY) == versions[0]
        assert rule_in_force(versions, now=T0 + 3 * DAY) == versions[1]

    def test_a_newer_version_supersedes_an_older_one_that_starts_later(self) -> None:
        versions = [approved(1, T0), approved(2, T0 + 30 * DAY), approved(3, T0 + DAY)]
        assert rule_in_force(versions, now=T0 + 40 * DAY) == versions[2]

    def test_two_versions_with_one_number_are_refused(self) -> None:
        with pytest.raises(InvalidOperation, match="unique"):
            rule_in_force([approved(1, T0), approved(1, T0 + DAY)], now=T0)

    def test_an_approved_version_needs_its_approval_time(self) -> None:
        with pytest.raises(InvalidOperation, match="approved_at"):
            RuleVersion(1, "approved", None, T0, "rule")
        with pytest.raises(InvalidOperation, match="approved_at"):
            RuleVersion(1, "draft", T0, T0, "rule")

    def test_times_must_be_aware(self) -> None:
        with pytest.raises(InvalidOperation, match="aware"):
            RuleVersion(1, "draft", None, T0.replace(tzinfo=None), "rule")
        with pytest.raises(InvalidOperation, match="aware"):
            rule_in_force([approved(1, T0)], now=T0.replace(tzinfo=None))


def test_a_period_is_plain_data() -> None:
    same = SettlementPeriod(date(2025, 1, 11), date(2025, 1, 25), date(2025, 1, 30))
    assert settlement_period(TWICE, day=date(2025, 1, 12)) == same
