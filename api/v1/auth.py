"""Sign-in: staff and shop users by username and password (and TOTP when enabled),
residents by resident number and PIN; refresh and sign-out."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from currency.auth import login, refresh
from currency.auth.keys import SigningKey
from currency.settings import Settings

router = APIRouter(prefix="/v1/auth", tags=["sign-in"])


class UserLogin(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "saiki.tanaka",
                    "password": "correct horse battery staple",
                    "totp_code": "492039",
                }
            ]
        },
    )
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)
    totp_code: str | None = Field(default=None, max_length=10)


class ResidentLogin(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"resident_number": "S00012345", "pin": "0000"}]},
    )
    resident_number: str = Field(min_length=1, max_length=64)
    pin: str = Field(min_length=1, max_length=16)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"refresh_token": "opaque-refresh-token-from-the-last-sign-in"}]
        },
    )
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenPair(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6IjIwMjYtMTEifQ.…",
                    "refresh_token": "opaque-refresh-token",
                    "token_type": "bearer",
                    "expires_in": 600,
                    "role": "resident",
                }
            ]
        }
    )
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  (the scheme, not a secret)
    expires_in: int
    role: str


def pair(signed: login.Tokens) -> TokenPair:
    return TokenPair(
        access_token=signed.access,
        refresh_token=signed.refresh,
        expires_in=signed.expires_in,
        role=signed.role,
    )


Session = Depends(deps.get_session_kept_on_error, scope="function")


@router.post("/login", response_model=TokenPair)
async def login_user(
    body: UserLogin,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
    key: SigningKey = Depends(deps.signing_key),
    ip: str = Depends(deps.client_ip),
) -> TokenPair:
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    signed = await login.login_user(
        session, currency_id=currency_id, username=body.username, password=body.password,
        totp_code=body.totp_code, ip=ip, now=deps.now(), key=key, secret=settings.secret_key,
    )  # fmt: skip
    return pair(signed)


@router.post("/resident", response_model=TokenPair)
async def login_resident(
    body: ResidentLogin,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
    key: SigningKey = Depends(deps.signing_key),
    ip: str = Depends(deps.client_ip),
) -> TokenPair:
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    signed = await login.login_resident(
        session, currency_id=currency_id, resident_number=body.resident_number,
        pin=body.pin, ip=ip, now=deps.now(), key=key,
    )  # fmt: skip
    return pair(signed)


@router.post("/refresh", response_model=TokenPair)
async def refresh_tokens(
    body: RefreshRequest,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
    key: SigningKey = Depends(deps.signing_key),
) -> TokenPair:
    """A refresh token works once; the answer carries the next one. A token used twice
    ends that whole sign-in (it was copied)."""
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    signed = await login.refresh(
        session, currency_id=currency_id, token=body.refresh_token, now=deps.now(), key=key
    )
    return pair(signed)


@router.post("/logout", status_code=204)
async def logout(
    body: RefreshRequest,
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> None:
    currency_id = await deps.currency_id_of(session, settings.currency_code)
    await refresh.revoke_family(
        session, currency_id=currency_id, token=body.refresh_token, now=deps.now()
    )
