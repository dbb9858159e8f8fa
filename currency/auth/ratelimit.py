"""Rate limits on sign-in, PIN and activation attempts: fixed windows per bucket.

A bucket names what is limited: ``login:user:<name>``, ``login:ip:<address>``,
``pin:resident:<number>``, ``pin:ip:<address>`` … Each attempt counts one hit in the
current window (``INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits``:
concurrent attempts queue on the row, so a burst cannot slip past the limit). Attempts
are counted before the password or PIN is checked, so a refused attempt costs the
server no hashing.

The hit must be COMMITTED even when the request then fails (a wrong password is exactly
what must count), so callers check sign-ins in a short transaction of their own and
commit it whatever happens, as with card PINs (see cards.py)::

    async with sessions() as auth:
        try:
            tokens = await login.login_user(auth, ...)
        finally:
            await auth.commit()  # keeps the hits, the PIN failure count, the lockout

Old windows are removed as we go: each hit deletes its bucket's earlier windows, and
about one hit in a hundred sweeps the currency's windows older than a day.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth.models import rate_limit as t
from currency.errors import RateLimited

LONGEST_WINDOW = timedelta(days=1)
BUCKET_CHARS = 200  # a bucket is built from typed input: keep it short
SWEEP_ONE_IN = 100
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` per ``window`` in one bucket."""

    attempts: int
    window: timedelta

    async def hit(
        self, session: AsyncSession, *parts: str, currency_id: int, now: datetime
    ) -> None:
        """Count one attempt in ``bucket(*parts)``; RateLimited past the limit."""
        await hit(
            session,
            currency_id=currency_id,
            bucket=bucket(*parts),
            limit=self.attempts,
            window=self.window,
            now=now,
        )


def bucket(*parts: str) -> str:
    """``bucket("login", "user", name)`` → ``"login:user:name"``, trimmed to a sane length."""
    return ":".join(parts)[:BUCKET_CHARS]


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed window holding ``now`` (windows are aligned on 2000-01-01)."""
    return now - (now - _EPOCH) % window


async def hit(
    session: AsyncSession,
    *,
    currency_id: int,
    bucket: str,
    limit: int,
    window: timedelta,
    now: datetime,
) -> None:
    """Count one attempt; RateLimited (with ``retry_after`` seconds) past ``limit``.

    Commit even when it raises (see the module)."""
    if not timedelta(seconds=1) <= window <= LONGEST_WINDOW:
        raise ValueError(f"a rate-limit window is between a second and a day, not {window}")
    start = window_start(now, window)
    hits = await _count(session, currency_id, bucket, start)
    await _forget_before(session, currency_id, bucket, start)
    if secrets.randbelow(SWEEP_ONE_IN) == 0:
        await _sweep(session, currency_id, now - LONGEST_WINDOW)
    if hits > limit:
        retry_after = max(1, math.ceil((start + window - now).total_seconds()))
        raise RateLimited(
            f"Too many attempts. Please wait {_wait(retry_after)} and try again.",
            retry_after=retry_after,
        )


async def _count(session: AsyncSession, currency_id: int, bucket: str, start: datetime) -> int:
    statement = insert(t).values(currency_id=currency_id, bucket=bucket, window_start=start, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=[t.c.currency_id, t.c.bucket, t.c.window_start],
        set_={"hits": t.c.hits + 1},
    )
    return int(await session.scalar(statement.returning(t.c.hits)) or 0)


async def _forget_before(
    session: AsyncSession, currency_id: int, bucket: str, start: datetime
) -> None:
    await session.execute(
        sa.delete(t).where(
            t.c.currency_id == currency_id, t.c.bucket == bucket, t.c.window_start < start
        )
    )


async def _sweep(session: AsyncSession, currency_id: int, before: datetime) -> None:
    # SKIP LOCKED: never wait on a bucket another sign-in is counting right now
    stale = (
        sa.select(t.c.bucket, t.c.window_start)
        .where(t.c.currency_id == currency_id, t.c.window_start < before)
        .limit(1000)
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        sa.delete(t).where(
            t.c.currency_id == currency_id,
            sa.tuple_(t.c.bucket, t.c.window_start).in_(stale),
        )
    )


def _wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
