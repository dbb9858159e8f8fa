"""Issuance rules as data: one schema per kind, a discriminated union on ``kind``.

Rules are stored as JSON versions (a draft, approved by a different staff member, in
force from its start time); these schemas say what a valid rule is, and
:mod:`currency.issuance.policy` applies them. The standing rules (expiry, wallet limits,
sending, merchant fee, settlement) live in :mod:`currency.issuance.standing_rules`.

Money is an integer in the currency's unit (worth one yen). Rates are integer basis
points (1 bp = 0.01 %, 10000 = 100 %), so 1.75 % is the exact integer 175: stored
JSON never holds a float, and every computation is ``amount * bp // 10000``, a floor
in plain integer arithmetic.

Expiry and 資金決済法: value usable for six months or less is outside the prepaid-
instrument registration only if the limit is real: it cannot be extended or re-charged
around. See :class:`currency.issuance.standing_rules.ExpiryPolicy`, which says how.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, model_validator

from currency.issuance.rule_types import (
    Amount,
    BasisPoints,
    Code,
    Days,
    JapanTime,
    LocalizedName,
    Schema,
    StrSet,
    Summary,
    Tag,
    Text,
    percent,
    yen,
)
from currency.issuance.standing_rules import (
    ExpiryPolicy,
    LevelLimits,
    MerchantFee,
    SendPolicy,
    SettlementSchedule,
    WalletLimits,
)
from currency.ledger.spending import LotKind

__all__ = [
    "Activity",
    "ChargePremium",
    "ExpiryPolicy",
    "LevelLimits",
    "LocalizedName",
    "LotExpiry",
    "MerchantFee",
    "PointProgramme",
    "Restrictions",
    "Rule",
    "RuleKind",
    "SendPolicy",
    "SettlementSchedule",
    "Summary",
    "WalletLimits",
    "default_rules",
    "parse_rule",
]

Channel = Literal["counter", "kiosk", "provider"]
_CHANNEL_JA = {"counter": "窓口", "kiosk": "端末", "provider": "決済事業者"}
_KIND_JA = {"coin": "コイン", "point": "ポイント"}
_CAP_WORDS = {"monthly_cap": ("月", "month"), "yearly_cap": ("年", "year")}


class ChargePremium(Schema):
    """A charge campaign: yen charged in the window on these channels earns a premium.

    The window is half-open, ``starts_at <= now < ends_at``, so one campaign can end
    exactly when the next begins without an instant that belongs to both.
    """

    kind: Literal["charge_premium"] = "charge_premium"
    code: Code
    name: LocalizedName
    rate_bp: BasisPoints
    premium_kind: LotKind
    cap_per_resident: Amount
    budget: Amount
    starts_at: JapanTime
    ends_at: JapanTime
    channels: StrSet[Channel]
    premium_expiry_days: Days | None = None

    @model_validator(mode="after")
    def _coherent(self) -> ChargePremium:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.cap_per_resident > self.budget:
            raise ValueError("cap_per_resident must not exceed budget")
        return self

    def describe(self) -> Summary:
        start, end = (f"{t:%Y-%m-%d %H:%M}" for t in (self.starts_at, self.ends_at))
        rate, cap, budget = percent(self.rate_bp), self.cap_per_resident, self.budget
        return Summary(
            ja=f"チャージプレミアム「{self.name.ja}」{rate}（{_KIND_JA[self.premium_kind]}）、"
            f"1人上限{yen(cap, 'ja')}、予算{yen(budget, 'ja')}、{start}〜{end}、"
            f"{'・'.join(_CHANNEL_JA[c] for c in self.channels)}",
            en=f"Charge premium “{self.name.en}”: {rate} as {self.premium_kind}s, up to "
            f"{yen(cap, 'en')} per resident, budget {yen(budget, 'en')}, "
            f"{start} until {end} JST, {', '.join(self.channels)}",
        )


class Activity(Schema):
    code: Code
    name: LocalizedName
    points: Amount


class LotExpiry(Schema):
    """When a granted lot expires: so many days after the grant, or on a fixed date."""

    days_from_grant: Days | None = None
    fixed_date: date | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LotExpiry:
        if (self.days_from_grant is None) == (self.fixed_date is None):
            raise ValueError("set exactly one of days_from_grant and fixed_date")
        return self

    def describe(self) -> Summary:
        if self.fixed_date is not None:
            return Summary(ja=f"{self.fixed_date}まで有効", en=f"valid until {self.fixed_date}")
        days = self.days_from_grant
        return Summary(ja=f"付与から{days}日有効", en=f"valid {days} days from the grant")


class Restrictions(Schema):
    """Where granted points may be spent. None on an axis means anywhere."""

    allowed_tags: StrSet[Tag] | None = None
    allowed_districts: StrSet[Text] | None = None

    def describe(self) -> Summary:
        ja, en = ["利用先"], ["spendable"]
        if self.allowed_tags:
            ja.append(f"タグ {'・'.join(self.allowed_tags)}")
            en.append(f"at shops tagged {', '.join(self.allowed_tags)}")
        if self.allowed_districts:
            ja.append(f"地区 {'・'.join(self.allowed_districts)}")
            en.append(f"in {', '.join(self.allowed_districts)}")
        return Summary(
            ja=" ".join(ja) if len(ja) > 1 else "利用先 制限なし",
            en=" ".join(en) if len(en) > 1 else "spendable anywhere",
        )


class PointProgramme(Schema):
    """Free points (volunteer, administrative) for activities, with caps and a budget.

    Caps are per resident per calendar month and year (JST); None means no such cap.
    """

    kind: Literal["point_programme"] = "point_programme"
    code: Code
    name: LocalizedName
    activities: Annotated[tuple[Activity, ...], Field(min_length=1)]
    monthly_cap: Amount | None = None
    yearly_cap: Amount | None = None
    budget: Amount
    expiry: LotExpiry | None = None
    restrictions: Restrictions = Restrictions()

    @model_validator(mode="after")
    def _coherent(self) -> PointProgramme:
        codes = [a.code for a in self.activities]
        if len(set(codes)) != len(codes):
            raise ValueError("activities must have unique codes")
        month, year = self.monthly_cap, self.yearly_cap
        if month is not None and year is not None and month > year:
            raise ValueError("monthly_cap must not exceed yearly_cap")
        ceiling, cap = min((c, n) for n, c in self._caps() if c is not None)
        if too_big := [a.code for a in self.activities if a.points > ceiling]:
            raise ValueError(f"activities {too_big} give more points than {cap} ({ceiling})")
        return self

    def _caps(self) -> list[tuple[str, int | None]]:
        return [
            ("monthly_cap", self.monthly_cap),
            ("yearly_cap", self.yearly_cap),
            ("budget", self.budget),
        ]

    def activity(self, code: str) -> Activity | None:
        return next((a for a in self.activities if a.code == code), None)

    def describe(self) -> Summary:
        caps = self._caps_summary()
        expiry = self.expiry.describe() if self.expiry else Summary("期限は既定", "default expiry")
        where = self.restrictions.describe()
        n, budget = len(self.activities), f"{self.budget:,}pt"
        return Summary(
            ja=f"ポイント事業「{self.name.ja}」活動{n}種、{caps.ja}、予算{budget}、"
            f"{expiry.ja}、{where.ja}",
            en=f"Point programme “{self.name.en}”: activities {n}, {caps.en}, "
            f"budget {budget}, {expiry.en}, {where.en}",
        )

    def _caps_summary(self) -> Summary:
        caps = [(c, *_CAP_WORDS[n]) for n, c in self._caps() if n in _CAP_WORDS and c is not None]
        return Summary(
            ja="・".join(f"{ja}上限{c:,}pt" for c, ja, _ in caps) or "上限なし",
            en=", ".join(f"{c:,}pt a {en}" for c, _, en in caps) or "no caps",
        )


Rule = Annotated[
    ChargePremium
    | PointProgramme
    | ExpiryPolicy
    | WalletLimits
    | SendPolicy
    | MerchantFee
    | SettlementSchedule,
    Field(discriminator="kind"),
]
RuleKind = Literal[
    "charge_premium",
    "point_programme",
    "expiry_policy",
    "wallet_limits",
    "send_policy",
    "merchant_fee",
    "settlement_schedule",
]
_RULE: TypeAdapter[Rule] = TypeAdapter(Rule)


def parse_rule(data: Mapping[str, Any] | str | bytes) -> Rule:
    """A stored rule (JSON text, or the dict a JSONB column gives) back as its schema."""
    if isinstance(data, str | bytes):
        return _RULE.validate_json(data)
    return _RULE.validate_python(data)


def default_rules() -> tuple[
    ExpiryPolicy, WalletLimits, SendPolicy, MerchantFee, SettlementSchedule
]:
    """The standing rules a new currency starts with; campaigns and programmes come later.

    Coins 180 days (the six-month limit), points 365 days; wallets ``basic`` 50,000 /
    30,000 per payment / 50,000 a day and ``verified`` 300,000 / 100,000 / 200,000;
    sending coins only, 10,000 per send, 30,000 a day; merchant fee 1.5 % (the low end
    of what municipal coins charge); cut-offs on the 10th and 25th, paid 5 days later.
    """
    return ExpiryPolicy(), WalletLimits(), SendPolicy(), MerchantFee(), SettlementSchedule()
