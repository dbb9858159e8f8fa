"""Shops: taking payments (the resident's code, or a card and PIN), sales, refunds,
payment requests for a fixed amount, the counter poster.

The live feed of payments and refunds is ``GET /v1/merchant/events`` (SSE, events.py).
The owner's own routes (refund PIN, clerks, settlements) are in owner.py; a clerk refunds
with the owner's PIN.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.v1.merchant import codes, events, owner, payments, sales

router = APIRouter(prefix="/v1/merchant", tags=["shop"])
router.include_router(payments.router)
router.include_router(sales.router)
router.include_router(codes.router)
router.include_router(events.router)
router.include_router(owner.router)
