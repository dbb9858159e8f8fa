"""Group commit: operations that arrive together share one transaction and one commit.

A payment service spends most of its time per operation on round trips, commit and the
per-statement overhead of the database; ``GroupCommit`` posts whatever is waiting as one
batch (``posting.post_many``: the same checks, the same two SQL calls, set-based), so
that cost is shared. A caller's ``post`` returns only after its batch has committed: no
caller is ever told "done" for an operation that is not durable.

A batch never holds two requests on the same account or with the same idempotency key
(the later one waits for the next batch, and then sees the first one's effect). A
request refused while planning (not enough balance …) fails alone. If writing a batch
fails, each of its requests is posted again alone, so one bad request cannot fail the
others. If the commit itself fails, every caller of the batch gets the error and may
retry with its idempotency key.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from currency.ledger import posting
from currency.ledger.posting import Outcome, Request
from currency.ledger.types import Posted


@dataclass
class _Waiting:
    currency_id: int
    request: Request
    future: asyncio.Future[Posted]

    @property
    def key(self) -> tuple[str, str] | None:
        idem = self.request.idempotency
        return (idem.principal, idem.key) if idem else None


class _BeforeCommit(Exception):
    """Writing the batch failed before COMMIT: nothing of it happened."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class GroupCommit:
    """Posts ledger requests from many callers, a batch per transaction.

    ``lanes`` batches may be in flight at once (each on its own pooled connection);
    ``max_batch`` bounds a batch. Lanes start when work arrives and stop when the queue is
    empty: there is nothing to start or stop.
    """

    def __init__(self, engine: AsyncEngine, *, lanes: int = 4, max_batch: int = 64) -> None:
        self._engine = engine
        self._max_lanes = lanes
        self._max_batch = max_batch
        self._queue: deque[_Waiting] = deque()
        self._lanes = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0
        self.posted = 0

    async def post(self, currency_id: int, request: Request) -> Posted:
        future: asyncio.Future[Posted] = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(currency_id, request, future))
        if self._lanes < self._max_lanes:
            self._lanes += 1
            task = asyncio.create_task(self._lane())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _lane(self) -> None:
        try:
            while self._queue:
                batch = self._take()
                if batch:
                    await self._run(batch)
        finally:
            self._lanes -= 1

    def _take(self) -> list[_Waiting]:
        """The oldest waiting request and every later one that can share its batch."""
        batch: list[_Waiting] = []
        accounts: set[int] = set()
        keys: set[tuple[str, str]] = set()
        later: deque[_Waiting] = deque()
        while self._queue and len(batch) < self._max_batch:
            waiting = self._queue.popleft()
            if waiting.future.done():  # the caller gave up before it was posted
                continue
            if batch and not self._fits(waiting, batch[0], accounts, keys):
                later.append(waiting)
                continue
            batch.append(waiting)
            accounts |= waiting.request.accounts
            if waiting.key:
                keys.add(waiting.key)
        self._queue.extendleft(reversed(later))
        return batch

    @staticmethod
    def _fits(
        waiting: _Waiting, first: _Waiting, accounts: set[int], keys: set[tuple[str, str]]
    ) -> bool:
        return (
            waiting.currency_id == first.currency_id
            and not accounts & waiting.request.accounts
            and (waiting.key is None or waiting.key not in keys)
        )

    async def _run(self, batch: list[_Waiting]) -> None:
        try:
            outcomes = await self._post(batch)
        except _BeforeCommit as failed:
            if len(batch) > 1:
                for waiting in batch:
                    await self._run([waiting])
                return
            outcomes = [failed.error]
        except Exception as exc:  # the commit failed: nobody's operation is acknowledged
            outcomes = [exc] * len(batch)
        self.batches += 1
        for waiting, outcome in zip(batch, outcomes, strict=True):
            _resolve(waiting.future, outcome)

    async def _post(self, batch: list[_Waiting]) -> list[Outcome]:
        async with self._engine.connect() as conn:
            await conn.begin()
            driver = await posting.driver_of(conn)
            try:
                outcomes = await posting.post_many(
                    driver, batch[0].currency_id, [w.request for w in batch]
                )
            except Exception as exc:
                await conn.rollback()
                raise _BeforeCommit(exc) from exc
            await conn.commit()
        self.posted += sum(1 for o in outcomes if isinstance(o, Posted))
        return outcomes


def _resolve(future: asyncio.Future[Posted], outcome: Outcome) -> None:
    if future.done():
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
