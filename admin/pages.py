"""The city staff console at /admin: the people side (admin/people/) and the money side
(admin/money/), one router for api/main.py to mount."""

from fastapi import APIRouter

from admin import money
from admin.people import audit, cards, charges, merchants, residents, shop_accounts, signin

router = APIRouter(include_in_schema=False)
for part in (signin, residents, cards, charges, merchants, shop_accounts, audit, money):
    router.include_router(part.router)
