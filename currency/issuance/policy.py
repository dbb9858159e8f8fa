"""Pure rule logic: what a rule allows, given what has happened so far.

No database and no clock: every function is told ``now`` (aware) or ``today`` (a JST
calendar date) and the running totals it needs, so the same inputs give the same answer.

- A campaign window is half-open, ``starts_at <= now < ends_at``: a campaign ending at
  midnight and the next one starting then never overlap.
- Rates floor, ``amount * bp // 10000``: nobody receives a fraction of a unit, and the
  city never pays more than the rate (nor a merchant more fee than the rate).
- Refusals: a check (:func:`check_charge`, :func:`check_payment`, :func:`check_send`)
  returns a :class:`Refusal` or None, so a page can say "at most ¥X" before trying;
  a computation that yields a value (:func:`points_for_grant`, :func:`lot_expiry`)
  raises :class:`RuleRefused` carrying the same Refusal (:func:`refuse_if` does that
  for a check). A refusal's ``code`` is the rule field that refused. A premium is never
  refused, only reduced: :class:`Premium` says by how much and why.
- A lot's ``expires_on`` is its last usable day: the ledger spends it while
  ``today <= expires_on`` and expires it the day after.

Settlement periods and the rule in force are in :mod:`currency.issuance.schedule`.
"""

from __future__ import annotations

import calendar as cal
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from currency.errors import InvalidOperation, LimitExceeded
from currency.issuance.rule_types import BP_PER_WHOLE
from currency.issuance.rules import (
    ChargePremium,
    ExpiryPolicy,
    LevelLimits,
    MerchantFee,
    PointProgramme,
    SendPolicy,
    WalletLimits,
)
from currency.ledger.spending import LotKind

