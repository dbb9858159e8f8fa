"""Operations: ``/metrics`` (Prometheus text), JSON request logs with a request id, and
masking of personal data and secrets in every log record.

``install(app)`` wires it into an app; ``configure_logging()`` (or ``uvicorn_log_config()``)
sets up JSON output for a served process.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError

from api import errors
from api.observability import metrics
from api.observability.logs import configure_logging, current_request_id, uvicorn_log_config
from api.observability.masking import MaskPii, install_masking, mask
from api.observability.requests import RequestObservability
from currency.errors import CurrencyError, NotFound

__all__ = [
    "MaskPii",
    "configure_logging",
    "current_request_id",
    "install",
    "mask",
    "router",
    "uvicorn_log_config",
]

router = APIRouter()
Handler = Callable[[Request, Exception], Awaitable[Response]]


def _from_inside(request: Request) -> bool:
    """Loopback or a private network (the scraper next to the app), never the internet."""
    try:
        address = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    return address.is_loopback or address.is_private


@router.get("/metrics", include_in_schema=False)
async def metrics_text(request: Request) -> Response:
    """Prometheus metrics of this process. Not found from outside the private network:
    the reverse proxy must not forward /metrics either."""
    if not _from_inside(request):
        raise NotFound("There is nothing here.")
    return Response(metrics.REGISTRY.render(), media_type=metrics.CONTENT_TYPE)


def _slug(exc: Exception) -> str:
    if isinstance(exc, CurrencyError):
        return errors.lookup(exc)[1]
    if isinstance(exc, errors.ApiError):
        return exc.slug
    return "validation"


def _counting(handler: Handler) -> Handler:
    async def counted(request: Request, exc: Exception) -> Response:
        metrics.REFUSALS.inc(_slug(exc))
        return await handler(request, exc)

    return counted


def install(app: FastAPI) -> None:
    """Call after ``errors.install(app)``: refusals are counted by their problem type."""
    install_masking()
    for kind in (CurrencyError, errors.ApiError, RequestValidationError):
        handler = app.exception_handlers.get(kind)
        if handler is not None:
            app.exception_handlers[kind] = _counting(handler)  # type: ignore[arg-type]
    app.add_middleware(RequestObservability)
    app.include_router(router)
