"""Writing the audit log. Services call ``record`` in the same transaction as the action,
so an action and its audit record commit together or not at all."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit.models import audit_log


async def record(
    session: AsyncSession,
    *,
    currency_id: int,
    actor: str,
    action: str,
    target: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    request_id: str | None = None,
) -> int:
    """Append one audit record; returns its id."""
    audit_id: int | None = await session.scalar(
        sa.insert(audit_log)
        .values(
            currency_id=currency_id,
            actor=actor,
            action=action,
            target=target,
            before=_plain(before),
            after=_plain(after),
            reason=reason,
            request_id=request_id,
        )
        .returning(audit_log.c.id)
    )
    assert audit_id is not None
    return audit_id


async def entries(
    session: AsyncSession, *, currency_id: int, target: str | None = None, limit: int = 100
) -> list[Mapping[str, Any]]:
    """The newest records first, for the staff console and the tests."""
    query = sa.select(audit_log).where(audit_log.c.currency_id == currency_id)
    if target is not None:
        query = query.where(audit_log.c.target == target)
    rows = await session.execute(query.order_by(audit_log.c.id.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]


def _plain(value: Mapping[str, Any] | None) -> Any:
    """Dates, decimals and sets as JSON can hold them."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_encode, ensure_ascii=False))


def _encode(value: object) -> object:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)
