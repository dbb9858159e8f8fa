"""Text with a NUL character can never be stored (PostgreSQL refuses U+0000), so a
request carrying one is refused at the door with a 422 — in the path, the query or the
body (raw, or escaped as ``\\u0000`` in JSON) — before any route or database sees it."""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_BASE

_MAX_CHECKED = 16 * 1024 * 1024  # larger bodies are refused by their routes anyway


class NulGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope):
            await _refuse(send)
            return
        body, more = await _read(receive)
        if b"\x00" in body or b"\\u0000" in body:
            await _refuse(send, csv=_content_type(scope).startswith(b"text/csv"))
            return
        await self.app(scope, _replay(body, more, receive), send)


def _has_nul(scope: Scope) -> bool:
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    query: bytes = scope.get("query_string", b"")
    return b"\x00" in unquote_to_bytes(raw_path) or b"\x00" in unquote_to_bytes(query)


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The body (up to the limit) and whether more of it is still to come."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > _MAX_CHECKED:
            return b"".join(chunks), True


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed


def _content_type(scope: Scope) -> bytes:
    return next((v.lower() for k, v in scope.get("headers", []) if k == b"content-type"), b"")


async def _refuse(send: Send, *, csv: bool = False) -> None:
    detail = (
        "This file is not a CSV text file (it contains binary data, e.g. an Excel .xlsx). "
        "Save it as CSV (UTF-8 or Shift_JIS) and upload it again."
        if csv
        else "Remove the NUL character (U+0000) from the request and send it again."
    )
    body = json.dumps(
        {
            "type": PROBLEM_BASE + "nul-character",
            "title": "The request contains a character that cannot be stored",
            "status": 422,
            "detail": detail,
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})
