"""The standing rules of a currency: expiry, wallet limits, sending, merchant fees, settlement.

Unlike campaigns and programmes these always exist; their field defaults are what a new
currency starts with (see :func:`currency.issuance.rules.default_rules`).

Expiry and 資金決済法: coins are bought with yen, so they are a prepaid payment
instrument (前払式支払手段). Value usable for six months or less is outside the Act's
registration only if the limit is real, not routinely extended: a lot's expiry is fixed
when it is issued, counted from that day, and nothing moves it later (a send keeps the
sender's dates). A new charge is a new lot with its own date and never extends older
ones, so the limit cannot be re-charged around either. Instruments issued by the city
itself are outside the Act anyway, a third party issuing on its behalf is not: hence
``ExpiryPolicy.six_month_limit``. Check the law text before relying on a detail.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from currency.issuance.rule_types import (
    Amount,
    BasisPoints,
    Code,
    Days,
    MerchantCode,
    Schema,
    StrSet,
    Summary,
    percent,
    unique_sorted_ints,
    yen,
)
from currency.ledger.spending import LotKind

SIX_MONTH_DAYS = 180
"""The longest ``coin_days`` that keeps every lot inside six months from its issue day.

A lot issued on day D is usable through D + days. From 1 September, six months end on
the last day of February: 180 days later in a common year. Any more and some lots, on
some issue days, would be usable longer than six months.
"""


DayOfMonth = Annotated[int, Field(strict=True, ge=1, le=31)]


class ExpiryPolicy(Schema):
    """Days from issue for each kind of lot (see the module docstring on 資金決済法)."""

    kind: Literal["expiry_policy"] = "expiry_policy"
    coin_days: Days = SIX_MONTH_DAYS
    point_days: Days = 365
    six_month_limit: bool = True
    """Coins rely on the six-month exemption: ``coin_days`` may not exceed 180."""

    @model_validator(mode="after")
    def _within_six_months(self) -> ExpiryPolicy:
        if self.six_month_limit and self.coin_days > SIX_MONTH_DAYS:
            raise ValueError(f"coin_days must be at most {SIX_MONTH_DAYS} under six_month_limit")
        return self

    def days_for(self, kind: LotKind) -> int:
        return self.coin_days if kind == "coin" else self.point_days

    def describe(self) -> Summary:
        return Summary(
            ja=f"有効期限: コイン{self.coin_days}日・ポイント{self.point_days}日（発行日から）",
            en=f"Expiry: coins {self.coin_days} days, points {self.point_days} days from issue",
        )


class LevelLimits(Schema):
    """Limits for wallets at one verification level, in the currency's unit."""

    balance_cap: Amount
    payment_cap: Amount
    daily_spend_cap: Amount

    @model_validator(mode="after")
    def _coherent(self) -> LevelLimits:
        if self.payment_cap > self.daily_spend_cap:
            raise ValueError("payment_cap must not exceed daily_spend_cap")
        return self


def _default_levels() -> dict[str, LevelLimits]:
    return {
        "basic": LevelLimits(balance_cap=50_000, payment_cap=30_000, daily_spend_cap=50_000),
        "verified": LevelLimits(balance_cap=300_000, payment_cap=100_000, daily_spend_cap=200_000),
    }


class WalletLimits(Schema):
    """Per verification level (``basic``: enrolled; ``verified``: identity checked)."""

    kind: Literal["wallet_limits"] = "wallet_limits"
    levels: Annotated[dict[Code, LevelLimits], Field(min_length=1)] = Field(
        default_factory=_default_levels
    )

    def describe(self) -> Summary:
        parts = [(level, limits) for level, limits in sorted(self.levels.items())]
        ja = "、".join(
            f"{lv}: 残高{yen(x.balance_cap, 'ja')}・1回{yen(x.payment_cap, 'ja')}"
            f"・1日{yen(x.daily_spend_cap, 'ja')}"
            for lv, x in parts
        )
        en = "; ".join(
            f"{lv}: balance {yen(x.balance_cap, 'en')}, per payment {yen(x.payment_cap, 'en')}, "
            f"per day {yen(x.daily_spend_cap, 'en')}"
            for lv, x in parts
        )
        return Summary(ja=f"ウォレット上限 {ja}", en=f"Wallet limits {en}")


class SendPolicy(Schema):
    """Wallet-to-wallet sending: which kinds of lot may move, and how much."""

    kind: Literal["send_policy"] = "send_policy"
    enabled: bool = True
    lot_kinds: StrSet[LotKind] = ("coin",)
    max_per_send: Amount = 10_000
    daily_max: Amount = 30_000

    @model_validator(mode="after")
    def _coherent(self) -> SendPolicy:
        if self.max_per_send > self.daily_max:
            raise ValueError("max_per_send must not exceed daily_max")
        return self

    def describe(self) -> Summary:
        if not self.enabled:
            return Summary(ja="送金: 停止中", en="Sending: disabled")
        kinds_ja = "・".join({"coin": "コイン", "point": "ポイント"}[k] for k in self.lot_kinds)
        return Summary(
            ja=f"送金: {kinds_ja}、1回{yen(self.max_per_send, 'ja')}まで、"
            f"1日{yen(self.daily_max, 'ja')}まで",
            en=f"Sending: {' and '.join(f'{k}s' for k in self.lot_kinds)}, up to "
            f"{yen(self.max_per_send, 'en')} per send and {yen(self.daily_max, 'en')} per day",
        )


class MerchantFee(Schema):
    """The fee taken when a merchant cashes out (換金), with per-merchant exceptions."""

    kind: Literal["merchant_fee"] = "merchant_fee"
    default_rate_bp: BasisPoints = 150
    overrides: dict[MerchantCode, BasisPoints] = Field(default_factory=dict)

    def rate_for(self, merchant_code: str) -> int:
        return self.overrides.get(merchant_code, self.default_rate_bp)

    def describe(self) -> Summary:
        n = len(self.overrides)
        return Summary(
            ja=f"加盟店手数料 {percent(self.default_rate_bp)}（個別設定 {n}店）",
            en=f"Merchant fee {percent(self.default_rate_bp)} ({n} merchant overrides)",
        )


class SettlementSchedule(Schema):
    """Cut-off days of the month and the payout delay in calendar days.

    A cut-off day past the end of a month means that month's last day: 31 is always
    the month end, and 29 or 30 in February is February's last day (28 or 29).
    """

    kind: Literal["settlement_schedule"] = "settlement_schedule"
    cutoff_days: Annotated[
        tuple[DayOfMonth, ...], Field(min_length=1), AfterValidator(unique_sorted_ints)
    ] = (10, 25)
    payout_after_days: Annotated[int, Field(strict=True, ge=0, le=60)] = 5

    def describe(self) -> Summary:
        days_ja = "・".join("末日" if d == 31 else f"{d}日" for d in self.cutoff_days)
        days_en = ", ".join("month end" if d == 31 else f"day {d}" for d in self.cutoff_days)
        return Summary(
            ja=f"精算: 締め日 {days_ja}、締め日の{self.payout_after_days}日後に支払",
            en=f"Settlement: cut-off {days_en}; payout {self.payout_after_days} days later",
        )
