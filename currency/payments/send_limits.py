"""How many refused sends one resident may have: the bound on guessing resident numbers.

A send to a number nobody has is refused (404, so that a resident who mistyped is told),
which lets a signed-in resident find out which numbers exist. So refused sends are
limited: at most ``REFUSED_SENDS.attempts`` per resident per hour, then every send of that
resident is refused (429, with the wait) until the hour is over, whatever the number: a
429 that only unknown numbers got would itself tell which numbers exist. Every refusal
counts, not only "no such number": a known number refused for another reason (not enough
coins, over a limit) tells as much. A send that goes through does not count (it moves
coins to a stranger, within the send policy's daily limit: guessing that way costs money).

The count uses the sign-in rate-limit buckets (currency/auth/ratelimit.py, bucket
``send:resident:<id>``) and must survive the refusal, so it is kept in a side session of
its own that is committed apart from the send (``counted``). A send is counted BEFORE it is
tried and uncounted when it goes through: a burst of sends at once cannot slip past.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth import ratelimit
from currency.auth.models import rate_limit
from currency.errors import RateLimited

REFUSED_SENDS = ratelimit.Limit(10, timedelta(hours=1))
TOO_MANY = (
    "Too many of your sends were refused within the hour (a resident number that is not "
    "right, or an amount that cannot be sent). Please wait {wait} minutes, check the number "
    "with the person you are sending to, and try again."
)


def _bucket(resident_id: int) -> tuple[str, ...]:
    return ("send", "resident", str(resident_id))


async def reserve(
    session: AsyncSession, *, currency_id: int, resident_id: int, now: datetime
) -> None:
    """Count the send as refused until ``release``; RateLimited once past the limit.

    Commit even when it raises (the module says why)."""
    try:
        await REFUSED_SENDS.hit(session, *_bucket(resident_id), currency_id=currency_id, now=now)
    except RateLimited as limited:
        wait = max(1, math.ceil(limited.retry_after / 60))
        raise RateLimited(TOO_MANY.format(wait=wait), retry_after=limited.retry_after) from None


async def release(
    session: AsyncSession, *, currency_id: int, resident_id: int, now: datetime
) -> None:
    """The send reserved at ``now`` went through: it no longer counts."""
    window = ratelimit.window_start(now, REFUSED_SENDS.window)
    await session.execute(
        sa.update(rate_limit)
        .where(
            rate_limit.c.currency_id == currency_id,
            rate_limit.c.bucket == ratelimit.bucket(*_bucket(resident_id)),
            rate_limit.c.window_start == window,
            rate_limit.c.hits > 0,
        )
        .values(hits=rate_limit.c.hits - 1)
    )


@asynccontextmanager
async def counted(
    checks: AsyncSession, *, currency_id: int, resident_id: int, now: datetime
) -> AsyncIterator[None]:
    """Around a send: counted as refused unless the block finishes without raising.

    ``checks`` is a session of its own (the side pool, api/v1/deps.py
    get_session_kept_on_error), never the one that moves value: it is committed here, once
    before the send and once after it went through, so the count outlives a refusal."""
    try:
        await reserve(checks, currency_id=currency_id, resident_id=resident_id, now=now)
    finally:
        await checks.commit()
    yield
    await release(checks, currency_id=currency_id, resident_id=resident_id, now=now)
    await checks.commit()
