"""What every staff route shares: who may act, who may read, the session, the currency."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from api.v1 import deps
from currency.auth.login import Principal

# staff and admin act; the auditor reads everything and changes nothing
acting = deps.role_in("staff", "admin")
reading = deps.role_in("staff", "admin", "auditor")
Session = Depends(get_session, scope="function")
Acting = Depends(acting)
Reading = Depends(reading)

REPLAYED = "Idempotent-Replayed"
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in (problem+json `unauthenticated`)."},
    403: {"description": "The role may not do this (problem+json `not-permitted`)."},
}


async def currency_of(session: AsyncSession, who: Principal) -> int:
    """The id of the signed-in staff member's currency."""
    return await deps.currency_id_of(session, who.currency)


def mark_replay(response: Response, replayed: bool) -> None:
    """A retry answers the same body; this header alone says it was answered from before."""
    response.headers[REPLAYED] = "true" if replayed else "false"
