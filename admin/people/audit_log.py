"""The audit log as the console reads it: filtered, a page at a time, newest first.

A read only (currency/audit/service.entries filters by target alone; this adds actor,
action and dates for the console, and may move there)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit.models import audit_log
from currency.clock import JAPAN
from currency.users.models import user

PAGE = 50
CSV_LIMIT = 10_000
CSV_COLUMNS = ("id", "created_at", "actor", "actor_name", "action", "target", "reason",
               "before", "after")  # fmt: skip


@dataclass(frozen=True)
class Filters:
    actor: str = ""
    action: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None

    def where(self, currency_id: int) -> list[sa.ColumnElement[bool]]:
        c = audit_log.c
        found = [c.currency_id == currency_id]
        if self.actor:
            found.append(c.actor == self.actor)
        if self.action:
            found.append(c.action.startswith(self.action, autoescape=True))
        if self.target:
            found.append(c.target.startswith(self.target, autoescape=True))
        if self.since:
            found.append(c.created_at >= datetime.combine(self.since, time(), JAPAN))
        if self.until:
            found.append(
                c.created_at < datetime.combine(self.until + timedelta(days=1), time(), JAPAN)
            )
        return found


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_before: int | None  # the id to pass as ``before`` for the older page


async def page(
    session: AsyncSession, *, currency_id: int, filters: Filters, before: int | None = None
) -> Page:
    where = filters.where(currency_id)
    if before:
        where.append(audit_log.c.id < before)
    rows = await _rows(session, currency_id, where, PAGE + 1)
    more = rows[PAGE - 1]["id"] if len(rows) > PAGE else None
    return Page(rows[:PAGE], more)


async def _rows(
    session: AsyncSession, currency_id: int, where: list[sa.ColumnElement[bool]], limit: int
) -> list[dict[str, Any]]:
    query = sa.select(audit_log).where(*where).order_by(audit_log.c.id.desc()).limit(limit)
    rows = [dict(r) for r in (await session.execute(query)).mappings()]
    names = await _names(session, currency_id, {r["actor"] for r in rows})
    for row in rows:
        row["actor_name"] = names.get(row["actor"], "")
        row["when"] = row["created_at"].astimezone(JAPAN)
    return rows


async def _names(session: AsyncSession, currency_id: int, actors: set[str]) -> dict[str, str]:
    """ "staff:12" and "user:12" are app users: the name a colleague knows them by."""
    ids = {a: int(n) for a in actors for kind, _, n in [a.partition(":")]
           if kind in ("staff", "user") and n.isdigit()}  # fmt: skip
    if not ids:
        return {}
    query = sa.select(user.c.id, user.c.display_name).where(
        user.c.currency_id == currency_id, user.c.id.in_(set(ids.values()))
    )
    by_id = {i: n for i, n in (await session.execute(query)).all()}
    return {a: by_id[i] for a, i in ids.items() if i in by_id}


async def csv_text(session: AsyncSession, *, currency_id: int, filters: Filters) -> str:
    """The filtered entries (newest first, at most 10,000) as CSV with a BOM for Excel."""
    rows = await _rows(session, currency_id, filters.where(currency_id), CSV_LIMIT)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row, name) for name in CSV_COLUMNS])
    return out.getvalue()


def _cell(row: dict[str, Any], name: str) -> str:
    value = row[name]
    if name == "created_at":
        return str(value.astimezone(JAPAN).isoformat(timespec="seconds"))
    if name in ("before", "after"):
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # no formulas in Excel
