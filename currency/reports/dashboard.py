"""The figures on the staff dashboard. All from the daily rollups (``report_daily``) except
the outstanding balances, which are read from the accounts themselves.

Definitions (the period is the last ``days`` JST days, today included):

- **today**: today's issued, spent (payments net of refunds), settled (payout plus the fee:
  value that left the currency for yen) and expired, as rolled up so far (the rollups
  follow the worker within one sweep).
- **series**: the same per day, for the last 90 days.
- **outstanding**: what is held now: ``coin`` and ``point`` in residents' wallets (the live
  lots), ``merchant`` in shops' balances not yet settled.
- **velocity**: spent (net of refunds) in the period ÷ the average of the wallets' balance
  at the end of each day of the period. "The average wallet yen changed hands 0.4 times in
  30 days." The daily balances are today's wallets' balance with each later day's net
  flow taken back out (issued + refunded − spent − expired; sends move value between
  wallets and change nothing). ``None`` when the wallets held nothing.
- **regional re-spend rate**: of what shops did with their receipts in the period, the
  share they paid to other local shops (merchant-to-merchant payments) rather than had
  settled to yen: ``merchant_paid ÷ (merchant_paid + settled + fee)``. Receipts still held
  count in neither. ``None`` when shops did neither.
- **top categories**: spent net of refunds in the period, by the shop's category.
- **budgets**: for each charge campaign and point programme in force now, its budget and
  how much of it the issuance counters say is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from pydantic import ConfigDict, with_config
from sqlalchemy.ext.asyncio import AsyncSession

from currency.issuance import counters, rulebook
from currency.issuance.rules import ChargePremium, PointProgramme, RuleKind
from currency.ledger.models import account, balance_delta, lot
from currency.reports.models import daily
from currency.reports.series import days, totals_by_day

SERIES_DAYS = 90
TOP = 5


@dataclass(frozen=True)
class DayFigures:
    day: date
    issued: int
    spent: int
    settled: int
    expired: int

    @classmethod
    def of(cls, day: date, m: dict[str, int]) -> DayFigures:
        spent = m["spent"] - m["refunded"]
        return cls(day, m["issued"], spent, m["settled"] + m["fee"], m["expired"])


@dataclass(frozen=True)
class Category:
    category: str
    amount: int
    count: int


@dataclass(frozen=True)
class Budget:
    kind: str  # charge_premium, point_programme
    code: str
    name: str
    budget: int
    used: int


@with_config(
    ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "today": {
                        "day": "2026-05-18",
                        "issued": 1240000,
                        "spent": 986500,
                        "settled": 0,
                        "expired": 0,
                    },
                    "series": [
                        {
                            "day": "2026-05-17",
                            "issued": 860000,
                            "spent": 1102300,
                            "settled": 0,
                            "expired": 1200,
                        },
                        {
                            "day": "2026-05-18",
                            "issued": 1240000,
                            "spent": 986500,
                            "settled": 0,
                            "expired": 0,
                        },
                    ],
                    "outstanding": {"coin": 48570000, "point": 3125400},
                    "velocity": 0.82,
                    "respend_rate": 0.17,
                    "top_categories": [
                        {"category": "食料品", "amount": 12840300, "count": 9412},
                        {"category": "飲食", "amount": 4210800, "count": 3120},
                    ],
                    "budgets": [
                        {
                            "kind": "charge_premium",
                            "code": "premium-2026",
                            "name": "プレミアム付きチャージ（当初予算）",
                            "budget": 30000000,
                            "used": 9600000,
                        },
                        {
                            "kind": "point_programme",
                            "code": "volunteer",
                            "name": "ボランティアポイント",
                            "budget": 2000000,
                            "used": 412300,
                        },
                    ],
                    "period_days": 30,
                }
            ]
        }
    )
)
@dataclass(frozen=True)
class Dashboard:
    today: DayFigures
    series: list[DayFigures]
    outstanding: dict[str, int]
    velocity: float | None
    respend_rate: float | None
    top_categories: list[Category]
    budgets: list[Budget]
    period_days: int


async def dashboard(
    session: AsyncSession,
    *,
    currency_id: int,
    today: date,
    days_back: int = 30,
    now: datetime | None = None,
) -> Dashboard:
    # the flows reach back over the longer of the chart and the period the ratios cover
    start = today - timedelta(days=max(SERIES_DAYS, days_back) - 1)
    flows = await totals_by_day(session, currency_id=currency_id, start=start, end=today)
    series = [DayFigures.of(d, m) for d, m in flows.items()][-SERIES_DAYS:]
    held = await outstanding(session, currency_id=currency_id)
    period = days(today - timedelta(days=days_back - 1), today)
    return Dashboard(
        today=series[-1],
        series=series,
        outstanding=held,
        velocity=velocity(flows, period, held["coin"] + held["point"]),
        respend_rate=respend_rate(flows, period),
        top_categories=await top_categories(session, currency_id, period[0], today),
        budgets=await budgets(session, currency_id=currency_id, now=now or datetime.now(UTC)),
        period_days=days_back,
    )


async def outstanding(session: AsyncSession, *, currency_id: int) -> dict[str, int]:
    """Coins and points in wallets (live lots) and shops' balances (with pending deltas)."""
    by_kind = dict(
        (
            await session.execute(
                sa.select(lot.c.kind, sa.func.sum(lot.c.amount_remaining))
                .where(lot.c.currency_id == currency_id, lot.c.amount_remaining > 0)
                .group_by(lot.c.kind)
            )
        ).all()
    )
    shops = sa.select(account.c.id).where(
        account.c.currency_id == currency_id, account.c.kind == "merchant"
    )
    held = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(account.c.balance), 0)).where(
            account.c.currency_id == currency_id, account.c.kind == "merchant"
        )
    )
    pending = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(balance_delta.c.amount), 0)).where(
            balance_delta.c.currency_id == currency_id, balance_delta.c.account_id.in_(shops)
        )
    )
    return {
        "coin": int(by_kind.get("coin") or 0),
        "point": int(by_kind.get("point") or 0),
        "merchant": int(held or 0) + int(pending or 0),
    }


