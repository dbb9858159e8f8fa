"""The scheduled jobs inside ``meguri serve``, for a single-machine install.

``meguri worker`` runs the jobs (chain sequencing, balance roll-up, expiry, housekeeping,
report rollups) in production. A city trying Meguri on one machine runs only ``make serve``:
without this the chain stops at the demo, the staff dashboard's "today" never moves and
expired value is never swept. So when the settings ask for it (by default: the embedded
database, which production refuses) the app runs the same sweep every few seconds in the
serve process. The jobs hold advisory locks, so a worker running as well, or several serve
workers, never do the same job twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from currency import jobs
from currency.settings import Settings

log = logging.getLogger(__name__)
EVERY_SECONDS = 5.0  # a sweep with nothing to do costs a few index probes


def wanted(settings: Settings) -> bool:
    """``MEGURI_JOBS_IN_PROCESS`` when set, else on with the embedded database only."""
    chosen = settings.jobs_in_process
    return settings.uses_embedded_database if chosen is None else chosen


@contextlib.asynccontextmanager
async def running(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    every: float = EVERY_SECONDS,
) -> AsyncIterator[asyncio.Task[None] | None]:
    """Sweep the jobs in the background while the app serves (if wanted); stop with it."""
    if not wanted(settings):
        yield None
        return
    task = asyncio.create_task(_sweep_forever(sessions, every), name="meguri-jobs")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _sweep_forever(sessions: async_sessionmaker[AsyncSession], every: float) -> None:
    while True:
        try:
            await jobs.sweep(sessions)
        except Exception:  # the database restarting must not stop the app serving
            log.exception("an in-process job sweep failed; trying again in %s s", every)
        await asyncio.sleep(every)
