"""Rule versions in the database: drafted by one staff member, approved or rejected by
another, in force from their start. Nothing is edited: a change is a new version.

Campaigns and programmes are identified by their ``code`` (several may be in force at
once); the standing rules (expiry, wallet limits, sending, merchant fee, settlement) by
their kind, one in force at a time, with the defaults of ``rules.default_rules`` until
a version is approved. The rule in force is read at operation time: no restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import AlreadyDone, InvalidOperation, NotFound, NotPermitted
from currency.issuance.models import rule as rule_table
from currency.issuance.models import rule_decision
from currency.issuance.rules import Rule, RuleKind, default_rules, parse_rule
from currency.issuance.schedule import RuleVersion, rule_in_force

Status = Literal["draft", "approved", "rejected"]
STANDING_KINDS = (
    "expiry_policy",
    "wallet_limits",
    "send_policy",
    "merchant_fee",
    "settlement_schedule",
)
R = TypeVar("R")


@dataclass(frozen=True)
class StoredRule:
    id: int
    kind: str
    code: str
    version: int
    rule: Rule
    starts_at: datetime
    note: str | None
    drafted_by: int
    drafted_at: datetime
    status: Status
    decided_by: int | None
    decided_at: datetime | None
    reason: str | None

    def as_version(self) -> RuleVersion[Rule]:
        approved_at = self.decided_at if self.status == "approved" else None
        return RuleVersion(self.version, self.status, approved_at, self.starts_at, self.rule)


def code_of(rule: Rule) -> str:
    """Campaigns and programmes by their code; a standing rule by its kind."""
    return str(getattr(rule, "code", rule.kind))


async def draft(
    session: AsyncSession,
    *,
    currency_id: int,
    staff_id: int,
    rule: Rule,
    starts_at: datetime,
    note: str | None = None,
) -> StoredRule:
    """A new version of the rule (the next number for its kind and code), not yet in force."""
    if starts_at.tzinfo is None:
        raise InvalidOperation("starts_at must include a time zone")
    code = code_of(rule)
    await _lock_rule(session, currency_id, rule.kind, code)
    latest = await session.scalar(
        sa.select(sa.func.max(rule_table.c.version)).where(
            rule_table.c.currency_id == currency_id,
            rule_table.c.kind == rule.kind,
            rule_table.c.code == code,
        )
    )
    rule_id = await session.scalar(
        sa.insert(rule_table)
        .values(
            currency_id=currency_id,
            kind=rule.kind,
            code=code,
            version=(latest or 0) + 1,
            body=rule.model_dump(mode="json"),
            starts_at=starts_at,
            drafted_by=staff_id,
            note=note,
        )
        .returning(rule_table.c.id)
    )
    assert rule_id is not None
    stored = await get(session, currency_id=currency_id, rule_id=rule_id)
    await _audit(session, currency_id, stored, staff_id, "rule.draft", note)
    return stored


async def approve(
    session: AsyncSession, *, currency_id: int, staff_id: int, rule_id: int
) -> StoredRule:
    """A second staff member approves: the version is in force from its start."""
    return await _decide(session, currency_id, staff_id, rule_id, "approved", None)


async def reject(
    session: AsyncSession, *, currency_id: int, staff_id: int, rule_id: int, reason: str
) -> StoredRule:
    if not reason.strip():
        raise InvalidOperation("a rejection needs a reason")
    return await _decide(session, currency_id, staff_id, rule_id, "rejected", reason.strip())


async def _decide(
    session: AsyncSession,
    currency_id: int,
    staff_id: int,
    rule_id: int,
    decision: Status,
    reason: str | None,
) -> StoredRule:
    stored = await get(session, currency_id=currency_id, rule_id=rule_id)
    await _lock_rule(session, currency_id, stored.kind, stored.code)
    stored = await get(session, currency_id=currency_id, rule_id=rule_id)
    if stored.status != "draft":
        raise AlreadyDone(f"version {stored.version} of {stored.code} was already {stored.status}")
    if stored.drafted_by == staff_id:
        raise NotPermitted("a rule must be approved or rejected by someone other than its author")
    await session.execute(
        sa.insert(rule_decision).values(
            currency_id=currency_id,
            rule_id=rule_id,
            decision=decision,
            decided_by=staff_id,
            reason=reason,
        )
    )
    decided = await get(session, currency_id=currency_id, rule_id=rule_id)
    action = {"approved": "rule.approve", "rejected": "rule.reject"}[decision]
    await _audit(session, currency_id, decided, staff_id, action, reason, before=stored)
    return decided


async def get(session: AsyncSession, *, currency_id: int, rule_id: int) -> StoredRule:
    rows = await _select(session, currency_id, rule_table.c.id == rule_id)
    if not rows:
        raise NotFound(f"rule {rule_id} does not exist")
    return rows[0]


async def versions(
    session: AsyncSession,
    *,
    currency_id: int,
    kind: RuleKind | None = None,
    code: str | None = None,
) -> list[StoredRule]:
    """Every version, newest first: the history staff see (who drafted, who decided)."""
    where: list[sa.ColumnElement[bool]] = []
    if kind is not None:
        where.append(rule_table.c.kind == kind)
    if code is not None:
        where.append(rule_table.c.code == code)
    return await _select(session, currency_id, *where)


async def in_force(
    session: AsyncSession, *, currency_id: int, kind: RuleKind, now: datetime
) -> list[Rule]:
    """The rules of this kind in force at ``now``: one per code (campaigns may overlap)."""
    by_code: dict[str, list[RuleVersion[Rule]]] = {}
    for stored in await versions(session, currency_id=currency_id, kind=kind):
        by_code.setdefault(stored.code, []).append(stored.as_version())
    found = (rule_in_force(v, now=now) for v in by_code.values())
    return [v.rule for v in found if v is not None]


async def standing(
    session: AsyncSession, *, currency_id: int, kind: RuleKind, model: type[R], now: datetime
) -> R:
    """The standing rule of this kind in force, or the default a new currency starts with."""
    if kind not in STANDING_KINDS:
        raise InvalidOperation(f"{kind} is not a standing rule")
    found = await in_force(session, currency_id=currency_id, kind=kind, now=now)
    chosen: Any = found[0] if found else next(r for r in default_rules() if r.kind == kind)
    if not isinstance(chosen, model):
        raise InvalidOperation(f"the {kind} rule is not a {model.__name__}")
    return chosen


async def programme(session: AsyncSession, *, currency_id: int, code: str, now: datetime) -> Any:
    """The point programme ``code`` in force, or NotFound."""
    for found in await in_force(session, currency_id=currency_id, kind="point_programme", now=now):
        if code_of(found) == code:
            return found
    raise NotFound(f"no point programme {code} is in force")


async def _select(session: AsyncSession, currency_id: int, *where: Any) -> list[StoredRule]:
    d = rule_decision
    query = (
        sa.select(rule_table, d.c.decision, d.c.decided_by, d.c.reason, d.c.created_at.label("at"))
        .join(
            d,
            (d.c.currency_id == rule_table.c.currency_id) & (d.c.rule_id == rule_table.c.id),
            isouter=True,
        )
        .where(rule_table.c.currency_id == currency_id, *where)
        .order_by(rule_table.c.kind, rule_table.c.code, rule_table.c.version.desc())
    )
    return [_stored(r) for r in (await session.execute(query)).mappings()]


def _stored(r: Any) -> StoredRule:
    return StoredRule(
        id=r["id"],
        kind=r["kind"],
        code=r["code"],
        version=r["version"],
        rule=parse_rule(r["body"]),
        starts_at=r["starts_at"],
        note=r["note"],
        drafted_by=r["drafted_by"],
        drafted_at=r["created_at"],
        status=r["decision"] or "draft",
        decided_by=r["decided_by"],
        decided_at=r["at"],
        reason=r["reason"],
    )


async def _lock_rule(session: AsyncSession, currency_id: int, kind: str, code: str) -> None:
    """Drafting and deciding one rule happen one at a time (version numbers, one decision)."""
    key = f"rule/{currency_id}/{kind}/{code}"
    await session.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0)))
    )


async def _audit(
    session: AsyncSession,
    currency_id: int,
    stored: StoredRule,
    staff_id: int,
    action: str,
    reason: str | None,
    before: StoredRule | None = None,
) -> None:
    await audit.record(
        session,
        currency_id=currency_id,
        actor=f"staff:{staff_id}",
        action=action,
        target=f"rule:{stored.id}",
        before=_summary(before) if before else None,
        after=_summary(stored),
        reason=reason,
    )


def _summary(stored: StoredRule) -> dict[str, Any]:
    return {
        "kind": stored.kind,
        "code": stored.code,
        "version": stored.version,
        "status": stored.status,
        "starts_at": stored.starts_at.isoformat(),
        "rule": stored.rule.model_dump(mode="json"),
    }