def velocity(
    flows: dict[date, dict[str, int]], period: list[date], wallets_now: int
) -> float | None:
    """Spent (net) in the period ÷ the average end-of-day wallet balance over the period."""
    balance, ends = wallets_now, {}
    for day in sorted(flows, reverse=True):
        ends[day] = balance
        m = flows[day]
        balance -= m["issued"] + m["refunded"] - m["spent"] - m["expired"]
    average = sum(ends[d] for d in period) / len(period)
    spent = sum(flows[d]["spent"] - flows[d]["refunded"] for d in period)
    return round(spent / average, 4) if average > 0 else None


def respend_rate(flows: dict[date, dict[str, int]], period: list[date]) -> float | None:
    onward = sum(flows[d]["merchant_paid"] for d in period)
    cashed = sum(flows[d]["settled"] + flows[d]["fee"] for d in period)
    return round(onward / (onward + cashed), 4) if onward + cashed > 0 else None


async def top_categories(
    session: AsyncSession, currency_id: int, start: date, end: date
) -> list[Category]:
    sign = sa.case((daily.c.measure == "refunded", -1), else_=1)
    amount = sa.func.sum(daily.c.amount * sign)
    found = await session.execute(
        sa.select(daily.c.category, amount, sa.func.sum(daily.c.count * sign))
        .where(
            daily.c.currency_id == currency_id,
            daily.c.day.between(start, end),
            daily.c.measure.in_(("spent", "refunded")),
            daily.c.category != "",
        )
        .group_by(daily.c.category)
        .order_by(amount.desc(), daily.c.category)
        .limit(TOP)
    )
    return [Category(c, int(a), int(n)) for c, a, n in found]


async def budgets(session: AsyncSession, *, currency_id: int, now: datetime) -> list[Budget]:
    """Campaigns and programmes in force, their budget and what the counters say is used."""
    found: list[Budget] = []
    kinds: tuple[tuple[RuleKind, str], ...] = (
        ("charge_premium", "premium"),
        ("point_programme", "programme"),
    )
    for kind, prefix in kinds:
        for rule in await rulebook.in_force(session, currency_id=currency_id, kind=kind, now=now):
            assert isinstance(rule, ChargePremium | PointProgramme)
            name = f"{prefix}:{rule.code}:budget"
            used = (await counters.read(session, currency_id=currency_id, names=[name]))[name]
            found.append(Budget(kind, rule.code, rule.name.ja, rule.budget, used))
    return found
