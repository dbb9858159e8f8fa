"""City staff: charges, grants, residents, cards, rules, settlements, reversals, audit.

Roles: ``staff`` and ``admin`` act; ``auditor`` reads (every GET) and may not act
(every POST → 403). Residents and shop users → 403; no token → 401.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.v1.staff import cards, charges, grants, records, residents, reversals, rules

router = APIRouter(prefix="/v1/staff", tags=["city staff"])
for part in (charges, grants, residents, cards, rules, reversals, records):
    router.include_router(part.router)
