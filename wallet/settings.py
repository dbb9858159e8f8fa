"""Settings: language and contrast (the shell's switches), this account's passkeys (list,
add this phone, remove a lost phone's), and signing out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import web, web_session
from currency.auth import login, passkeys
from currency.errors import CurrencyError
from wallet import common

router = APIRouter()
N_ = web.N_
REMOVED = N_("The passkey was removed. That phone can no longer sign in with it.")


async def _page(
    request: Request, session: AsyncSession, who: login.Principal, status: int = 200,
    **context: str,
) -> HTMLResponse:  # fmt: skip
    found = await passkeys.passkeys(
        session, currency_id=await common.currency_id(session, who), resident_id=who.id
    )
    listed = [(p, common.moment(request, p.created_at)) for p in found]
    return await common.render(
        request, session, who, "wallet/settings.html", {"passkeys": listed, **context}, status
    )


@router.get("/settings", name="wallet_settings", response_class=HTMLResponse,
            include_in_schema=False)  # fmt: skip
async def settings_page(
    request: Request, who: login.Principal = common.Resident, session: AsyncSession = common.Session
) -> HTMLResponse:
    return await _page(request, session, who)


@router.post("/settings/passkeys/{passkey_id}/remove", response_class=HTMLResponse,
             include_in_schema=False)  # fmt: skip
async def remove_passkey(
    request: Request,
    passkey_id: int = Path(ge=1, le=2**63 - 1),
    who: login.Principal = Depends(web_session.require_page_principal("resident")),
    session: AsyncSession = common.Session,
) -> HTMLResponse:
    try:
        await passkeys.remove(
            session, currency_id=await common.currency_id(session, who), resident_id=who.id,
            passkey_id=passkey_id,
        )  # fmt: skip
    except CurrencyError as error:
        said, status = common.refusal(request, error)
        return await _page(request, session, who, status, **said)
    return await _page(request, session, who, 200, **common.say(request, REMOVED, "success"))
