"""City staff: charges, grants, residents, cards, rules, settlements, reversals, audit.

Roles: ``staff`` and ``admin`` act; ``auditor`` reads (every GET) and may not act
(every POST → 403). Residents and shop users → 403; no token → 401.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.v1.staff import (
    card_sheets,
    cards,
    charges,
    events,
    grants,
    records,
    residents,
    reversals,
    rules,
    settlements,
)

router = APIRouter(prefix="/v1/staff", tags=["city staff"])
for part in (charges, grants, residents, cards, rules, reversals, records):
    router.include_router(part.router)
for part in (card_sheets, settlements, events):
    router.include_router(part.router)
from api.v1.staff import merchants  # noqa: E402  (shops: onboarding, bank account, users)

router.include_router(merchants.router)
from api.v1.staff import activation as activation_letters  # noqa: E402  (activation letters)

router.include_router(activation_letters.router)
from api.v1.staff import reports  # noqa: E402  (dashboard, series, base-date report)

router.include_router(reports.router)
