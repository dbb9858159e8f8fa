"""Shops: taking payments (the resident's code, or a card and PIN), sales, refunds,
payment requests for a fixed amount."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/merchant", tags=["shop"])
