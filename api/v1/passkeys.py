"""Passkeys: a resident registers the phone's passkey once, then signs in with it.

The options routes answer the JSON that ``navigator.credentials.create()`` / ``.get()``
need (api/static/passkey.js turns it into the browser's types); the answers come back as
the browser's credential JSON. Each options answer is good for one try in five minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from api.v1 import deps
from api.v1.activation import signed_in
from api.v1.auth import TokenPair
from api.v1.me.common import REFUSALS, Resident, currency_of
from currency.auth import passkeys
from currency.auth.keys import SigningKey
from currency.auth.login import Principal
from currency.auth.ratelimit import Limit
from currency.settings import Settings

router = APIRouter(tags=["passkeys"])
Session = Depends(get_session, scope="function")
KeptSession = Depends(deps.get_session_kept_on_error, scope="function")
OPTIONS_LIMIT = Limit(30, timedelta(minutes=1))


class Credential(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "credential": {
                        "id": "pT3kq0Zl8w1V5bY9cR2xJg",
                        "rawId": "pT3kq0Zl8w1V5bY9cR2xJg",
                        "type": "public-key",
                        "response": {
                            "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
                            "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAA",
                            "signature": "MEUCIQDx8m1cX4oW0pQ",
                            "userHandle": "c2Fpa2ktMTEwMDAyMw",
                        },
                        "clientExtensionResults": {},
                    }
                }
            ]
        },
    )
    credential: dict[str, Any] = Field(description="The browser's PublicKeyCredential as JSON.")


class NewPasskey(Credential):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "credential": {
                        "id": "pT3kq0Zl8w1V5bY9cR2xJg",
                        "rawId": "pT3kq0Zl8w1V5bY9cR2xJg",
                        "type": "public-key",
                        "response": {
                            "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0",
                            "attestationObject": "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YQ",
                            "transports": ["internal", "hybrid"],
                        },
                        "clientExtensionResults": {},
                    },
                    "name": "花子のスマホ",
                }
            ]
        },
    )
    name: str | None = Field(default=None, max_length=60, examples=["My phone"])


class PasskeyOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "name": "花子のスマホ",
                    "created_at": "2026-04-02T10:15:00+09:00",
                    "last_used_at": "2026-05-18T08:42:11+09:00",
                }
            ]
        },
    )
    id: int
    name: str | None
    created_at: datetime
    last_used_at: datetime | None


SignInOptions = Annotated[
    dict[str, Any],
    Field(
        examples=[
            {
                "challenge": "q0Jd3mX8v2nYkP5sT1wZcA",
                "timeout": 300000,
                "rpId": "meguri.saiki.example.jp",
                "allowCredentials": [],
                "userVerification": "preferred",
            }
        ]
    ),
]
RegistrationOptions = Annotated[
    dict[str, Any],
    Field(
        examples=[
            {
                "rp": {"name": "めぐり 佐伯", "id": "meguri.saiki.example.jp"},
                "user": {
                    "id": "c2Fpa2ktMTEwMDAyMw",
                    "name": "S1100023",
                    "displayName": "佐伯 花子",
                },
                "challenge": "Vb7nQ2xK9mR4tY1wZ8cLpA",
                "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
                "timeout": 300000,
                "excludeCredentials": [],
                "authenticatorSelection": {
                    "residentKey": "preferred",
                    "requireResidentKey": False,
                    "userVerification": "preferred",
                },
                "attestation": "none",
            }
        ]
    ),
]


def rp_of(settings: Settings = Depends(deps.settings_of)) -> passkeys.RelyingParty:
    return passkeys.RelyingParty.from_settings(settings)


def _out(found: passkeys.Passkey) -> PasskeyOut:
    return PasskeyOut.model_validate(found)


@router.post(
    "/v1/auth/passkeys/sign-in/options",
    response_model=SignInOptions,
    responses={429: {"description": "Too many requests from this address (Retry-After)."}},
)
async def sign_in_options(
    session: AsyncSession = KeptSession,
    settings: Settings = Depends(deps.settings_of),
    rp: passkeys.RelyingParty = Depends(rp_of),
    ip: str = Depends(deps.client_ip),
) -> dict[str, Any]:
    """Options for signing in with any passkey of this site (no resident number needed)."""
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    await OPTIONS_LIMIT.hit(session, "passkey", "ip", ip, currency_id=currency_id, now=deps.now())
    return await passkeys.sign_in_options(session, currency_id=currency_id, rp=rp, now=deps.now())


@router.post(
    "/v1/auth/passkeys/sign-in",
    response_model=TokenPair,
    responses={
        401: {"description": "The passkey is unknown, or its answer does not check out "
              "(a replayed or stale challenge included) — `unauthenticated`."},
        409: {"description": "The wallet is suspended (`account-unavailable`)."},
    },
)  # fmt: skip
async def sign_in(
    body: Credential,
    session: AsyncSession = KeptSession,
    settings: Settings = Depends(deps.settings_of),
    rp: passkeys.RelyingParty = Depends(rp_of),
    key: SigningKey = Depends(deps.signing_key),
) -> TokenPair:
    """Sign in with a passkey: the same tokens as the PIN sign-in."""
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    who = await passkeys.authenticate(
        session, currency_id=currency_id, credential=body.credential, rp=rp, now=deps.now(),
        secret=settings.secret_key,
    )  # fmt: skip
    return await signed_in(session, currency_id=currency_id, who=who, key=key)


@router.post("/v1/me/passkeys/options", response_model=RegistrationOptions, responses=REFUSALS)
async def registration_options(
    who: Principal = Resident,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
    rp: passkeys.RelyingParty = Depends(rp_of),
) -> dict[str, Any]:
    """Options for registering a passkey on this device (the resident's others excluded)."""
    return await passkeys.registration_options(
        session, currency_id=await currency_of(session, who), resident_id=who.id, rp=rp,
        now=deps.now(), secret=settings.secret_key,
    )  # fmt: skip


@router.post(
    "/v1/me/passkeys",
    response_model=PasskeyOut,
    status_code=201,
    responses={
        **REFUSALS,
        422: {"description": "The answer does not check out, or its options were used or "
              "are older than five minutes (`invalid-operation`)."},
        409: {"description": "This passkey is registered already (`already-done`)."},
    },
)  # fmt: skip
async def register(
    body: NewPasskey,
    who: Principal = Resident,
    session: AsyncSession = KeptSession,
    rp: passkeys.RelyingParty = Depends(rp_of),
) -> PasskeyOut:
    """Keep the passkey just made on this device."""
    found = await passkeys.register(
        session, currency_id=await currency_of(session, who), resident_id=who.id,
        credential=body.credential, rp=rp, now=deps.now(), name=body.name,
    )  # fmt: skip
    return _out(found)


@router.get("/v1/me/passkeys", response_model=list[PasskeyOut], responses=REFUSALS)
async def list_passkeys(who: Principal = Resident, session: AsyncSession = Session) -> Any:
    """The resident's own passkeys, newest first."""
    found = await passkeys.passkeys(
        session, currency_id=await currency_of(session, who), resident_id=who.id
    )
    return [_out(p) for p in found]


@router.delete(
    "/v1/me/passkeys/{passkey_id}",
    status_code=204,
    response_class=Response,
    responses={**REFUSALS, 404: {"description": "No such passkey of yours (`not-found`)."}},
)
async def remove(
    passkey_id: int = Path(ge=1, le=2**63 - 1),
    who: Principal = Resident,
    session: AsyncSession = Session,
) -> None:
    """Forget one of your passkeys (a lost phone): it can no longer sign in."""
    await passkeys.remove(
        session, currency_id=await currency_of(session, who), resident_id=who.id,
        passkey_id=passkey_id,
    )  # fmt: skip
