"""Previewing and committing a bulk grant file (see the package's docstring)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import InvalidOperation, NotFound
from currency.issuance import grant_csv, grants
from currency.issuance.bulk.rows import Checker, RowOutcome
from currency.issuance.grant_csv import ParsedFile, Problem
from currency.issuance.grants import GrantResult, Order, Programme
from currency.issuance.grants import counters as counter_rows
from currency.issuance.rule_types import MAX_AMOUNT
from currency.ledger import posting
from currency.ledger.posting import Request
from currency.ledger.types import Idempotency

PRINCIPAL = "staff-import"
BATCH = 500  # grants posted per ledger call
Progress = Callable[[int, int], None]
Lined = tuple[int, Order]


class GrantFileRefused(InvalidOperation):
    """The file as a whole cannot be read; ``problem`` has the message in ja and en."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.en)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Totals:
    rows: int
    ok: int
    errors: int
    points: int


@dataclass(frozen=True, slots=True)
class Preview:
    programme: str
    sha256: str
    encoding: str
    ignored_columns: tuple[str, ...]
    rows: tuple[RowOutcome, ...]
    imported_at: datetime | None = None  # this very file was committed before, then

    @property
    def totals(self) -> Totals:
        ok = [row for row in self.rows if row.ok]
        points = sum(row.points or 0 for row in ok)
        return Totals(len(self.rows), len(ok), len(self.rows) - len(ok), points)

    @property
    def problem_lines(self) -> list[int]:
        return [row.line for row in self.rows if not row.ok]


@dataclass(frozen=True, slots=True)
class CommitResult:
    programme: str
    sha256: str
    rows: int
    points: int
    operation_ids: tuple[int, ...] = ()
    replayed: bool = False  # imported before: nothing was granted this time


async def preview(
    session: AsyncSession,
    *,
    currency_id: int,
    programme_code: str,
    data: bytes,
    staff_id: int,
    now: datetime,
) -> Preview:
    """Every row's outcome and the totals; nothing is written. ``staff_id``: who looks."""
    found, _ = await _plan(session, currency_id, programme_code, data, now)
    return found


async def commit(
    session: AsyncSession,
    *,
    currency_id: int,
    programme_code: str,
    data: bytes,
    staff_id: int,
    now: datetime,
    progress: Progress | None = None,
) -> CommitResult:
    """Grant every row, or refuse the file (InvalidOperation) when any row has a problem."""
    sha256 = hashlib.sha256(data).hexdigest()
    checked = await _checked(session, currency_id, programme_code, data, now, sha256)
    if isinstance(checked, CommitResult):
        return checked
    planned, orders = checked
    names = {name for _, order in orders for name in order.counters.names}
    await counter_rows.lock(session, currency_id=currency_id, names=names)
    granted = await _post_all(session, currency_id, sha256, orders, staff_id, progress)
    fresh = [(order, result) for order, result in granted if not result.replayed]
    await counter_rows.add(session, currency_id=currency_id, amounts=_amounts(fresh))
    totals = planned.totals
    if not fresh:  # a concurrent commit of this same file got there first
        return CommitResult(planned.programme, sha256, totals.rows, totals.points, (), True)
    ids = tuple(sorted(result.operation_id for _, result in fresh))
    await audit.record(
        session, currency_id=currency_id, actor=f"staff:{staff_id}", action="grant.bulk",
        target=_target(sha256),
        after={"programme": planned.programme, "sha256": sha256, "rows": totals.rows,
               "points": totals.points, "first_operation_id": ids[0],
               "last_operation_id": ids[-1]},
    )  # fmt: skip
    return CommitResult(planned.programme, sha256, totals.rows, totals.points, ids)


async def _checked(
    session: AsyncSession,
    currency_id: int,
    programme_code: str,
    data: bytes,
    now: datetime,
    sha256: str,
) -> tuple[Preview, list[Lined]] | CommitResult:
    """Checked once before taking any lock (a refused file writes nothing at all), then
    again holding the programme's budget counter, which every grant of it takes first:
    from then on nobody else can change its counters, nor commit this file."""
    for locked in (False, True):
        if locked:
            budget = counter_rows.budget_of(programme_code)
            await counter_rows.lock(session, currency_id=currency_id, names=[budget])
        if earlier := await _earlier_import(session, currency_id, sha256):
            return _replayed(earlier)
        planned, orders = await _plan(session, currency_id, programme_code, data, now)
        if planned.totals.errors:
            raise InvalidOperation(_refusal(planned))
    return planned, orders


