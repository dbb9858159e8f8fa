"""What a rule allows: premiums, point grants, lot expiry, wallet limits, sending, fees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from currency.clock import JAPAN
from currency.errors import CurrencyError, InvalidOperation
from currency.issuance.policy import (
    Refusal,
    RuleRefused,
    check_charge,
    check_payment,
    check_send,
    lot_expiry,
    merchant_fee,
    points_for_grant,
    premium_for_charge,
    premium_lot_expiry,
    programme_lot_expiry,
    refuse_if,
    six_months_last_day,
)
from currency.issuance.rules import (
    ChargePremium,
    ExpiryPolicy,
    MerchantFee,
    PointProgramme,
    SendPolicy,
    WalletLimits,
)

START = datetime(2025, 4, 1, tzinfo=JAPAN)
END = datetime(2025, 7, 1, tzinfo=JAPAN)
DURING = datetime(2025, 5, 15, 10, 30, tzinfo=JAPAN)
US = timedelta(microseconds=1)


def campaign(**changes: Any) -> ChargePremium:
    data: dict[str, Any] = {
        "code": "spring-2025",
        "name": {"ja": "春のプレミアム", "en": "Spring premium"},
        "rate_bp": 2000,
        "premium_kind": "point",
        "cap_per_resident": 5_000,
        "budget": 1_000_000,
        "starts_at": START,
        "ends_at": END,
        "channels": ["counter", "kiosk"],
    }
    return ChargePremium.model_validate({**data, **changes})


def premium(rule: ChargePremium | None = None, **changes: Any) -> Any:
    args: dict[str, Any] = {
        "channel": "counter",
        "charged": 10_000,
        "now": DURING,
        "resident_received": 0,
        "campaign_spent": 0,
    }
    return premium_for_charge(rule or campaign(), **{**args, **changes})


class TestPremium:
    def test_a_charge_in_the_window_earns_the_rate(self) -> None:
        result = premium()
        assert (result.amount, result.full_amount, result.reason) == (2_000, 2_000, None)
        assert result.kind == "point"

    def test_the_premium_is_floored_to_a_whole_unit(self) -> None:
        assert premium(charged=999).amount == 199  # 199.8

    def test_the_window_opens_at_its_start_inclusive(self) -> None:
        assert premium(now=START).amount == 2_000
        assert premium(now=START - US).reason == "not_started"
        assert premium(now=START - US).amount == 0

    def test_the_window_closes_at_its_end_exclusive(self) -> None:
        assert premium(now=END - US).amount == 2_000
        assert (premium(now=END).amount, premium(now=END).reason) == (0, "ended")

    def test_the_same_instant_in_utc_counts_the_same(self) -> None:
        assert premium(now=START.astimezone(UTC)).amount == 2_000

    def test_a_naive_now_is_refused(self) -> None:
        with pytest.raises(InvalidOperation, match="aware"):
            premium(now=DURING.replace(tzinfo=None))

    def test_a_channel_outside_the_campaign_earns_nothing(self) -> None:
        result = premium(channel="provider")
        assert (result.amount, result.reason, result.full_amount) == (0, "channels", 2_000)

    def test_reaching_the_resident_cap_exactly_is_not_a_reduction(self) -> None:
        result = premium(resident_received=3_000)
        assert (result.amount, result.reason) == (2_000, None)

    def test_the_resident_cap_cuts_the_premium_and_says_so(self) -> None:
        result = premium(resident_received=3_500)
        assert (result.amount, result.reason, result.reduced_by) == (1_500, "cap_per_resident", 500)

    def test_a_resident_at_the_cap_gets_nothing_more(self) -> None:
        assert premium(resident_received=5_000).amount == 0

    def test_a_budget_smaller_than_the_premium_gives_what_is_left(self) -> None:
        result = premium(campaign_spent=1_000_000 - 300)
        assert (result.amount, result.reason) == (300, "budget")

    def test_an_overspent_budget_gives_nothing_never_a_negative(self) -> None:
        assert premium(campaign_spent=1_000_050).amount == 0

    def test_when_both_limits_bite_the_tighter_one_is_named(self) -> None:
        assert premium(resident_received=4_900, campaign_spent=999_000).reason == "cap_per_resident"
        assert premium(resident_received=3_500, campaign_spent=999_900).reason == "budget"

    def test_negative_amounts_are_refused(self) -> None:
        with pytest.raises(InvalidOperation, match="charged"):
            premium(charged=-1)

    @given(
        rate=st.integers(0, 10_000),
        cap=st.integers(1, 10_000),
        budget=st.integers(10_000, 100_000),
        charged=st.integers(0, 10**7),
        received=st.integers(0, 12_000),
        spent=st.integers(0, 120_000),
    )
    def test_the_premium_never_passes_the_cap_or_the_budget_left(
        self, rate: int, cap: int, budget: int, charged: int, received: int, spent: int
    ) -> None:
        rule = campaign(rate_bp=rate, cap_per_resident=cap, budget=budget)
        result = premium(rule, charged=charged, resident_received=received, campaign_spent=spent)
        assert 0 <= result.amount <= result.full_amount <= charged
        assert result.amount <= max(0, cap - received)
        assert result.amount <= max(0, budget - spent)
        assert (result.reason is None) == (result.amount == result.full_amount)


def programme(**changes: Any) -> PointProgramme:
    data: dict[str, Any] = {
        "code": "volunteer",
        "name": {"ja": "ボランティアポイント", "en": "Volunteer points"},
        "activities": [
            {"code": "cleanup", "name": {"ja": "清掃", "en": "Clean-up"}, "points": 100},
            {"code": "festival", "name": {"ja": "祭り", "en": "Festival"}, "points": 300},
        ],
        "monthly_cap": 1_000,
        "yearly_cap": 5_000,
        "budget": 100_000,
    }
    return PointProgramme.model_validate({**data, **changes})


def grant(rule: PointProgramme | None = None, **changes: Any) -> int:
    args: dict[str, Any] = {
        "activity": "cleanup",
        "month_total": 0,
        "year_total": 0,
        "programme_spent": 0,
    }
    return points_for_grant(rule or programme(), **{**args, **changes})


def refused(**changes: Any) -> Refusal:
    with pytest.raises(RuleRefused) as caught:
        grant(**changes)
    return caught.value.refusal


class TestPointGrant:
    def test_an_activity_earns_its_points(self) -> None:
        assert grant(activity="festival") == 300

    def test_staff_may_override_the_points(self) -> None:
        assert grant(points=250) == 250

    def test_an_unknown_activity_is_an_invalid_request(self) -> None:
        with pytest.raises(InvalidOperation, match="marathon"):
            grant(activity="marathon")

    def test_an_override_must_be_positive(self) -> None:
        with pytest.raises(InvalidOperation, match="positive"):
            grant(points=0)

    def test_reaching_the_monthly_cap_exactly_is_allowed(self) -> None:
        assert grant(month_total=900) == 100

    def test_one_point_past_the_monthly_cap_is_refused_with_the_amounts(self) -> None:
        refusal = refused(month_total=901)
        assert (refusal.code, refusal.limit, refusal.used) == ("monthly_cap", 1_000, 901)
        assert (refusal.requested, refusal.remaining, refusal.excess) == (100, 99, 1)

    def test_the_yearly_cap_refuses_even_in_a_quiet_month(self) -> None:
        refusal = refused(year_total=4_950)
        assert (refusal.code, refusal.excess) == ("yearly_cap", 50)

    def test_the_programme_budget_refuses_when_it_runs_out(self) -> None:
        refusal = refused(programme_spent=99_980)
        assert (refusal.code, refusal.remaining) == ("budget", 20)

    def test_the_tightest_cap_is_named_when_several_are_passed(self) -> None:
        assert refused(month_total=950, year_total=4_990).code == "yearly_cap"
        assert refused(month_total=990, year_total=4_950).code == "monthly_cap"

    def test_a_programme_without_caps_is_limited_by_its_budget_only(self) -> None:
        uncapped = programme(monthly_cap=None, yearly_cap=None)
        assert grant(uncapped, month_total=10**6, year_total=10**6) == 100

    def test_a_refusal_is_a_domain_error_and_a_value_error(self) -> None:
        with pytest.raises(RuleRefused) as caught:
            grant(month_total=1_000)
        assert isinstance(caught.value, CurrencyError) and isinstance(caught.value, ValueError)
        assert caught.value.code == "monthly_cap"
        assert "over by 100" in str(caught.value)

    @given(
        points=st.integers(1, 2_000),
        month=st.integers(0, 1_500),
        year=st.integers(0, 6_000),
        spent=st.integers(0, 120_000),
    )
    def test_a_grant_never_takes_a_total_past_its_cap(
        self, points: int, month: int, year: int, spent: int
    ) -> None:
        try:
            granted = grant(
                points=points, month_total=month, year_total=year, programme_spent=spent
            )
        except RuleRefused as refusal:
            assert 0 < refusal.refusal.excess <= points
            return
        assert month + granted <= 1_000 and year + granted <= 5_000
        assert spent + granted <= 100_000


POLICY = ExpiryPolicy()
APRIL_1 = date(2025, 4, 1)


class TestLotExpiry:
    def test_coins_last_180_days_from_issue(self) -> None:
        assert lot_expiry(POLICY, kind="coin", issued_on=APRIL_1) == date(2025, 9, 28)

    def test_points_last_a_year_by_default(self) -> None:
        assert lot_expiry(POLICY, kind="point", issued_on=APRIL_1) == date(2026, 4, 1)

    def test_a_programme_counts_its_own_days_from_the_grant(self) -> None:
        rule = programme(expiry={"days_from_grant": 90})
        assert programme_lot_expiry(POLICY, rule, granted_on=APRIL_1) == date(2025, 6, 30)

    def test_a_programme_fixed_date_wins(self) -> None:
        rule = programme(expiry={"fixed_date": "2026-03-31"})
        assert programme_lot_expiry(POLICY, rule, granted_on=APRIL_1) == date(2026, 3, 31)

    def test_a_programme_without_expiry_follows_the_policy(self) -> None:
        assert programme_lot_expiry(POLICY, programme(), granted_on=APRIL_1) == date(2026, 4, 1)

    def test_a_grant_after_the_fixed_date_is_refused(self) -> None:
        rule = programme(expiry={"fixed_date": "2025-03-31"})
        with pytest.raises(InvalidOperation, match="before the issue day"):
            programme_lot_expiry(POLICY, rule, granted_on=APRIL_1)

    def test_a_premium_uses_its_own_expiry_days(self) -> None:
        rule = campaign(premium_expiry_days=30)
        assert premium_lot_expiry(POLICY, rule, issued_on=APRIL_1) == date(2025, 5, 1)

    def test_a_coin_premium_cannot_outlive_six_months(self) -> None:
        rule = campaign(premium_kind="coin", premium_expiry_days=200)
        with pytest.raises(RuleRefused) as caught:
            premium_lot_expiry(POLICY, rule, issued_on=APRIL_1)
        assert caught.value.code == "six_month_limit"
        assert caught.value.refusal.excess == 200 - 182  # 1 April → 30 September

    def test_without_the_six_month_limit_coins_may_last_longer(self) -> None:
        city_issued = ExpiryPolicy(coin_days=365, six_month_limit=False)
        assert lot_expiry(city_issued, kind="coin", issued_on=APRIL_1) == date(2026, 4, 1)

    @pytest.mark.parametrize(
        ("issued_on", "last_day"),
        [
            (date(2025, 4, 1), date(2025, 9, 30)),
            (date(2025, 9, 1), date(2026, 2, 28)),
            (date(2023, 9, 1), date(2024, 2, 29)),
            (date(2025, 8, 31), date(2026, 2, 28)),
            (date(2024, 1, 31), date(2024, 7, 30)),
        ],
    )
    def test_six_months_end_the_day_before_the_same_date_or_at_month_end(
        self, issued_on: date, last_day: date
    ) -> None:
        assert six_months_last_day(issued_on) == last_day

    def test_180_days_is_the_longest_that_fits_six_months_from_any_day(self) -> None:
        days = [date(2023, 1, 1) + timedelta(days=n) for n in range(6 * 366)]
        spans = [(six_months_last_day(d) - d).days for d in days]
        assert min(spans) == 180
        for issued_on in days:
            assert lot_expiry(POLICY, kind="coin", issued_on=issued_on) <= six_months_last_day(
                issued_on
            )


LIMITS = WalletLimits()  # basic: 50,000 balance, 30,000 a payment, 50,000 a day


class TestWalletLimits:
    def test_a_charge_up_to_the_balance_cap_is_allowed(self) -> None:
        assert check_charge(LIMITS, level="basic", balance=40_000, amount=10_000) is None

    def test_a_charge_past_the_balance_cap_says_by_how_much(self) -> None:
        refusal = check_charge(LIMITS, level="basic", balance=40_000, amount=12_000)
        assert refusal is not None
        assert (refusal.code, refusal.excess, refusal.remaining) == ("balance_cap", 2_000, 10_000)

    def test_a_verified_wallet_may_hold_more(self) -> None:
        assert check_charge(LIMITS, level="verified", balance=40_000, amount=12_000) is None

    def test_a_wallet_already_over_a_lowered_cap_can_charge_nothing(self) -> None:
        refusal = check_charge(LIMITS, level="basic", balance=60_000, amount=1)
        assert refusal is not None and refusal.remaining == 0 and refusal.excess == 1

    def test_an_unknown_level_is_an_invalid_request(self) -> None:
        with pytest.raises(InvalidOperation, match="gold"):
            check_charge(LIMITS, level="gold", balance=0, amount=1)

    def test_a_payment_at_the_per_payment_cap_is_allowed(self) -> None:
        assert check_payment(LIMITS, level="basic", amount=30_000, spent_today=0) is None

    def test_a_payment_past_the_per_payment_cap_is_refused(self) -> None:
        refusal = check_payment(LIMITS, level="basic", amount=30_001, spent_today=0)
        assert refusal is not None and (refusal.code, refusal.excess) == ("payment_cap", 1)

    def test_the_daily_cap_counts_what_was_spent_today(self) -> None:
        assert check_payment(LIMITS, level="basic", amount=20_000, spent_today=30_000) is None
        refusal = check_payment(LIMITS, level="basic", amount=20_001, spent_today=30_000)
        assert refusal is not None and (refusal.code, refusal.excess) == ("daily_spend_cap", 1)

    def test_refuse_if_raises_only_for_a_refusal(self) -> None:
        refuse_if(None)
        with pytest.raises(RuleRefused, match="balance_cap"):
            refuse_if(check_charge(LIMITS, level="basic", balance=50_000, amount=1))


SEND = SendPolicy()  # coins only, 10,000 a send, 30,000 a day


class TestSend:
    def test_coins_may_be_sent_up_to_the_per_send_max(self) -> None:
        assert check_send(SEND, lot_kinds=["coin"], amount=10_000, sent_today=0) is None

    def test_points_may_not_be_sent_by_default(self) -> None:
        refusal = check_send(SEND, lot_kinds=["coin", "point"], amount=100, sent_today=0)
        assert refusal is not None and refusal.code == "lot_kinds"

    def test_sending_can_be_switched_off(self) -> None:
        refusal = check_send(SendPolicy(enabled=False), lot_kinds=["coin"], amount=1, sent_today=0)
        assert refusal is not None and refusal.code == "enabled"

    def test_one_send_past_the_max_is_refused(self) -> None:
        refusal = check_send(SEND, lot_kinds=["coin"], amount=10_001, sent_today=0)
        assert refusal is not None and (refusal.code, refusal.excess) == ("max_per_send", 1)

    def test_the_daily_max_counts_what_was_sent_today(self) -> None:
        assert check_send(SEND, lot_kinds=["coin"], amount=5_000, sent_today=25_000) is None
        refusal = check_send(SEND, lot_kinds=["coin"], amount=5_000, sent_today=26_000)
        assert refusal is not None and (refusal.code, refusal.remaining) == ("daily_max", 4_000)

    def test_points_may_be_sent_where_the_city_allows_it(self) -> None:
        both = SendPolicy(lot_kinds=("coin", "point"))
        assert check_send(both, lot_kinds=["point"], amount=100, sent_today=0) is None


FEES = MerchantFee(default_rate_bp=150, overrides={"CITYHALL": 0, "m7K2QX": 180})


class TestMerchantFee:
    def test_the_default_rate_applies(self) -> None:
        assert merchant_fee(FEES, merchant_code="shop01", amount=10_000) == 150

    def test_the_fee_is_floored_in_the_merchants_favour(self) -> None:
        assert merchant_fee(FEES, merchant_code="shop01", amount=999) == 14  # 14.985

    def test_a_merchant_override_wins(self) -> None:
        assert merchant_fee(FEES, merchant_code="m7K2QX", amount=10_000) == 180
        assert merchant_fee(FEES, merchant_code="CITYHALL", amount=10_000) == 0

    def test_nothing_settled_means_no_fee(self) -> None:
        assert merchant_fee(FEES, merchant_code="shop01", amount=0) == 0

    @given(rate=st.integers(0, 10_000), amount=st.integers(0, 10**12))
    def test_the_fee_never_exceeds_the_amount_or_the_rate(self, rate: int, amount: int) -> None:
        fee = merchant_fee(MerchantFee(default_rate_bp=rate), merchant_code="x", amount=amount)
        assert 0 <= fee <= amount
        assert fee * 10_000 <= amount * rate < (fee + 1) * 10_000
