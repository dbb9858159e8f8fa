"""WebAuthn challenges, from the options to the answer: random, kept hashed, for one
purpose (and, when registering, one resident), five minutes, used once.

The answer carries its challenge inside clientDataJSON; ``take`` finds the stored one by
its hash and spends it before anything is checked, so an answer replayed — or a second
try with the same options — is refused. Expired challenges are swept as new ones come.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import base64url_to_bytes

from currency.auth.models import challenge as t

Purpose = Literal["register", "sign_in"]
VALID_FOR = timedelta(minutes=5)
SWEEP_AFTER = timedelta(hours=1)


async def new(
    session: AsyncSession,
    *,
    currency_id: int,
    purpose: Purpose,
    principal: str | None,
    now: datetime,
) -> bytes:
    """A fresh 32-byte challenge, stored as its hash."""
    await session.execute(
        sa.delete(t).where(t.c.currency_id == currency_id, t.c.expires_at < now - SWEEP_AFTER)
    )
    value = secrets.token_bytes(32)
    await session.execute(
        sa.insert(t).values(
            currency_id=currency_id, purpose=purpose, principal=principal,
            challenge_hash=hashlib.sha256(value).digest(), expires_at=now + VALID_FOR,
        )
    )  # fmt: skip
    return value


async def take(
    session: AsyncSession,
    *,
    currency_id: int,
    purpose: Purpose,
    principal: str | None,
    credential: Mapping[str, Any],
    now: datetime,
) -> bytes | None:
    """The challenge the answer was made for, now spent; None if unknown, spent or stale."""
    value = _challenge_of(credential)
    if value is None:
        return None
    spent = await session.scalar(
        sa.update(t)
        .where(t.c.currency_id == currency_id, t.c.purpose == purpose)
        .where(t.c.challenge_hash == hashlib.sha256(value).digest())
        .where(t.c.principal.is_(None) if principal is None else t.c.principal == principal)
        .where(t.c.used_at.is_(None), t.c.expires_at > now)
        .values(used_at=now)
        .returning(t.c.id)
    )
    return value if spent is not None else None


def decoded(text: object) -> bytes | None:
    """Bytes from base64url text as browsers send it; None for anything else."""
    if not isinstance(text, str) or not text or len(text) > 2048:
        return None
    try:
        return base64url_to_bytes(text)
    except (binascii.Error, ValueError):
        return None


def _challenge_of(credential: Mapping[str, Any]) -> bytes | None:
    response = credential.get("response")
    client_data = decoded(response.get("clientDataJSON")) if isinstance(response, Mapping) else None
    if client_data is None:
        return None
    try:
        parsed = json.loads(client_data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return decoded(parsed.get("challenge")) if isinstance(parsed, dict) else None
