"""A signed-in resident's own wallet."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from api.v1 import deps
from currency import clock
from currency.auth.login import Principal
from currency.wallets import service as wallets

router = APIRouter(prefix="/v1/me", tags=["resident"])
resident = deps.role_in("resident")


class Lot(BaseModel):
    kind: str
    amount: int
    expires_on: date
    allowed_tags: list[str] | None
    allowed_districts: list[str] | None


class Wallet(BaseModel):
    balance: int
    spendable: dict[str, int]
    lots: list[Lot]


@router.get("/wallet", response_model=Wallet)
async def wallet(
    who: Principal = Depends(resident),
    session: AsyncSession = Depends(get_session, scope="function"),
) -> Wallet:
    """The balance, what is in the wallet by kind, and each lot's expiry and where it may
    be spent (``null`` restrictions: anywhere)."""
    assert who.wallet_account_id is not None
    currency_id = await deps.currency_id_of(session, who.currency)
    view = await wallets.summary(
        session, currency_id=currency_id, wallet_account_id=who.wallet_account_id,
        today=clock.today(),
    )  # fmt: skip
    lots = [Lot(**vars(x)) for x in view.lots]
    return Wallet(balance=view.balance, spendable=view.by_kind, lots=lots)
