"""Calling the app: every /v1 route, a client that answers a crash as a 500, one request
rolled back after it, and streams (Server-Sent Events) read no further than their start."""

from __future__ import annotations

import asyncio
from asyncio import FIRST_COMPLETED
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import ASGITransport, AsyncClient, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from starlette.types import ASGIApp, Message, Scope

PROBLEM = "application/problem+json"


@asynccontextmanager
async def alone(session: AsyncSession) -> AsyncIterator[None]:
    """One request in a savepoint of the test's connection, rolled back afterwards, even when
    it broke the transaction (a route that commits in ``finally`` after a database error
    leaves the session unable to roll back by itself; in production it is just closed)."""
    await session.commit()  # what the test made so far stays (in the test's transaction)
    connection = session.bind
    assert isinstance(connection, AsyncConnection)
    mine = await connection.begin_nested()
    try:
        yield
    finally:
        await session.rollback()
        await mine.rollback()


def v1_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Every (method, path template) of the JSON API, however deep the routers nest."""
    for found in iter_route_contexts(app.routes):
        path = found.path_format or ""
        if isinstance(found.original_route, APIRoute) and path.startswith("/v1/"):
            for method in sorted(found.methods or ()):
                yield method, path


def app_of(client: AsyncClient) -> FastAPI:
    transport = client._transport
    assert isinstance(transport, ASGITransport)
    app = transport.app
    assert isinstance(app, FastAPI)
    return app


@asynccontextmanager
async def crash_as_500(client: AsyncClient) -> AsyncIterator[AsyncClient]:
    """A client over the same app (and test session) that answers a crash with a 500."""
    transport = ASGITransport(app=app_of(client), raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://testserver") as quiet:
        yield quiet


# Answers that do not end (Server-Sent Events): read up to their start, then hang up. What
# the events say is the feed's own tests' business.
STREAMS = frozenset({"/v1/merchant/events"})
STREAM_WAIT = 5.0  # seconds for a stream to start; a bound, not a measurement


async def stream_start(
    app: ASGIApp, method: str, url: str, headers: dict[str, str], params: Any = None
) -> Response:
    """The status and headers of an answer that may never end (and its body, if it ends),
    through the app's ASGI interface: httpx's ASGI transport would wait for the end."""
    start: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
    body, gone, request = bytearray(), asyncio.Event(), [{"type": "http.request"}]

    async def receive() -> Message:
        if request:  # the (empty) request body once, then nothing until the client leaves
            return request.pop()
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.set_result(message)
            gone.set()  # the client has its answer and goes away
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    async def run() -> None:
        await app(_scope(method, url, headers, params), receive, send)

    task = asyncio.create_task(run())
    first: list[asyncio.Future[Any]] = [task, start]
    await asyncio.wait(first, timeout=STREAM_WAIT, return_when=FIRST_COMPLETED)
    gone.set()
    await asyncio.wait_for(task, STREAM_WAIT)
    answer: Message = start.result() if start.done() else {"status": 500, "headers": []}
    sent = Request(method, f"http://testserver{url}", params=params, headers=headers)
    made = Response(answer["status"], headers=answer["headers"], content=bytes(body), request=sent)
    made.elapsed = timedelta(0)  # not measured: read by schemathesis, never by a test
    return made


def _scope(method: str, url: str, headers: dict[str, str], params: Any) -> Scope:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params or {})) if q)
    sent = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": parts.path, "raw_path": parts.path.encode(), "root_path": "",
        "query_string": query.encode(), "headers": [(b"host", b"testserver"), *sent],
        "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
    }  # fmt: skip
