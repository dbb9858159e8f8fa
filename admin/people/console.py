"""What every console page shares: who is signed in, whether they may act, rendering.

Staff and admin act; an auditor reads every page and changes nothing: the templates hide
the actions (``can_act``) and every change route depends on ``acting``, which answers an
auditor with a 403 page whatever is posted.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from api import web, web_session
from api.db import get_session
from api.page_errors import page_message
from api.v1 import deps
from api.web import N_
from currency.auth import web_sessions
from currency.auth.login import Principal
from currency.ledger.models import currency

HOME = "/admin/"
STAFF_ROLES = ("staff", "admin", "auditor")
ACTING_ROLES = ("staff", "admin")
ROLE_NAMES = {"staff": N_("Staff"), "admin": N_("Administrator"), "auditor": N_("Auditor")}
READ_ONLY = N_("Your role is read-only (auditor). Nothing was changed.")

Session = Depends(get_session, scope="function")
reading = web_session.require_page_principal(*STAFF_ROLES, sign_in=HOME)


class Refused(Exception):
    """An auditor (or anyone but staff and admin) asked for a change: a 403 page."""


async def acting(who: Principal = Depends(reading)) -> Principal:
    """A change: staff or admin only (with the form's CSRF token, checked by ``reading``)."""
    if who.role not in ACTING_ROLES:
        raise Refused(who.role)
    return who


Reading = Depends(reading)
Acting = Depends(acting)


class ConsoleRoute(APIRoute):
    """A console route: an auditor's change is answered with a plain 403 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Refused:
                context = said(request, READ_ONLY, "error")
                return web.render(request, "admin/refused.html", context, status_code=403)

        return handle


def router() -> APIRouter:
    """A router for console pages (kept out of the OpenAPI document)."""
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False)


async def currency_id(session: AsyncSession, who: Principal) -> int:
    return await deps.currency_id_of(session, who.currency)


async def units(session: AsyncSession, currency_id: int) -> dict[str, str]:
    """The currency's units by lot kind: {"coin": "コイン", "point": "pt"}."""
    c = currency.c
    row = (
        await session.execute(
            sa.select(c.coin_unit, c.point_unit, c.name).where(c.id == currency_id)
        )
    ).one()
    return {"coin": row[0], "point": row[1], "name": row[2]}


async def page(
    request: Request,
    session: AsyncSession,
    who: Principal,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A console page: the layout's navigation, who is signed in, the CSRF token."""
    cid = await currency_id(session, who)
    name = await web_sessions.display_name(session, currency_id=cid, who=who)
    frame = {
        "signed_in_name": name,
        "signed_in_role": web.gettext(request, ROLE_NAMES.get(who.role, who.role)),
        "sign_out_url": request.url_for("admin_sign_out").path,
        "csrf_token": web_session.page_csrf_token(request),
        "who": who,
        "can_act": who.role in ACTING_ROLES,
        "unit": await units(session, cid),
        "nav_current": request.url.path,
    }
    response = web.render(request, template, {**frame, **(context or {})}, status_code)
    response.headers["Cache-Control"] = "no-store"  # residents' data: never kept by a browser
    return response


def refusal(request: Request, error: Exception, unit: str = "") -> dict[str, Any]:
    """The status region's words for a domain refusal."""
    return {"status_message": page_message(request, error, unit=unit), "status_kind": "error"}


def said(request: Request, message: str, kind: str = "success", **values: Any) -> dict[str, Any]:
    text = web.gettext(request, message)
    return {"status_message": text.format(**values) if values else text, "status_kind": kind}


def status_of(error: Exception) -> int:
    """The HTTP status of a refused form: 404 not found, 409 conflicts, else 422."""
    from currency import errors as e

    if isinstance(error, e.NotFound):
        return 404
    if isinstance(error, (e.AlreadyDone, e.AccountUnavailable, e.IdempotencyInFlight)):
        return 409
    return 422
