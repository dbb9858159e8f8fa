"""What every resident route shares: who may ask, the session, the currency, the replay
header and the refusals every route can answer."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from api.v1 import deps
from currency.auth.login import Principal

resident = deps.role_in("resident")
Session = Depends(get_session, scope="function")
Resident = Depends(resident)

REPLAYED = "Idempotent-Replayed"
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in (problem+json `unauthenticated`)."},
    403: {"description": "Only a resident may do this (problem+json `not-permitted`)."},
}
KEYED: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    400: {"description": "No Idempotency-Key header (`idempotency-key-missing`)."},
}


async def currency_of(session: AsyncSession, who: Principal) -> int:
    return await deps.currency_id_of(session, who.currency)


def wallet_of(who: Principal) -> int:
    """The resident's own wallet: the only one these routes ever read or spend from."""
    assert who.wallet_account_id is not None, "a resident principal always has a wallet"
    return who.wallet_account_id


def mark_replay(response: Response, replayed: bool) -> None:
    """A retry answers the same body; this header alone says it was answered from before."""
    response.headers[REPLAYED] = "true" if replayed else "false"
