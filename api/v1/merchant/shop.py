"""What every shop route shares: who is asking and for which shop (a shop user's shop is
the one their account belongs to), the session, the replay header, the common refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from api.v1 import deps
from currency.auth.login import Principal
from currency.clock import JAPAN
from currency.errors import NotPermitted
from currency.merchants import sales

STAFF = ("merchant_clerk", "merchant_owner")
Session = Depends(get_session, scope="function")

REPLAYED = "Idempotent-Replayed"
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in (problem+json `unauthenticated`)."},
    403: {"description": "Only the shop's staff may do this (problem+json `not-permitted`)."},
}
KEYED: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    400: {"description": "No Idempotency-Key header (`idempotency-key-missing`)."},
}


@dataclass(frozen=True)
class AtShop:
    who: Principal
    currency_id: int
    shop: sales.Shop


def at_shop(*roles: str) -> Callable[..., Awaitable[AtShop]]:
    """A dependency: the signed-in shop user (one of ``roles``, else 403) and their shop."""

    async def found(
        who: Principal = Depends(deps.role_in(*roles)),
        session: AsyncSession = Session,
    ) -> AtShop:
        if who.merchant_id is None:
            raise NotPermitted("Your account is not attached to a shop; ask the city office.")
        currency_id = await deps.currency_id_of(session, who.currency)
        shop = await sales.shop(session, currency_id=currency_id, merchant_id=who.merchant_id)
        return AtShop(who, currency_id, shop)

    return found


shop_user = at_shop(*STAFF)
owner = at_shop("merchant_owner")


def mark_replay(response: Response, replayed: bool) -> None:
    """A retry answers the same body; this header alone says it was answered from before."""
    response.headers[REPLAYED] = "true" if replayed else "false"


def in_japan(at: datetime) -> datetime:
    """Times as the shop reads them (+09:00)."""
    return at.astimezone(JAPAN)
