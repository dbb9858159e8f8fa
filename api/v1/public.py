"""What anyone may read without signing in: the published heads of the ledger's hash chain.

Each day's head is the hash of the last link chained that day (Asia/Tokyo) and its
sequence number. Anyone who keeps these can later check that no transfer before them
was changed, removed or inserted: recomputing the chain from a ledger export must give
the same hash at the same sequence (link = sha256(previous link + canonical transfer),
starting from 32 zero bytes; see currency/ledger/chain.py).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from api.v1 import deps
from api.v1.days import Day
from currency.ledger.models import chain_head
from currency.settings import Settings

router = APIRouter(prefix="/v1/public", tags=["public"])
MAX_LIMIT = 366
# Today's head moves as the day's transfers are chained; a minute's cache is harmless.
CACHE = "public, max-age=60"


class ChainHead(BaseModel):
    day: date = Field(description="The day (Asia/Tokyo) whose last chained link this is.")
    last_sequence: int = Field(description="Sequence number of that link (1 is the first).")
    head_hash: str = Field(description="The link's SHA-256 hash, 64 hexadecimal digits.")


class ChainHeads(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "currency": "SAIKI",
                    "hash_algorithm": "sha256",
                    "heads": [
                        {
                            "day": "2026-11-25",
                            "last_sequence": 48213,
                            "head_hash": "3b1f5c0e9a7d2c4b8e6f1a0d9c8b7a6e"
                            "5f4d3c2b1a0e9f8d7c6b5a4e3d2c1b0a",
                        }
                    ],
                    "next_before": "2026-11-25",
                }
            ]
        }
    )
    currency: str = Field(description="The code of the currency whose ledger this is.")
    hash_algorithm: Literal["sha256"] = "sha256"
    heads: list[ChainHead] = Field(description="Newest day first.")
    next_before: date | None = Field(
        description="Pass as ``before`` for the next, older page; null on the last page."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "currency": "saiki",
                    "hash_algorithm": "sha256",
                    "heads": [
                        {"day": "2026-11-26", "last_sequence": 1842, "head_hash": "9f2c…"},
                    ],
                    "next_before": "2026-11-26",
                }
            ]
        }
    }


async def heads_before(
    session: AsyncSession, *, currency_id: int, before: date | None, limit: int
) -> tuple[list[ChainHead], date | None]:
    """A page of heads, newest first, and the ``before`` of the next page (or None)."""
    h = chain_head.c
    query = sa.select(h.day, h.last_sequence, h.head_hash).where(h.currency_id == currency_id)
    if before is not None:
        query = query.where(h.day < before)
    rows = (await session.execute(query.order_by(h.day.desc()).limit(limit + 1))).all()
    heads = [ChainHead(day=r.day, last_sequence=r.last_sequence, head_hash=r.head_hash.hex())
             for r in rows[:limit]]  # fmt: skip
    return heads, heads[-1].day if len(rows) > limit else None


@router.get(
    "/chain-heads",
    response_model=ChainHeads,
    responses={
        404: {"description": "This service has no ledger for its configured currency."},
        422: {"description": "``before`` is not a date (YYYY-MM-DD) or ``limit`` is not 1–366."},
    },
)
async def chain_heads(
    response: Response,
    before: Day | None = Query(default=None, description="Only days before this one."),
    limit: int = Query(default=31, ge=1, le=MAX_LIMIT),
    session: AsyncSession = Depends(get_session, scope="function"),
    settings: Settings = Depends(deps.settings_of),
) -> ChainHeads:
    """Each day's head of the ledger's hash chain, newest first, no sign-in needed.

    A day with no transfers has no head. Keep the heads you fetch: if the ledger were
    ever rewritten, a recomputed chain would no longer reach them."""
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    heads, next_before = await heads_before(
        session, currency_id=currency_id, before=before, limit=limit
    )
    response.headers["Cache-Control"] = CACHE
    return ChainHeads(currency=settings.currency_code, heads=heads, next_before=next_before)
