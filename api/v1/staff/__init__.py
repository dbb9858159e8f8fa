"""City staff: charges, grants, residents, cards, rules, settlements, reversals, audit."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/staff", tags=["city staff"])
