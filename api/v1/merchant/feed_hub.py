"""One poller per app process for the shops' live feeds.

Every ``POLL_S`` it asks the database once (one query, for every shop with a listener)
whether a sale or refund of those shops committed, and wakes the listeners of the shops
that got something; each listener then reads its own shop's new events with a short
session. Nothing touches the payment path: no trigger, no NOTIFY — one index range per
shop and poll.

The hub lives on ``app.state.feed_hub``, made on first use. Its task starts with the first
listener and is cancelled when the last one leaves; ``close(app)`` cancels it at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from currency.merchants import feed

POLL_S = 0.25
log = logging.getLogger(__name__)


class FeedHub:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._listeners: dict[feed.Shop, set[asyncio.Event]] = {}
        self._seen: dict[feed.Shop, tuple[int, int]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        """Whether a poller task is alive (or still finishing after its cancellation)."""
        return (self._task is not None and not self._task.done()) or bool(self._stopping)

    @property
    def listeners(self) -> int:
        return sum(len(found) for found in self._listeners.values())

    @contextlib.asynccontextmanager
    async def listen(self, shop: feed.Shop) -> AsyncIterator[asyncio.Event]:
        """An event set whenever ``shop`` may have something new (clear it before reading)."""
        woken = asyncio.Event()
        self._listeners.setdefault(shop, set()).add(woken)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="merchant-feed-hub")
        try:
            yield woken
        finally:
            self._leave(shop, woken)

    def _leave(self, shop: feed.Shop, woken: asyncio.Event) -> None:
        found = self._listeners.get(shop, set())
        found.discard(woken)
        if not found:
            self._listeners.pop(shop, None)
            self._seen.pop(shop, None)
        if not self._listeners and self._task is not None:
            self._stop(self._task)
            self._task = None

    def _stop(self, task: asyncio.Task[None]) -> None:
        task.cancel()
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    async def close(self) -> None:
        if self._task is not None:
            self._stop(self._task)
            self._task = None
        for task in list(self._stopping):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while self._listeners:
            try:
                await self._poll()
            except Exception:  # the database away for a moment: try again next tick
                log.exception("the merchant feed poll failed")
            await asyncio.sleep(POLL_S)

    async def _poll(self) -> None:
        shops = list(self._listeners)
        async with self._sessions() as session, session.begin():
            now = await feed.recent(session, shops=shops)
        for shop in shops:
            mark = now.get(shop, (0, 0))
            if self._seen.get(shop) != mark:
                self._seen[shop] = mark
                for woken in self._listeners.get(shop, ()):
                    woken.set()


def hub_of(app: FastAPI) -> FeedHub:
    """The app's hub, made on first use."""
    hub: FeedHub | None = getattr(app.state, "feed_hub", None)
    if hub is None:
        hub = app.state.feed_hub = FeedHub(app.state.sessionmaker)
    return hub


async def close(app: FastAPI) -> None:
    """Stop the poller at shutdown (call from the app's lifespan, before the engine goes)."""
    hub: FeedHub | None = getattr(app.state, "feed_hub", None)
    if hub is not None:
        await hub.close()
