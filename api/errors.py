"""Domain errors to RFC 9457 problem+json, in one table."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from currency import errors as e
from currency.auth.totp import TotpRequired
from currency.residents.card_codes import PinLocked

PROBLEM_BASE = "https://meguri.example/problems/"

# status, stable type slug, a title a person can read
PROBLEMS: dict[type[e.CurrencyError], tuple[int, str, str]] = {
    e.InvalidOperation: (422, "invalid-operation", "The request cannot be carried out"),
    e.NotFound: (404, "not-found", "Not found"),
    e.AccountUnavailable: (409, "account-unavailable", "The account cannot be used now"),
    e.InsufficientBalance: (409, "insufficient-balance", "Not enough balance"),
    e.IdempotencyConflict: (
        422,
        "idempotency-key-reused",
        "This Idempotency-Key was used for a different request",
    ),
    e.IdempotencyInFlight: (409, "request-in-progress", "The same request is still in progress"),
    e.AlreadyReversed: (409, "already-reversed", "This operation was already reversed"),
    e.LedgerBusy: (503, "ledger-busy", "The service is busy; please try again"),
    e.NotPermitted: (403, "not-permitted", "You may not do this"),
    e.AlreadyDone: (409, "already-done", "This was already done"),
    e.LimitExceeded: (422, "limit-exceeded", "A limit of the rules does not allow this"),
    e.StoredDataUnreadable: (500, "stored-data-unreadable", "Stored data could not be read"),
    e.Unauthenticated: (401, "unauthenticated", "Please sign in"),
    e.RateLimited: (429, "rate-limited", "Too many attempts; please wait and try again"),
    e.InvalidCode: (422, "invalid-code", "This code cannot be used"),
    e.WrongPin: (422, "wrong-pin", "The PIN is not right; please enter it again"),
    # more precise kinds of the above, defined next to the code that raises them
    TotpRequired: (401, "totp-required", "Enter the code from your authenticator app"),
    PinLocked: (423, "pin-locked", "This PIN is locked; please ask the city office"),
}


class ApiError(Exception):
    """A refusal that belongs to HTTP itself (a missing header), not to the domain."""

    def __init__(self, status: int, slug: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail


async def api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem(exc.status, exc.slug, exc.title, exc.detail)


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    return JSONResponse(
        {**body, **extra}, status_code=status, media_type="application/problem+json"
    )


def lookup(exc: e.CurrencyError) -> tuple[int, str, str]:
    for cls in type(exc).__mro__:
        if cls in PROBLEMS:
            return PROBLEMS[cls]
    return 400, "bad-request", "The request cannot be carried out"


def _extra(exc: e.CurrencyError) -> dict[str, Any]:
    if isinstance(exc, e.InsufficientBalance):
        return {"requested": exc.requested, "total": exc.total, "spendable": exc.spendable}
    if isinstance(exc, e.LimitExceeded):
        return {
            "code": exc.code,
            "requested": exc.requested,
            "limit": exc.limit,
            "used": exc.used,
            "remaining": exc.remaining,
        }
    return {}


async def currency_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.CurrencyError)
    status, slug, title = lookup(exc)
    response = problem(status, slug, title, str(exc), **_extra(exc))
    if isinstance(exc, e.RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, e.Unauthenticated):
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(err["loc"]), "msg": err["msg"]} for err in exc.errors()]
    return problem(422, "validation", "The request is not valid", "See errors.", errors=errors)


UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's words for bad bytes


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == UNREADABLE_BODY:
        # not UTF-8, or not the declared content type: a request that is not valid, like
        # any other (422 pointing at the body), not a status of its own
        errors = [{"loc": ["body"], "msg": "The body could not be read (UTF-8 JSON expected)."}]
        return problem(422, "validation", "The request is not valid", "See errors.", errors=errors)
    response = problem(exc.status_code, f"http-{exc.status_code}", str(exc.detail), str(exc.detail))
    for name, value in (exc.headers or {}).items():  # Allow on a 405, for one
        response.headers[name] = value
    if exc.status_code == 405 and (allowed := _allowed(request)):
        response.headers["Allow"] = allowed
    return response


def _allowed(request: Request) -> str:
    """The methods of the path's template: Starlette's 405 names only the first route's,
    but a template's GET and POST are often two routes (a shop's sales list and payments).
    Where templates overlap (``/passkeys/options`` and ``/passkeys/{id}``), the most literal
    one is the path's."""
    path = request.scope.get("path", "")
    served: dict[str, set[str]] = {}
    for route in iter_route_contexts(request.app.routes):
        template, methods = route.path_format, route.methods
        if template and methods and compile_path(template)[0].fullmatch(path):
            served.setdefault(template, set()).update(methods)
    if not served:
        return ""
    template = min(served, key=lambda t: (t.count("{"), t))
    return ", ".join(sorted(served[template] - {"HEAD"}))


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.CurrencyError, currency_error)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
