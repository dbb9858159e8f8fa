"""Per request: an id (echoed as X-Request-ID), the metrics, and one JSON log line.

A pure ASGI middleware, so streamed responses (the merchant's live feed) pass through
untouched. It names a request by its route template (``/v1/merchant/payments/{id}``),
never by its path, so no id, code or query string reaches a label or a log line.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

from fastapi import routing as fastapi_routing
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability import metrics
from api.observability.logs import (
    REQUEST_LOGGER,
    bind_request_id,
    request_id_from,
    unbind_request_id,
)

HEADER = "X-Request-ID"
REPLAYED = "idempotent-replayed"
UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
log = logging.getLogger(REQUEST_LOGGER)
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def route_template(scope: Scope) -> str:
    """The template of the route that answered, or ``<unmatched>``."""
    context = _effective_route(scope)  # a route in an included router: its full template
    found = getattr(context, "path_format", "") or getattr(context, "path", "")
    if found:
        return str(found)
    route = scope.get("route")
    if route is not None and not isinstance(route, Mount):
        return str(getattr(route, "path_format", None) or getattr(route, "path", UNMATCHED))
    mount = route if isinstance(route, Mount) else _mount_of(scope)
    return f"{mount.path.rstrip('/')}/{{path}}" if mount is not None else UNMATCHED


def _effective_route(scope: Scope) -> object | None:
    reader = getattr(fastapi_routing, "_get_scope_effective_route_context", None)
    return reader(scope) if reader is not None else None


def _mount_of(scope: Scope) -> Mount | None:
    """The mounted app (static files) that served the path: FastAPI leaves no trace."""
    path = str(scope.get("path", ""))
    for route in getattr(scope.get("app"), "routes", ()):
        if isinstance(route, Mount) and path.startswith(route.path.rstrip("/") + "/"):
            return route
    return None


class _Outcome:
    def __init__(self) -> None:
        self.status = 500  # until a response starts: an exception is a 500
        self.replayed: str | None = None
        self.error: ExcInfo | None = None  # an exception that escaped: logged with the line


class RequestObservability:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        token, outcome = bind_request_id(request_id), _Outcome()
        started = time.perf_counter()
        metrics.IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, _sender(send, outcome, request_id))
        except Exception as exc:
            outcome.error = (type(exc), exc, exc.__traceback__)
            raise
        finally:
            metrics.IN_PROGRESS.dec()
            _record(scope, outcome, time.perf_counter() - started, request_id)
            unbind_request_id(token)


def _sender(send: Send, outcome: _Outcome, request_id: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            outcome.status = int(message["status"])
            headers = MutableHeaders(scope=message)
            headers[HEADER] = request_id
            outcome.replayed = headers.get(REPLAYED)
        await send(message)

    return sending


def _record(scope: Scope, outcome: _Outcome, seconds: float, request_id: str) -> None:
    method = scope["method"] if scope["method"] in METHODS else "OTHER"
    route = route_template(scope)
    metrics.REQUESTS.inc(method, route, f"{outcome.status // 100}xx")
    metrics.DURATION.observe(seconds, method, route)
    if outcome.replayed is not None and 200 <= outcome.status < 300:
        replayed = outcome.replayed.lower() == "true"
        metrics.OPERATIONS.inc(route, "replayed" if replayed else "posted")
    fields: dict[str, Any] = {
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": outcome.status,
        "duration_ms": round(seconds * 1000, 1),
    }
    level = logging.ERROR if outcome.status >= 500 else logging.INFO
    log.log(level, "%s %s %s", method, route, outcome.status, extra=fields, exc_info=outcome.error)
