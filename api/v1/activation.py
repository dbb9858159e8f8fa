"""A resident's first sign-in: the activation letter's code and a new PIN.

``signed_in`` turns a checked principal into the token pair /v1/auth/resident answers;
the passkey sign-in uses it too.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from api.v1.auth import TokenPair, pair
from currency.auth import activation, login
from currency.auth.keys import SigningKey
from currency.settings import Settings

router = APIRouter(prefix="/v1/auth", tags=["sign-in"])
Session = Depends(deps.get_session_kept_on_error, scope="function")


class Activation(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_number": "S1100023",
                    "activation_code": "K7QXM-4PR9T-WD5HC",
                    "pin": "4816",
                }
            ]
        },
    )
    resident_number: str = Field(min_length=1, max_length=64, examples=["S1000001"])
    activation_code: str = Field(min_length=1, max_length=40, examples=["K7QXM-4PR9T-WD5HC"])
    pin: str = Field(min_length=1, max_length=16, description="The new PIN: 4 to 6 digits.")


async def signed_in(
    session: AsyncSession, *, currency_id: int, who: login.Principal, key: SigningKey
) -> TokenPair:
    """The access and refresh tokens of a principal checked just now."""
    signed = await login.sign_in_as(
        session, currency_id=currency_id, who=who, now=deps.now(), key=key
    )
    return pair(signed)


@router.post(
    "/activate",
    response_model=TokenPair,
    responses={
        422: {"description": "A wrong, expired or used code (`invalid-code`, never saying "
              "which), or a PIN that is not 4–6 digits or too easy to guess."},
        409: {"description": "The wallet is suspended (`account-unavailable`)."},
        429: {"description": "Too many attempts for this number or address (Retry-After)."},
    },
)  # fmt: skip
async def activate(
    body: Activation,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
    key: SigningKey = Depends(deps.signing_key),
    ip: str = Depends(deps.client_ip),
) -> TokenPair:
    """Open the wallet with the letter's code, choose a PIN, and be signed in."""
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    who = await activation.activate(
        session, currency_id=currency_id, resident_number=body.resident_number,
        code=body.activation_code, new_pin=body.pin, now=deps.now(), ip=ip,
        secret=settings.secret_key,
    )  # fmt: skip
    return await signed_in(session, currency_id=currency_id, who=who, key=key)
