"""Shops: taking payments (the resident's code, or a card and PIN), sales, refunds,
payment requests for a fixed amount, the counter poster.

Still to come: the live feed of payments and refunds (``GET /v1/merchant/events``, SSE),
and a refund by a clerk with the owner's PIN (today only the owner refunds).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.v1.merchant import codes, payments, sales

router = APIRouter(prefix="/v1/merchant", tags=["shop"])
router.include_router(payments.router)
router.include_router(sales.router)
router.include_router(codes.router)
