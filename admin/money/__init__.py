"""The money side of the staff console: rules, programmes, grants, events, settlements,
reversals and reports. ``router`` is included by admin/pages.py under /admin."""

from fastapi import APIRouter

from admin.money import events, grants, programmes, reports, reversals, rules, settlements

router = APIRouter(include_in_schema=False)
for part in (rules, programmes, grants, events, settlements, reversals, reports):
    router.include_router(part.router)
