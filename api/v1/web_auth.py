"""Browser sign-in for the pages: the same checks, limits and refusals as /v1/auth/login and
/v1/auth/resident, but the answer is an HttpOnly session cookie (api/web_session.py) and
the CSRF token the page sends back with every change."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from api import web_session
from api.db import get_session
from api.v1 import deps
from api.v1.auth import ResidentLogin, UserLogin
from currency.auth import login, web_sessions
from currency.errors import Unauthenticated
from currency.settings import Settings

router = APIRouter(prefix="/v1/auth/web-session", tags=["sign-in"])
Browser = tuple[login.Principal, web_sessions.WebSession]


class SessionStarted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "csrf_token": "r8Jd2kQ0wXn5VbT1mYc7pA",
                    "role": "merchant_clerk",
                    "expires_at": "2026-05-18T21:00:00+09:00",
                    "idle_seconds": 7200,
                }
            ]
        }
    )
    csrf_token: str
    role: str
    expires_at: datetime
    idle_seconds: int


class SessionState(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "user",
                    "role": "merchant_clerk",
                    "display_name": "さいき鮮魚店 レジ1",
                    "csrf_token": "r8Jd2kQ0wXn5VbT1mYc7pA",
                    "idle_seconds_left": 6840,
                    "ends_at": "2026-05-18T21:00:00+09:00",
                }
            ]
        }
    )
    kind: str
    role: str
    display_name: str
    csrf_token: str
    idle_seconds_left: int
    ends_at: datetime


class Extended(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"idle_seconds_left": 7200, "ends_at": "2026-05-18T21:00:00+09:00"}]
        }
    )
    idle_seconds_left: int
    ends_at: datetime


@router.post("", response_model=SessionStarted)
async def sign_in(
    body: UserLogin | ResidentLogin,
    request: Request,
    response: Response,
    session: AsyncSession = Depends(deps.get_session_kept_on_error, scope="function"),
    settings: Settings = Depends(deps.settings_of),
    ip: str = Depends(deps.client_ip),
) -> SessionStarted:
    """``{username, password, totp_code?}`` or ``{resident_number, pin}``: sets the session
    cookie. Refusals as the token sign-ins: 401 wrong or unknown, 401 totp-required, 429
    too many attempts (Retry-After), 423 PIN locked, 409 account not in use; 403 csrf when
    posted from another site's page."""
    deps.refuse_cross_site(request, settings)
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    now = deps.now()
    who = await _authenticated(body, session, currency_id, settings, ip, now)
    await _end_previous(request, session, currency_id, now)
    started = await web_session.start_cookie_session(
        response, session, currency_id, who, settings, now
    )
    return SessionStarted(
        csrf_token=started.csrf_token, role=who.role, expires_at=started.expires_at,
        idle_seconds=started.idle_seconds,
    )  # fmt: skip


@router.get("", response_model=SessionState)
async def current(
    request: Request,
    browser: Browser = Depends(web_session.browser_session),
    session: AsyncSession = Depends(get_session, scope="function"),
    settings: Settings = Depends(deps.settings_of),
) -> SessionState:
    """Who is signed in on this browser, the CSRF token for changes, and how long the
    session lasts unused. 401 when there is no live session."""
    who, found = browser
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    name = await web_sessions.display_name(session, currency_id=currency_id, who=who)
    token = deps.session_cookie(request) or ""
    return SessionState(
        kind=who.kind, role=who.role, display_name=name,
        csrf_token=web_sessions.csrf_token_for(token),
        idle_seconds_left=found.idle_seconds_left(deps.now()), ends_at=found.ends_at,
    )  # fmt: skip


@router.post("/extend", response_model=Extended)
async def extend(
    request: Request,
    browser: Browser = Depends(web_session.browser_session),
    session: AsyncSession = Depends(get_session, scope="function"),
    settings: Settings = Depends(deps.settings_of),
) -> Extended:
    """ "I am still here": restarts the idle time (never past the session's last moment).
    Needs X-CSRF-Token. 401 when the session has already ended."""
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    now = deps.now()
    token = deps.session_cookie(request) or ""
    found = await web_sessions.extend(session, currency_id=currency_id, token=token, now=now)
    return Extended(idle_seconds_left=found.idle_seconds_left(now), ends_at=found.ends_at)


@router.delete("", status_code=204)
async def sign_out(
    request: Request,
    response: Response,
    session: AsyncSession = Depends(get_session, scope="function"),
    settings: Settings = Depends(deps.settings_of),
) -> None:
    """Sign out this browser: the session ends and the cookie is cleared. Needs
    X-CSRF-Token while the session is live; an ended one is just forgotten."""
    token = deps.session_cookie(request)
    if token is not None:
        try:
            await deps.cookie_session(request, session, token)
        except Unauthenticated:
            pass  # already ended: only the cookie is left to clear
        else:
            currency_id = await deps.currency_id_of(session, settings.currency_code)
            await web_sessions.end(session, currency_id=currency_id, token=token, now=deps.now())
    web_session.clear_cookie(response, settings)


# --- helpers ----------------------------------------------------------------------------


async def _authenticated(
    body: UserLogin | ResidentLogin,
    session: AsyncSession,
    currency_id: int,
    settings: Settings,
    ip: str,
    now: datetime,
) -> login.Principal:
    """login.py's checks, with its rate limits, lockouts and refusals (no tokens minted:
    a browser keeps only its session cookie)."""
    if isinstance(body, UserLogin):
        return await login.authenticate_user(
            session, currency_id=currency_id, username=body.username, password=body.password,
            totp_code=body.totp_code, ip=ip, now=now, secret=settings.secret_key,
        )  # fmt: skip
    return await login.authenticate_resident(
        session, currency_id=currency_id, resident_number=body.resident_number, pin=body.pin,
        ip=ip, now=now,
    )  # fmt: skip


async def _end_previous(
    request: Request, session: AsyncSession, currency_id: int, now: datetime
) -> None:
    """A new sign-in on a browser ends the session it had (no two live cookies' worth)."""
    previous = deps.session_cookie(request)
    if previous is not None:
        await web_sessions.end(session, currency_id=currency_id, token=previous, now=now)
