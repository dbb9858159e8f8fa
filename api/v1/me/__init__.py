"""A signed-in resident's own wallet: who they are, what is in it, what happened to it,
and paying a shop or sending to another resident. Only ever the resident's own data."""

from __future__ import annotations

from fastapi import APIRouter

from api.v1.me import card, event_claims, history, payments, transfers, wallet

router = APIRouter(tags=["resident"])
for part in (wallet, history, payments, transfers, card, event_claims):
    # The prefix goes here, not on this router: GET /v1/me itself has an empty path.
    router.include_router(part.router, prefix="/v1/me")

__all__ = ["router"]
