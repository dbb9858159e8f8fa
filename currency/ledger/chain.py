"""The hash chain: every committed transfer, linked in order, per currency.

Writers never wait on the chain: each operation queues its transfers (same
transaction), and ``seal`` — one sequencer per currency, under an advisory lock —
appends what is queued, in id order, and removes it from the queue. A transfer that
commits late with a smaller id is simply chained by a later sweep: nothing is missed,
nothing is chained twice (the link's transfer is unique).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from currency.ledger.models import chain_head, chain_link, chain_queue, transfer

GENESIS = bytes(32)
SEQUENCER_LOCK = 0x6D656775  # "megu": with the currency as second key, one sequencer each
TIMEZONE = ZoneInfo("Asia/Tokyo")


def canonical(row: Mapping[str, Any] | sa.RowMapping) -> bytes:
    """The transfer as the chain sees it: sorted keys, no spaces, UTC microseconds."""
    created: datetime = row["created_at"]
    document = {
        "amount": row["amount"],
        "created_at": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "credit": row["credit_account_id"],
        "currency": row["currency_id"],
        "debit": row["debit_account_id"],
        "id": row["id"],
        "kind": row["kind"],
        "leg": row["leg"],
        "operation": row["operation_id"],
        "reverses": row["reverses_transfer_id"],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(previous: bytes, row: Mapping[str, Any] | sa.RowMapping) -> bytes:
    return hashlib.sha256(previous + canonical(row)).digest()


async def seal(session: AsyncSession, *, currency_id: int, batch: int = 5000) -> int:
    """Chain what is queued (up to ``batch``); returns how many links were appended."""
    locked = await session.scalar(
        sa.select(sa.func.pg_try_advisory_xact_lock(SEQUENCER_LOCK, currency_id))
    )
    if not locked:
        return 0
    rows = await _queued(session, currency_id, batch)
    if not rows:
        return 0
    sequence, previous = await _head(session, currency_id)
    now = datetime.now(UTC)
    links = []
    for row in rows:
        sequence += 1
        digest = link_hash(previous, row)
        links.append(
            {
                "currency_id": currency_id,
                "sequence": sequence,
                "transfer_id": row["id"],
                "previous_hash": previous,
                "hash": digest,
                "chained_at": now,
            }
        )
        previous = digest
    await session.execute(sa.insert(chain_link), links)
    await session.execute(
        sa.delete(chain_queue).where(
            chain_queue.c.currency_id == currency_id,
            chain_queue.c.transfer_id.in_([r["id"] for r in rows]),
        )
    )
    await _record_head(session, currency_id, now, sequence, previous)
    return len(rows)


async def seal_all(session: AsyncSession, *, currency_id: int) -> int:
    total = 0
    while count := await seal(session, currency_id=currency_id):
        total += count
    return total


async def _queued(session: AsyncSession, currency_id: int, batch: int) -> list[Mapping[str, Any]]:
    result = await session.execute(
        sa.select(transfer)
        .join(
            chain_queue,
            sa.and_(
                chain_queue.c.currency_id == transfer.c.currency_id,
                chain_queue.c.transfer_id == transfer.c.id,
            ),
        )
        .where(transfer.c.currency_id == currency_id)
        .order_by(transfer.c.id)
        .limit(batch)
    )
    return [dict(row) for row in result.mappings()]


async def _head(session: AsyncSession, currency_id: int) -> tuple[int, bytes]:
    row = (
        await session.execute(
            sa.select(chain_link.c.sequence, chain_link.c.hash)
            .where(chain_link.c.currency_id == currency_id)
            .order_by(chain_link.c.sequence.desc())
            .limit(1)
        )
    ).one_or_none()
    return (0, GENESIS) if row is None else (row.sequence, row.hash)


async def _record_head(
    session: AsyncSession, currency_id: int, now: datetime, sequence: int, digest: bytes
) -> None:
    day = now.astimezone(TIMEZONE).date()
    statement = insert(chain_head).values(
        currency_id=currency_id, day=day, last_sequence=sequence, head_hash=digest
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["currency_id", "day"],
            set_={
                "last_sequence": statement.excluded.last_sequence,
                "head_hash": statement.excluded.head_hash,
            },
        )
    )
