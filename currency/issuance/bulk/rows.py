"""Checking the rows of a grant file against the database, in file order.

A good row counts toward the caps of the rows after it, so a resident listed twice in a
month is refused on the row that passes the cap. Every problem has a plain Japanese
message for staff and an English one for logs and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from currency.issuance import grant_csv, grants
from currency.issuance.grant_csv import GrantRequest, ParsedFile, Problem, Row
from currency.issuance.grants import Counters, Order, Programme, Resident


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """One data row: the grant it would make, or its problems (warnings never block)."""

    line: int
    resident_number: str
    activity: str
    points: int | None
    on: date | None
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Checker:
    code: str  # the programme the staff member named
    programme: Programme | None  # None: not in force
    residents: dict[str, Resident]
    today: date
    expires_on: date = date.min
    used: dict[str, int] = field(default_factory=dict)  # counters, plus the good rows so far

    def counter_names(self, requests: list[GrantRequest]) -> list[str]:
        people = [(self.residents.get(r.resident_number), r.on or self.today) for r in requests]
        return [n for p, on in people if p for n in Counters.of(self.code, p.id, on).names]

    def check(self, row: Row, parsed: ParsedFile) -> tuple[RowOutcome, Order | None]:
        request = row.request
        if request is None:
            return _outcome(row, parsed, None, row.problems), None
        order = self._order(request)
        if isinstance(order, list):
            return _outcome(row, parsed, request.points, tuple(order)), None
        if (refusal := order.refusal(self.used)) is not None:
            problem = grants.cap_problem(refusal, order.on)
            return _outcome(row, parsed, order.amount, (problem,)), None
        for name in order.counters.names:
            self.used[name] = self.used.get(name, 0) + order.amount
        return _outcome(row, parsed, order.amount, ()), order

    def _order(self, request: GrantRequest) -> Order | list[Problem]:
        programme = self.programme
        person = self.residents.get(request.resident_number)
        activity = grants.find_activity(programme, request.activity) if programme else None
        on = request.on or self.today
        problems: list[Problem] = []
        if programme is None:
            problems.append(not_in_force(self.code))
        elif activity is None:
            problems.append(unknown_activity(request.activity, programme))
        if found := resident_problem(request.resident_number, person):
            problems.append(found)
        if on > self.today:
            problems.append(future(on))
        if problems or programme is None or person is None or activity is None:
            return problems
        return Order(person, programme, activity, request.points, on, request.note, self.expires_on)


def _outcome(
    row: Row, parsed: ParsedFile, points: int | None, problems: tuple[Problem, ...]
) -> RowOutcome:
    request = row.request

    def cell(name: grant_csv.Field) -> str:
        index = parsed.columns.get(name)
        return row.cells[index].strip() if index is not None and index < len(row.cells) else ""

    number = request.resident_number if request else cell("resident_number")
    activity = request.activity if request else cell("activity")
    on = request.on if request else None
    return RowOutcome(row.line, number, activity, points, on, problems, row.warnings)


def not_in_force(code: str) -> Problem:
    return Problem(
        "programme_not_in_force",
        f"ポイント事業「{code}」は現在実施されていません。事業コードと承認状況をご確認ください。",
        f'The point programme "{code}" is not in force now. Check the code and its approval.',
    )


def resident_problem(number: str, person: Resident | None) -> Problem | None:
    if person is None:
        return Problem(
            "unknown_resident",
            f"住民番号「{number}」の利用者が登録されていません。",
            f"No resident has the number {number}.",
        )
    if person.status != "active":
        return Problem(
            "resident_not_active",
            f"住民番号「{number}」の利用者は現在ご利用できない状態です（{person.status}）。",
            f"Resident {number}'s registration is {person.status}: points cannot be granted.",
        )
    return None


def unknown_activity(text: str, programme: Programme) -> Problem:
    ja = "、".join(f"{a.name.ja}（{a.code}）" for a in programme.rule.activities)
    en = ", ".join(f"{a.code} ({a.name.en})" for a in programme.rule.activities)
    return Problem(
        "unknown_activity",
        f"活動「{text}」はこの事業にありません。使える活動：{ja}",
        f'The programme has no activity "{text}". Its activities: {en}.',
    )


def future(on: date) -> Problem:
    return Problem(
        "future_date",
        f"活動日{on:%Y/%m/%d}は未来の日付です。",
        f"The activity date {on} is in the future.",
    )
