"""When things happen: the settlement period a day falls in, and the rule version in force.

Pure, like :mod:`currency.issuance.policy`: the day or the moment is always passed in.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, Literal, TypeVar

from currency.errors import InvalidOperation
from currency.issuance.standing_rules import SettlementSchedule

R = TypeVar("R")
VersionStatus = Literal["draft", "approved", "rejected"]


@dataclass(frozen=True, slots=True)
class SettlementPeriod:
    """Sales from ``starts_on`` to ``ends_on`` (the cut-off day), both included."""

    starts_on: date
    ends_on: date
    payout_on: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= day <= self.ends_on


def cutoff_dates(schedule: SettlementSchedule, year: int, month: int) -> list[date]:
    """The month's cut-off dates; a day past the month's end is its last day (31 → 30, 28…)."""
    last = calendar.monthrange(year, month)[1]
    return sorted({date(year, month, min(day, last)) for day in schedule.cutoff_days})


def settlement_period(schedule: SettlementSchedule, *, day: date) -> SettlementPeriod:
    """The period containing ``day``: it ends on the first cut-off on or after ``day`` and
    starts the day after the cut-off before; payout ``payout_after_days`` after its end."""
    around = [cut for y, m in _months_around(day) for cut in cutoff_dates(schedule, y, m)]
    ends_on = min(cut for cut in around if cut >= day)
    starts_on = max(cut for cut in around if cut < day) + timedelta(days=1)
    payout_on = ends_on + timedelta(days=schedule.payout_after_days)
    return SettlementPeriod(starts_on=starts_on, ends_on=ends_on, payout_on=payout_on)


def _months_around(day: date) -> list[tuple[int, int]]:
    """Last month, this month, next month as (year, month): each has at least one cut-off."""
    index = day.year * 12 + day.month - 1
    return [(i // 12, i % 12 + 1) for i in (index - 1, index, index + 1)]


@dataclass(frozen=True, slots=True)
class RuleVersion(Generic[R]):
    """One stored version of a rule, as the rule table keeps it."""

    version: int
    status: VersionStatus
    approved_at: datetime | None
    starts_at: datetime
    rule: R

    def __post_init__(self) -> None:
        if (self.status == "approved") != (self.approved_at is not None):
            raise InvalidOperation("approved_at is set exactly when the status is approved")
        if any(t.tzinfo is None for t in (self.starts_at, self.approved_at) if t is not None):
            raise InvalidOperation("starts_at and approved_at must be aware datetimes")

    def in_force_at(self, now: datetime) -> bool:
        """Approved by ``now`` and started by ``now``: a start set in the past takes
        effect at approval, so looking back never finds a rule nobody had approved yet."""
        approved = self.approved_at is not None and self.approved_at <= now
        return approved and self.starts_at <= now


def rule_in_force(versions: Iterable[RuleVersion[R]], *, now: datetime) -> RuleVersion[R] | None:
    """The highest-numbered version in force at ``now``; None when none is.

    A newer version supersedes older ones from its start, whatever their starts; drafts
    and rejected versions never count. Version numbers must be unique.
    """
    if now.tzinfo is None:
        raise InvalidOperation("now must be an aware datetime")
    versions = list(versions)
    if len({v.version for v in versions}) != len(versions):
        raise InvalidOperation("rule versions must have unique numbers")
    return max((v for v in versions if v.in_force_at(now)), key=lambda v: v.version, default=None)
