"""What every wallet page shares: the signed-in resident, the currency's units, rendering
inside the shell with the sign-out bar and the CSRF token, and refusals in plain words."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from babel.dates import format_skeleton
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import errors as api_errors
from api import page_errors, web, web_session
from api.db import get_session
from api.v1 import deps
from currency.auth import login, web_sessions
from currency.clock import JAPAN
from currency.errors import CurrencyError
from currency.ledger.models import currency

Session = Depends(get_session, scope="function")
KeptSession = Depends(deps.get_session_kept_on_error, scope="function")
Resident = Depends(web_session.require_page_principal("resident"))
SIGN_OUT = "/wallet/sign-out"


@dataclass(frozen=True)
class Units:
    coin: str
    point: str

    def of(self, kind: str) -> str:
        return self.point if kind == "point" else self.coin


async def cookie_session(request: Request) -> AsyncIterator[AsyncSession | None]:
    """A database session only for a browser with a session cookie: a first visit to the
    sign-in page reads nothing (and works while the database is away)."""
    configured = getattr(request.app.state, "settings", None) is not None
    if not configured or deps.session_cookie(request) is None:
        yield None
        return
    async with request.app.state.sessionmaker() as session, session.begin():
        yield session


MaybeSession = Depends(cookie_session, scope="function")


async def signed_in(request: Request, session: AsyncSession | None) -> login.Principal | None:
    """The resident signed in on this browser, or None (nobody, or not a resident)."""
    if session is None:
        return None
    who = await web_session.page_principal(request, session)
    return who if who is not None and who.role == "resident" else None


async def currency_id(session: AsyncSession, who: login.Principal) -> int:
    return await deps.currency_id_of(session, who.currency)


async def units(session: AsyncSession, currency_id: int) -> Units:
    c = currency.c
    row = (
        await session.execute(sa.select(c.coin_unit, c.point_unit).where(c.id == currency_id))
    ).one()
    return Units(row.coin_unit, row.point_unit)


def wallet_of(who: login.Principal) -> int:
    assert who.wallet_account_id is not None, "a resident always has a wallet"
    return who.wallet_account_id


async def render(
    request: Request,
    session: AsyncSession,
    who: login.Principal,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A signed-in page: the resident's name, the sign-out button and the CSRF token."""
    cid = await currency_id(session, who)
    name = await web_sessions.display_name(session, currency_id=cid, who=who)
    full = {
        "signed_in_name": name,
        "sign_out_url": SIGN_OUT,
        "csrf_token": web_session.page_csrf_token(request),
        "units": await units(session, cid),
        **(context or {}),
    }
    response = web.render(request, template, full, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"  # a wallet's figures are nobody else's
    return response


def refusal(request: Request, error: CurrencyError, unit: str = "") -> tuple[dict[str, str], int]:
    """The status-region context and the HTTP status for a refused request."""
    message = page_errors.page_message(request, error, unit=unit)
    status = api_errors.lookup(error)[0]
    return {"status_message": message, "status_kind": "error"}, status


def say(request: Request, message: str, kind: str = "info", **values: Any) -> dict[str, str]:
    """A translated message (marked with ``N_``) for the status region."""
    text = web.gettext(request, message).format(**values)
    return {"status_message": text, "status_kind": kind}


def day(request: Request, on: date, today: date) -> str:
    """ "12月31日" / "Dec 31" this year; with the year otherwise."""
    skeleton = "MMMd" if on.year == today.year else "yMMMd"
    return format_skeleton(skeleton, on, locale=web.preferences(request).locale)


def moment(request: Request, at: datetime) -> str:
    """A time in Saiki: "11月26日 10:02" / "Nov 26, 10:02"."""
    local = at.astimezone(JAPAN)
    locale = web.preferences(request).locale
    return f"{format_skeleton('MMMd', local, locale=locale)} {local:%H:%M}"


def parse_amount(text: str | None, *, maximum: int = 10_000_000) -> int | None:
    """A typed amount (full-width digits and commas forgiven), or None if not 1..maximum."""
    digits = unicodedata.normalize("NFKC", text or "").replace(",", "").strip()
    if not digits.isdigit() or not digits.isascii():
        return None
    value = int(digits)
    return value if 1 <= value <= maximum else None
