"""Rule schemas: what staff may save as a rule, and how the console summarises it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from currency.clock import JAPAN
from currency.issuance.rule_types import percent
from currency.issuance.rules import (
    ChargePremium,
    ExpiryPolicy,
    MerchantFee,
    PointProgramme,
    RuleKind,
    SendPolicy,
    SettlementSchedule,
    WalletLimits,
    default_rules,
    parse_rule,
)

START = datetime(2025, 4, 1, tzinfo=JAPAN)


def premium_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "charge_premium",
        "code": "spring-2025",
        "name": {"ja": "春のプレミアム", "en": "Spring premium"},
        "rate_bp": 2000,
        "premium_kind": "point",
        "cap_per_resident": 5_000,
        "budget": 10_000_000,
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(days=91)).isoformat(),
        "channels": ["counter", "kiosk"],
    }
    return {**data, **changes}


def activity(code: str = "cleanup", points: int = 100) -> dict[str, Any]:
    return {"code": code, "name": {"ja": "清掃活動", "en": "Clean-up"}, "points": points}


def programme_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "point_programme",
        "code": "volunteer",
        "name": {"ja": "ボランティアポイント", "en": "Volunteer points"},
        "activities": [activity(), activity("festival", 300)],
        "monthly_cap": 1_000,
        "yearly_cap": 10_000,
        "budget": 5_000_000,
        "expiry": {"days_from_grant": 365},
        "restrictions": {"allowed_tags": ["small-business"], "allowed_districts": ["佐伯"]},
    }
    return {**data, **changes}


SAMPLES = {"charge_premium": premium_data(), "point_programme": programme_data()}


class TestDefaults:
    def test_a_new_currency_starts_with_every_standing_rule_once(self) -> None:
        kinds = [rule.kind for rule in default_rules()]
        assert sorted(kinds) == sorted(set(kinds))
        assert set(kinds) == {
            "expiry_policy",
            "wallet_limits",
            "send_policy",
            "merchant_fee",
            "settlement_schedule",
        }

    @pytest.mark.parametrize("rule", default_rules(), ids=lambda r: r.kind)
    def test_defaults_survive_being_stored_and_read_back(self, rule: Any) -> None:
        assert parse_rule(rule.model_dump_json()) == rule
        assert parse_rule(rule.model_dump(mode="json")) == rule

    def test_coins_last_six_months_and_only_coins_can_be_sent(self) -> None:
        expiry, limits, send, fee, settlement = default_rules()
        assert expiry.coin_days == 180 and expiry.six_month_limit
        assert send.lot_kinds == ("coin",) and send.enabled
        assert set(limits.levels) == {"basic", "verified"}
        assert fee.default_rate_bp == 150
        assert settlement.cutoff_days == (10, 25)

    def test_verified_wallets_may_hold_more_than_basic_ones(self) -> None:
        levels = WalletLimits().levels
        assert levels["verified"].balance_cap > levels["basic"].balance_cap


class TestSummaries:
    @pytest.mark.parametrize(
        "rule",
        [*default_rules(), parse_rule(premium_data()), parse_rule(programme_data())],
        ids=lambda r: r.kind,
    )
    def test_every_rule_has_a_japanese_and_an_english_summary(self, rule: Any) -> None:
        summary = rule.describe()
        assert summary.ja and summary.en
        assert summary.ja != summary.en

    def test_premium_summary_shows_rate_cap_and_channels(self) -> None:
        summary = parse_rule(premium_data()).describe()
        assert "20%" in summary.ja and "5,000円" in summary.ja and "窓口・端末" in summary.ja
        assert "¥5,000 per resident" in summary.en and "counter, kiosk" in summary.en

    def test_programme_summary_shows_caps_expiry_and_where_to_spend(self) -> None:
        summary = parse_rule(programme_data()).describe()
        assert "月上限1,000pt" in summary.ja and "付与から365日" in summary.ja
        assert "佐伯" in summary.ja and "small-business" in summary.en

    def test_an_unrestricted_programme_without_caps_says_so(self) -> None:
        data = programme_data(monthly_cap=None, yearly_cap=None, restrictions={}, expiry=None)
        summary = parse_rule(data).describe()
        assert "上限なし" in summary.ja and "制限なし" in summary.ja
        assert "no caps" in summary.en and "anywhere" in summary.en

    def test_disabled_sending_is_summarised_as_disabled(self) -> None:
        assert SendPolicy(enabled=False).describe().en == "Sending: disabled"

    def test_a_cut_off_on_the_31st_reads_as_month_end(self) -> None:
        summary = SettlementSchedule(cutoff_days=(15, 31)).describe()
        assert "末日" in summary.ja and "month end" in summary.en

    @pytest.mark.parametrize(
        ("bp", "shown"), [(0, "0%"), (150, "1.5%"), (175, "1.75%"), (2000, "20%"), (10000, "100%")]
    )
    def test_basis_points_read_as_percentages(self, bp: int, shown: str) -> None:
        assert percent(bp) == shown


class TestParsing:
    def test_every_kind_named_in_rule_kind_has_a_schema(self) -> None:
        for kind in get_args(RuleKind):
            assert parse_rule(SAMPLES.get(kind, {"kind": kind})).kind == kind

    def test_the_kind_picks_the_schema(self) -> None:
        assert isinstance(parse_rule(premium_data()), ChargePremium)
        assert isinstance(parse_rule(programme_data()), PointProgramme)
        assert isinstance(parse_rule({"kind": "expiry_policy"}), ExpiryPolicy)

    def test_an_unknown_kind_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="charge_premium"):
            parse_rule({"kind": "lottery"})

    def test_campaign_times_are_kept_in_japan_time(self) -> None:
        utc_start = datetime(2025, 3, 31, 15, tzinfo=UTC)
        rule = parse_rule(premium_data(starts_at=utc_start.isoformat()))
        assert isinstance(rule, ChargePremium)
        assert rule.starts_at == START and rule.starts_at.utcoffset() == timedelta(hours=9)

    def test_channels_are_stored_sorted(self) -> None:
        rule = parse_rule(premium_data(channels=["provider", "counter"]))
        assert isinstance(rule, ChargePremium)
        assert rule.channels == ("counter", "provider")

    def test_rules_cannot_be_changed_in_place(self) -> None:
        fee = MerchantFee()
        with pytest.raises(ValidationError, match="frozen"):
            fee.default_rate_bp = 0  # type: ignore[misc]

    def test_coins_may_last_longer_when_the_six_month_limit_is_off(self) -> None:
        assert ExpiryPolicy(coin_days=365, six_month_limit=False).coin_days == 365

    def test_a_programme_expiring_on_a_fixed_date_is_accepted(self) -> None:
        rule = parse_rule(programme_data(expiry={"fixed_date": "2026-03-31"}))
        assert isinstance(rule, PointProgramme)
        assert rule.expiry is not None and rule.expiry.fixed_date == date(2026, 3, 31)


def _naive(dt: datetime) -> str:
    return dt.replace(tzinfo=None).isoformat()


BAD_PREMIUMS = {
    "rate above 100%": ({"rate_bp": 10_001}, "rate_bp"),
    "negative rate": ({"rate_bp": -1}, "rate_bp"),
    "fractional rate": ({"rate_bp": 20.5}, "rate_bp"),
    "rate as text": ({"rate_bp": "2000"}, "rate_bp"),
    "zero cap": ({"cap_per_resident": 0}, "cap_per_resident"),
    "cap above budget": ({"cap_per_resident": 20_000, "budget": 10_000}, "cap_per_resident"),
    "zero budget": ({"budget": 0}, "budget"),
    "naive start": ({"starts_at": _naive(START)}, "starts_at"),
    "end equals start": ({"ends_at": START.isoformat()}, "ends_at"),
    "end before start": ({"ends_at": (START - timedelta(days=1)).isoformat()}, "ends_at"),
    "no channel": ({"channels": []}, "channels"),
    "unknown channel": ({"channels": ["atm"]}, "channels"),
    "channel twice": ({"channels": ["kiosk", "kiosk"]}, "channels"),
    "premium in cash": ({"premium_kind": "cash"}, "premium_kind"),
    "zero expiry days": ({"premium_expiry_days": 0}, "premium_expiry_days"),
    "bad code": ({"code": "Spring 2025"}, "code"),
    "blank name": ({"name": {"ja": "  ", "en": "Spring"}}, "name.ja"),
    "unknown field": ({"discount": 5}, "discount"),
}


@pytest.mark.parametrize(("changes", "field"), BAD_PREMIUMS.values(), ids=BAD_PREMIUMS.keys())
def test_a_bad_charge_premium_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_rule(premium_data(**changes))
    assert field in str(refused.value)


BAD_PROGRAMMES = {
    "no activities": ({"activities": []}, "activities"),
    "same activity twice": ({"activities": [activity(), activity()]}, "activities"),
    "activity worth nothing": ({"activities": [activity(points=0)]}, "points"),
    "activity above the monthly cap": ({"activities": [activity(points=1_001)]}, "monthly_cap"),
    "monthly cap above yearly": ({"monthly_cap": 20_000}, "monthly_cap"),
    "zero yearly cap": ({"yearly_cap": 0}, "yearly_cap"),
    "zero budget": ({"budget": 0}, "budget"),
    "expiry by days and date": (
        {"expiry": {"days_from_grant": 30, "fixed_date": "2026-03-31"}},
        "days_from_grant",
    ),
    "expiry with neither": ({"expiry": {}}, "fixed_date"),
    "empty tag list": ({"restrictions": {"allowed_tags": []}}, "allowed_tags"),
    "blank district": ({"restrictions": {"allowed_districts": [" "]}}, "allowed_districts"),
    "tag with capitals": ({"restrictions": {"allowed_tags": ["Small"]}}, "allowed_tags"),
    "blank english name": ({"name": {"ja": "ボランティア", "en": ""}}, "name.en"),
}


@pytest.mark.parametrize(("changes", "field"), BAD_PROGRAMMES.values(), ids=BAD_PROGRAMMES.keys())
def test_a_bad_point_programme_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_rule(programme_data(**changes))
    assert field in str(refused.value)


BAD_STANDING = {
    "coins past six months": ({"kind": "expiry_policy", "coin_days": 181}, "coin_days"),
    "points for no days": ({"kind": "expiry_policy", "point_days": 0}, "point_days"),
    "no verification level": ({"kind": "wallet_limits", "levels": {}}, "levels"),
    "payment cap above daily": (
        {
            "kind": "wallet_limits",
            "levels": {
                "basic": {"balance_cap": 50_000, "payment_cap": 60_000, "daily_spend_cap": 50_000}
            },
        },
        "payment_cap",
    ),
    "zero balance cap": (
        {
            "kind": "wallet_limits",
            "levels": {"basic": {"balance_cap": 0, "payment_cap": 1, "daily_spend_cap": 1}},
        },
        "balance_cap",
    ),
    "no lot kind to send": ({"kind": "send_policy", "lot_kinds": []}, "lot_kinds"),
    "sending cash": ({"kind": "send_policy", "lot_kinds": ["cash"]}, "lot_kinds"),
    "send max above daily": (
        {"kind": "send_policy", "max_per_send": 50_000, "daily_max": 30_000},
        "max_per_send",
    ),
    "fee above 100%": ({"kind": "merchant_fee", "default_rate_bp": 10_001}, "default_rate_bp"),
    "negative override": ({"kind": "merchant_fee", "overrides": {"m7K2QX": -1}}, "overrides"),
    "bad merchant code": ({"kind": "merchant_fee", "overrides": {"m 7": 100}}, "overrides"),
    "no cut-off": ({"kind": "settlement_schedule", "cutoff_days": []}, "cutoff_days"),
    "cut-off day 0": ({"kind": "settlement_schedule", "cutoff_days": [0]}, "cutoff_days"),
    "cut-off day 32": ({"kind": "settlement_schedule", "cutoff_days": [32]}, "cutoff_days"),
    "cut-off twice": ({"kind": "settlement_schedule", "cutoff_days": [10, 10]}, "cutoff_days"),
    "payout before cut-off": (
        {"kind": "settlement_schedule", "payout_after_days": -1},
        "payout_after_days",
    ),
}


@pytest.mark.parametrize(("data", "field"), BAD_STANDING.values(), ids=BAD_STANDING.keys())
def test_a_bad_standing_rule_is_refused_naming_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_rule(data)
    assert field in str(refused.value)
