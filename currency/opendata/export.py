"""``meguri export ledger``: the chained transfers in sequence order, for anyone to re-hash."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.ledger.models import chain_link, transfer
from currency.opendata import heads


async def write_ledger(
    session: AsyncSession,
    *,
    currency_id: int,
    currency_code: str,
    out: TextIO,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the header and every chained transfer (JSON Lines); returns how many rows."""
    out.write(json.dumps(heads.header(currency_code)) + "\n")
    after, written = 0, 0
    while rows := await _page(session, currency_id, after, batch):
        for row in rows:
            line = heads.export_row(row["sequence"], row["hash"], dict(row))
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        after, written = rows[-1]["sequence"], written + len(rows)
        if progress:
            progress(len(rows))
    return written


async def chained_count(session: AsyncSession, *, currency_id: int) -> int:
    found = await session.scalar(
        sa.select(sa.func.count()).where(chain_link.c.currency_id == currency_id)
    )
    return int(found or 0)


async def _page(
    session: AsyncSession, currency_id: int, after: int, batch: int
) -> list[sa.RowMapping]:
    link, t = chain_link, transfer
    query = (
        sa.select(link.c.sequence, link.c.hash, t)
        .join(t, (t.c.currency_id == link.c.currency_id) & (t.c.id == link.c.transfer_id))
        .where(link.c.currency_id == currency_id, link.c.sequence > after)
        .order_by(link.c.sequence)
        .limit(batch)
    )
    return list((await session.execute(query)).mappings())