async def _post_all(
    session: AsyncSession,
    currency_id: int,
    sha256: str,
    orders: list[Lined],
    staff_id: int,
    progress: Progress | None,
) -> list[tuple[Order, GrantResult]]:
    """Post the grants in batches; any refusal raises (the caller's transaction rolls back)."""
    if not orders:
        return []
    programme = orders[0][1].programme
    source = await grants.source_account(session, currency_id=currency_id, programme=programme)
    driver = await posting.driver_in_transaction(session)
    done: list[tuple[Order, GrantResult]] = []
    for batch in batches(orders):
        requests = [_request(line, order, sha256, staff_id, source) for line, order in batch]
        outcomes = await posting.post_many(driver, currency_id, requests)
        for (_, order), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                raise outcome
            done.append((order, grants.result_of(outcome, order)))
        if progress:
            progress(len(done), len(orders))
    return done


def _request(line: int, order: Order, sha256: str, staff_id: int, source: int) -> Request:
    """Row ``line`` of the file ``sha256``: its key is the same whoever imports the file."""
    key = Idempotency(PRINCIPAL, f"{sha256}:{line}", order.request())
    details = {"staff": staff_id, "import": sha256, "line": line}
    actor = f"staff:{staff_id}"
    return grants.issue_request(order, actor=actor, idempotency=key, details=details, source=source)


def batches(orders: list[Lined], size: int | None = None) -> list[list[Lined]]:
    """Batches with no wallet twice (the ledger's rule), wallets in increasing order.

    A resident's k-th row goes in pass k; each pass is in wallet order. So wallets are
    locked in increasing order across the whole import, and two imports sharing
    residents never deadlock.
    """
    passes: list[list[Lined]] = []
    seen: Counter[int] = Counter()
    for line, order in sorted(orders, key=lambda item: (item[1].resident.wallet, item[0])):
        k = seen[order.resident.wallet]
        seen[order.resident.wallet] += 1
        if k == len(passes):
            passes.append([])
        passes[k].append((line, order))
    n = size or BATCH
    return [p[i : i + n] for p in passes for i in range(0, len(p), n)]


def _amounts(granted: list[tuple[Order, GrantResult]]) -> dict[str, int]:
    amounts: Counter[str] = Counter()
    for order, result in granted:
        for name in order.counters.names:
            amounts[name] += result.points
    return dict(amounts)


def _refusal(planned: Preview) -> str:
    lines = planned.problem_lines
    shown = ", ".join(str(n) for n in lines[:5])
    more = f" and {len(lines) - 5} more" if len(lines) > 5 else ""
    return (
        f"{len(lines)} of {planned.totals.rows} rows have problems (line {shown}{more}); "
        "nothing was granted. Please correct them and import the file again."
    )


def _target(sha256: str) -> str:
    return f"grant-file:{sha256}"


async def _earlier_import(
    session: AsyncSession, currency_id: int, sha256: str
) -> Mapping[str, Any] | None:
    found = await audit.entries(session, currency_id=currency_id, target=_target(sha256), limit=1)
    return found[0] if found else None


def _replayed(earlier: Mapping[str, Any]) -> CommitResult:
    after = earlier["after"]
    return CommitResult(
        after["programme"], after["sha256"], int(after["rows"]), int(after["points"]), (), True
    )


async def _plan(
    session: AsyncSession, currency_id: int, programme_code: str, data: bytes, now: datetime
) -> tuple[Preview, list[Lined]]:
    """The preview, and the grant each good row makes (with its line)."""
    programme = await _programme(session, currency_id, programme_code, now)
    parsed = _parse(data, programme)
    requests = [row.request for row in parsed.rows if row.request is not None]
    residents = await grants.find_residents(
        session, currency_id=currency_id, numbers=[r.resident_number for r in requests]
    )
    checker = Checker(programme_code, programme, residents, grants.japan_date(now))
    if programme is not None:
        checker.expires_on = await grants.lot_expiry(
            session, currency_id=currency_id, programme=programme, now=now
        )
    checker.used = await counter_rows.read(
        session, currency_id=currency_id, names=checker.counter_names(requests)
    )
    checked = [checker.check(row, parsed) for row in parsed.rows]
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = await _earlier_import(session, currency_id, sha256)
    found = Preview(
        programme_code, sha256, parsed.encoding, parsed.ignored_columns,
        tuple(outcome for outcome, _ in checked), earlier["created_at"] if earlier else None,
    )  # fmt: skip
    return found, [(outcome.line, order) for outcome, order in checked if order is not None]


async def _programme(
    session: AsyncSession, currency_id: int, code: str, now: datetime
) -> Programme | None:
    try:
        return await grants.programme_in_force(session, currency_id=currency_id, code=code, now=now)
    except NotFound:
        return None


def _parse(data: bytes, programme: Programme | None) -> ParsedFile:
    """A row's points may not pass the programme's smallest cap: beyond it, likely a typo."""
    rule = programme.rule if programme else None
    caps = [rule.monthly_cap, rule.yearly_cap, rule.budget] if rule else []
    try:
        return grant_csv.parse(data, max_points=min((c for c in caps if c), default=MAX_AMOUNT))
    except grant_csv.GrantFileError as error:
        raise GrantFileRefused(error.problem) from None
