"""Two-step sign-in for staff and shop users: set up an authenticator app, confirm it with
a code (from then on signing in needs a code too), or turn it off with a current code.

Any signed-in user may protect their own account (auditors and shop users too);
residents have passkeys and PINs instead (403).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from api.v1 import deps
from currency.auth import totp
from currency.auth.login import Principal
from currency.payments import qr_render
from currency.settings import Settings

router = APIRouter(prefix="/v1/auth/totp", tags=["sign-in"])
USERS = Depends(deps.role_in("staff", "admin", "auditor", "merchant_owner", "merchant_clerk"))
Session = Depends(get_session, scope="function")
KeptSession = Depends(deps.get_session_kept_on_error, scope="function")
REFUSALS: dict[int | str, dict[str, object]] = {
    401: {"description": "Not signed in (`unauthenticated`)."},
    403: {"description": "Residents have no two-step sign-in (`not-permitted`)."},
}
WRONG_CODE: dict[int | str, dict[str, object]] = {
    **REFUSALS,
    422: {"description": "The code does not match (`invalid-operation`), or set-up was not "
          "started."},
    409: {"description": "Already on (confirm) or not on (disable) — `already-done`."},
    429: {"description": "Five wrong codes in 15 minutes (Retry-After)."},
}  # fmt: skip


class Setup(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "shared_secret": "JBSWY3DPEHPK3PXPQ4ZTGNLK",
                    "otpauth_uri": "otpauth://totp/Meguri:saiki.tanaka"
                    "?secret=JBSWY3DPEHPK3PXPQ4ZTGNLK&issuer=Meguri",
                    "qr_svg": "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmci…",
                }
            ]
        }
    )
    shared_secret: str = Field(description="Base32, for typing into an app that cannot scan.")
    otpauth_uri: str
    qr_svg: str = Field(description="The otpauth URI as a QR code: data:image/svg+xml;base64,…")


class Code(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"code": "492039"}]})
    code: str = Field(min_length=1, max_length=12, examples=["492039"])


async def _currency(session: AsyncSession, who: Principal) -> int:
    return await deps.currency_id_of(session, who.currency)


@router.post("/setup", response_model=Setup, responses={
    **REFUSALS, 409: {"description": "Already on; turn it off first (`already-done`)."},
})  # fmt: skip
async def setup(
    who: Principal = USERS,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Setup:
    """A new secret for your authenticator app; it is on only after ``confirm``."""
    started = await totp.begin_enrolment(
        session, currency_id=await _currency(session, who), user_id=who.id,
        secret=settings.secret_key,
    )  # fmt: skip
    return Setup(
        shared_secret=started.shared_secret, otpauth_uri=started.uri,
        qr_svg=qr_render.data_url_svg(started.uri),
    )  # fmt: skip


@router.post("/confirm", status_code=204, response_class=Response, responses=WRONG_CODE)
async def confirm(
    body: Code,
    who: Principal = USERS,
    session: AsyncSession = KeptSession,
    settings: Settings = Depends(deps.settings_of),
) -> None:
    """Turn two-step sign-in on with the code your app shows now."""
    await totp.confirm(
        session, currency_id=await _currency(session, who), user_id=who.id, code=body.code,
        secret=settings.secret_key, now=deps.now(),
    )  # fmt: skip


@router.post("/disable", status_code=204, response_class=Response, responses=WRONG_CODE)
async def disable(
    body: Code,
    who: Principal = USERS,
    session: AsyncSession = KeptSession,
    settings: Settings = Depends(deps.settings_of),
) -> None:
    """Turn two-step sign-in off; the code your app shows now proves it is still yours."""
    await totp.disable(
        session, currency_id=await _currency(session, who), user_id=who.id, code=body.code,
        secret=settings.secret_key, now=deps.now(),
    )  # fmt: skip
