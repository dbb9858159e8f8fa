"""The shop app at /merchant: sign-in, start, till, live sales, payments and refunds, a code
for a fixed amount, the poster, sales history, settlements."""

from fastapi import APIRouter

from merchant_app import payouts, sales_pages, sign_in, till

router = APIRouter()
for part in (sign_in, till, sales_pages, payouts):
    router.include_router(part.router)
