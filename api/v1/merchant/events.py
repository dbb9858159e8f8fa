"""The shop's live sales: each payment and refund, as Server-Sent Events.

Sign-in is checked once, with a short session released before the stream starts; the
stream then reads with a short session each time the app's feed hub says the shop got
something (api/v1/merchant/feed_hub.py), so a listener holds no database connection.

What a shopkeeper opening the live sales page expects: today's payments and refunds
first (the list and the total of the day), then each new one as it commits. A reconnect
with ``Last-Event-ID`` (the header, or ``?last_event_id=`` for a page that reconnects by
itself) gets exactly what it missed — at most the last 24 hours — and nothing twice.

The stream ends when the access token it was opened with expires (a browser session:
after the same 10 minutes), so a blocked user or a changed role is let in no longer; the
client reconnects with a fresh token and ``Last-Event-ID``, losing nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel

from api.v1 import deps
from api.v1.merchant import feed_hub
from api.v1.merchant.shop import REFUSALS, AtShop, shop_user
from currency.auth import tokens
from currency.errors import CurrencyError
from currency.merchants import feed

router = APIRouter()
HEARTBEAT_S = 15.0
RETRY_MS = 3000
RESUME_FOR = timedelta(hours=24)
MAX_STREAM = tokens.LIFETIME


class SaleEvent(BaseModel):
    """The ``data`` of each event (its SSE ``id`` is the cursor to resume from)."""

    id: str
    kind: Literal["payment", "refund"]
    operation_id: int
    reference: str  # the last 4 digits of the operation number, as the customer's screen shows
    amount: int
    by_kind: dict[str, int]  # e.g. {"coin": 800, "point": 200}
    at: datetime  # Japan time
    payer: Literal["resident", "shop"]  # never who: no name, no number
    refund_of: int | None  # for a refund: the payment it gave back
    today_total: int  # this shop's payments less refunds today, as the event is sent


@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={
        **REFUSALS,
        200: {"description": "`text/event-stream`: `retry: 3000` first, then one event per "
              "payment or refund (`data`: a SaleEvent as JSON, `id`: the cursor), a "
              "`: keep-alive` comment every 15 s while quiet."},
    },
)  # fmt: skip
async def events(
    request: Request,
    at: AtShop = Depends(shop_user),
    last_event_id: str | None = Header(None, max_length=8000),
    resume: str | None = Query(None, alias="last_event_id", max_length=8000),
) -> AsyncIterator[ServerSentEvent]:
    """This shop's payments and refunds as they commit (Server-Sent Events). Without
    `Last-Event-ID`: today's, then each new one. With it (header or `?last_event_id=`):
    exactly those after it, of the last 24 hours. Never another shop's."""
    now = deps.now()
    cursor = feed.Cursor.parse(last_event_id or resume)
    since = now - RESUME_FOR if cursor else feed.start_of_day(now)
    ends = min(now + MAX_STREAM, _token_expiry(request, now) or now + MAX_STREAM)
    stream = _Stream(request, at, cursor or feed.Cursor(), since, ends)
    yield ServerSentEvent(comment="meguri live sales", retry=RETRY_MS)
    async for sent in stream.run():
        yield sent


class _Stream:
    def __init__(
        self, request: Request, at: AtShop, cursor: feed.Cursor, since: datetime, ends: datetime
    ) -> None:
        self.request, self.at, self.cursor, self.since, self.ends = request, at, cursor, since, ends

    async def run(self) -> AsyncIterator[ServerSentEvent]:
        hub = feed_hub.hub_of(self.request.app)
        shop = (self.at.currency_id, self.at.shop.account_id)
        async with hub.listen(shop) as woken:
            quiet_since = asyncio.get_running_loop().time()
            while (left := (self.ends - deps.now()).total_seconds()) > 0:
                woken.clear()  # before reading: a wake during the read is kept
                for found in await self._read():
                    yield found
                    quiet_since = asyncio.get_running_loop().time()
                waited = HEARTBEAT_S - (asyncio.get_running_loop().time() - quiet_since)
                if waited <= 0:
                    yield ServerSentEvent(comment="keep-alive")
                    quiet_since = asyncio.get_running_loop().time()
                    continue
                await _wait(woken, min(waited, left))

    async def _read(self) -> list[ServerSentEvent]:
        """All that is new, in pages (a reconnect after a busy day may be long)."""
        found: list[ServerSentEvent] = []
        while True:
            async with self.request.app.state.sessionmaker() as session, session.begin():
                page = await feed.events_after(
                    session, currency_id=self.at.currency_id,
                    merchant_account_id=self.at.shop.account_id, after=self.cursor,
                    since=self.since,
                )  # fmt: skip
            found += [ServerSentEvent(id=e.id, data=_shown(e)) for e in page]
            if page:
                self.cursor = page[-1].cursor
            if len(page) < feed.LIMIT:
                return found


async def _wait(woken: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(woken.wait(), timeout=seconds)
    except TimeoutError:
        pass


def _shown(event: feed.FeedEvent) -> SaleEvent:
    return SaleEvent(
        id=event.id, kind=event.kind, operation_id=event.operation_id,
        reference=event.reference, amount=event.amount, by_kind=event.by_kind, at=event.at,
        payer=event.payer, refund_of=event.refund_of, today_total=event.today_total,
    )  # fmt: skip


def _token_expiry(request: Request, now: datetime) -> datetime | None:
    """When the bearer token this stream was opened with expires (None: no bearer token)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return tokens.verify_access(token.strip(), ring=deps.key_ring(request), now=now).exp
    except CurrencyError:
        return None