RefusalCode = Literal[
    "monthly_cap",
    "yearly_cap",
    "budget",
    "balance_cap",
    "payment_cap",
    "daily_spend_cap",
    "enabled",
    "lot_kinds",
    "max_per_send",
    "daily_max",
    "six_month_limit",
]
PremiumReason = Literal["not_started", "ended", "channels", "cap_per_resident", "budget"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """``requested`` would take ``used`` past ``limit``; ``excess`` is by how much."""

    code: RefusalCode
    requested: int
    limit: int
    used: int = 0

    @property
    def remaining(self) -> int:
        """What could still be allowed (0 when the limit is reached or passed)."""
        return max(0, self.limit - self.used)

    @property
    def excess(self) -> int:
        return self.requested - self.remaining


class RuleRefused(LimitExceeded, ValueError):
    """A rule refuses the request; ``refusal`` names the limit and the amounts."""

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal
        super().__init__(
            f"{refusal.code}: requested {refusal.requested}, limit {refusal.limit}, "
            f"used {refusal.used}, over by {refusal.excess}",
            code=refusal.code,
            requested=refusal.requested,
            limit=refusal.limit,
            used=refusal.used,
        )


def refuse_if(refusal: Refusal | None) -> None:
    """Raise :class:`RuleRefused` for a check's refusal; do nothing when it allowed."""
    if refusal is not None:
        raise RuleRefused(refusal)


def _over(code: RefusalCode, requested: int, limit: int | None, used: int = 0) -> Refusal | None:
    """A refusal if ``requested`` does not fit under ``limit`` (None: no limit)."""
    if limit is None:
        return None
    refusal = Refusal(code, requested, limit, used)
    return refusal if refusal.excess > 0 else None


def _non_negative(**amounts: int) -> None:
    for name, amount in amounts.items():
        if amount < 0:
            raise InvalidOperation(f"{name} must not be negative, got {amount}")


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidOperation("now must be an aware datetime")
    return now


# --- charge premium ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Premium:
    """The premium for one charge; ``reason`` says why it is below ``full_amount``."""

    amount: int
    full_amount: int
    kind: LotKind
    reason: PremiumReason | None = None

    @property
    def reduced_by(self) -> int:
        return self.full_amount - self.amount


def premium_for_charge(
    rule: ChargePremium,
    *,
    channel: str,
    charged: int,
    now: datetime,
    resident_received: int,
    campaign_spent: int,
) -> Premium:
    """Floor of ``charged * rate``, cut to the resident's cap and the budget left."""
    _non_negative(
        charged=charged, resident_received=resident_received, campaign_spent=campaign_spent
    )
    full = charged * rule.rate_bp // BP_PER_WHOLE
    if (closed := _window_closed(rule, now)) or channel not in rule.channels:
        return Premium(0, full, rule.premium_kind, closed or "channels")
    resident_left = rule.cap_per_resident - resident_received
    budget_left = rule.budget - campaign_spent
    amount = max(0, min(full, resident_left, budget_left))
    if amount == full:
        return Premium(amount, full, rule.premium_kind)
    reason: PremiumReason = "cap_per_resident" if resident_left <= budget_left else "budget"
    return Premium(amount, full, rule.premium_kind, reason)


def _window_closed(rule: ChargePremium, now: datetime) -> PremiumReason | None:
    if _aware(now) < rule.starts_at:
        return "not_started"
    return "ended" if now >= rule.ends_at else None


# --- point grants -----------------------------------------------------------------------


def points_for_grant(
    programme: PointProgramme,
    *,
    activity: str,
    points: int | None = None,
    month_total: int,
    year_total: int,
    programme_spent: int,
) -> int:
    """The points to grant for ``activity`` (``points`` overrides its value), all or none.

    Raises :class:`RuleRefused` naming the tightest cap that would be passed (on a tie:
    month, then year, then the budget); its ``remaining`` is what could still be granted.
    """
    _non_negative(month_total=month_total, year_total=year_total, programme_spent=programme_spent)
    requested = _requested_points(programme, activity, points)
    refusals = [
        _over("monthly_cap", requested, programme.monthly_cap, month_total),
        _over("yearly_cap", requested, programme.yearly_cap, year_total),
        _over("budget", requested, programme.budget, programme_spent),
    ]
    if found := [r for r in refusals if r is not None]:
        raise RuleRefused(min(found, key=lambda r: r.remaining))
    return requested


def _requested_points(programme: PointProgramme, code: str, points: int | None) -> int:
    found = programme.activity(code)
    if found is None:
        raise InvalidOperation(f"programme {programme.code!r} has no activity {code!r}")
    if points is not None and points <= 0:
        raise InvalidOperation(f"override points must be positive, got {points}")
    return found.points if points is None else points


# --- expiry -----------------------------------------------------------------------------


def lot_expiry(
    policy: ExpiryPolicy,
    *,
    kind: LotKind,
    issued_on: date,
    days: int | None = None,
    fixed_on: date | None = None,
) -> date:
    """The last usable day of a new lot: ``fixed_on`` wins, then ``days``, then the policy.

    A coin lot under ``six_month_limit`` may not outlive six months from its issue day.
    """
    if fixed_on is None:
        fixed_on = issued_on + timedelta(days=policy.days_for(kind) if days is None else days)
    if fixed_on < issued_on:
        raise InvalidOperation(f"expiry {fixed_on} is before the issue day {issued_on}")
    if kind == "coin" and policy.six_month_limit:
        limit = (six_months_last_day(issued_on) - issued_on).days
        refuse_if(_over("six_month_limit", (fixed_on - issued_on).days, limit))
    return fixed_on


def premium_lot_expiry(policy: ExpiryPolicy, rule: ChargePremium, *, issued_on: date) -> date:
    kind, days = rule.premium_kind, rule.premium_expiry_days
    return lot_expiry(policy, kind=kind, issued_on=issued_on, days=days)


def programme_lot_expiry(
    policy: ExpiryPolicy, programme: PointProgramme, *, granted_on: date
) -> date:
    expiry = programme.expiry
    days = expiry.days_from_grant if expiry else None
    fixed_on = expiry.fixed_date if expiry else None
    return lot_expiry(policy, kind="point", issued_on=granted_on, days=days, fixed_on=fixed_on)


def six_months_last_day(issued_on: date) -> date:
    """The last day of six months counted from the issue day (民法 143: the day before the
    same date six months on, or that month's last day when it has no such date)."""
    year, month0 = divmod(issued_on.year * 12 + issued_on.month - 1 + 6, 12)
    last = cal.monthrange(year, month0 + 1)[1]
    if issued_on.day > last:
        return date(year, month0 + 1, last)
    return date(year, month0 + 1, issued_on.day) - timedelta(days=1)


# --- wallets, sending, fees -------------------------------------------------------------


def _level(limits: WalletLimits, level: str) -> LevelLimits:
    if level not in limits.levels:
        raise InvalidOperation(f"no wallet limits for verification level {level!r}")
    return limits.levels[level]


def check_charge(limits: WalletLimits, *, level: str, balance: int, amount: int) -> Refusal | None:
    """Would ``amount`` more in the wallet pass the balance cap? ``amount`` is all the
    charge adds (coins and any premium); ``remaining`` is the most that fits."""
    _non_negative(balance=balance, amount=amount)
    return _over("balance_cap", amount, _level(limits, level).balance_cap, balance)


def check_payment(
    limits: WalletLimits, *, level: str, amount: int, spent_today: int
) -> Refusal | None:
    """Per-payment cap first, then the daily cap (``spent_today``: JST day, before this)."""
    _non_negative(amount=amount, spent_today=spent_today)
    caps = _level(limits, level)
    return _over("payment_cap", amount, caps.payment_cap) or _over(
        "daily_spend_cap", amount, caps.daily_spend_cap, spent_today
    )


def check_send(
    policy: SendPolicy, *, lot_kinds: Collection[LotKind], amount: int, sent_today: int
) -> Refusal | None:
    """May a wallet send ``amount`` drawn from lots of ``lot_kinds``?"""
    _non_negative(amount=amount, sent_today=sent_today)
    if not policy.enabled:
        return Refusal("enabled", amount, 0)
    if not set(lot_kinds) <= set(policy.lot_kinds):
        return Refusal("lot_kinds", amount, 0)
    return _over("max_per_send", amount, policy.max_per_send) or _over(
        "daily_max", amount, policy.daily_max, sent_today
    )


def merchant_fee(rule: MerchantFee, *, merchant_code: str, amount: int) -> int:
    """The fee on ``amount`` settled for this merchant: floor, so never above the rate."""
    _non_negative(amount=amount)
    return amount * rule.rate_for(merchant_code) // BP_PER_WHOLE
