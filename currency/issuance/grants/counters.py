"""How much of each cap and budget a programme has used: ``issuance_counter`` rows.

``programme:<code>:budget``, ``programme:<code>:resident:<id>:<YYYY-MM>`` and
``…:<YYYY>``, by the activity's date (a JST calendar date). Every grant locks its rows
in name order, so the budget (which sorts first) is always taken first: concurrent
grants of a programme queue on it and exactly what fits is granted, and a bulk import
holding it has the programme's counters to itself. Counters are counted whatever the
programme's caps, so a later version that adds a cap starts from the truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from currency.errors import LimitExceeded
from currency.issuance import policy
from currency.issuance.counters import add, lock, read
from currency.issuance.grant_csv import Problem
from currency.issuance.policy import Refusal, RuleRefused
from currency.issuance.rules import PointProgramme

__all__ = [
    "Counters",
    "add",
    "budget_of",
    "cap_problem",
    "limit_exceeded",
    "lock",
    "read",
    "refusal",
]


@dataclass(frozen=True, slots=True)
class Counters:
    budget: str
    month: str
    year: str

    @classmethod
    def of(cls, programme: str, resident_id: int, on: date) -> Counters:
        mine = f"programme:{programme}:resident:{resident_id}"
        return cls(budget_of(programme), f"{mine}:{on:%Y-%m}", f"{mine}:{on:%Y}")

    @property
    def names(self) -> list[str]:
        return sorted((self.budget, self.month, self.year))


def budget_of(programme: str) -> str:
    return f"programme:{programme}:budget"


def refusal(
    rule: PointProgramme,
    *,
    activity: str,
    points: int | None,
    names: Counters,
    used: Mapping[str, int],
) -> Refusal | None:
    """The tightest cap (month, year, budget) the grant would pass, or None if it fits."""
    try:
        policy.points_for_grant(
            rule, activity=activity, points=points, month_total=used.get(names.month, 0),
            year_total=used.get(names.year, 0), programme_spent=used.get(names.budget, 0),
        )  # fmt: skip
    except RuleRefused as refused:
        return refused.refusal
    return None


def limit_exceeded(refusal: Refusal, on: date) -> LimitExceeded:
    r = refusal
    message = cap_problem(r, on).en
    return LimitExceeded(message, code=r.code, requested=r.requested, limit=r.limit, used=r.used)


def cap_problem(refusal: Refusal, on: date) -> Problem:
    """Which cap a grant would pass, by how much, and what would still fit (ja and en)."""
    r = refusal
    what_ja, what_en, used_ja, used_en = {
        "monthly_cap": (f"{on.year}年{on.month}月の月間上限", f"the monthly cap for {on:%Y-%m}",
                        "この月はすでに", "to this resident that month"),
        "yearly_cap": (f"{on.year}年の年間上限", f"the yearly cap for {on.year}",
                       "この年はすでに", "to this resident that year"),
    }.get(r.code, ("事業の予算", "the programme's budget", "すでに", "from it"))  # fmt: skip
    return Problem(
        r.code,
        f"{what_ja}（{r.limit:,}pt）を{r.excess:,}pt超えます。{used_ja}{r.used:,}pt付与済みで、"
        f"あと{r.remaining:,}ptまで付与できます（今回{r.requested:,}pt）。",
        f"{r.requested:,} pt would pass {what_en} of {r.limit:,} pt by {r.excess:,} pt: "
        f"{r.used:,} pt are already granted {used_en}, so at most {r.remaining:,} pt more "
        "can be granted.",
    )
