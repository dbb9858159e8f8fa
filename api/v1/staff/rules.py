"""Rules: every version with who drafted and who decided it; draft, approve, reject.

A version is drafted by one staff member and approved or rejected by another; it is in
force from ``starts_at`` once approved. Nothing is edited: a change is a new version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.days import Instant
from api.v1.staff.common import REFUSALS, Acting, Reading, Session, currency_of
from currency.auth.login import Principal
from currency.issuance import rulebook
from currency.issuance.rulebook import StoredRule
from currency.issuance.rules import Rule, RuleKind

router = APIRouter()
DECIDING = {
    **REFUSALS,
    403: {"description": "A staff member may not decide a rule they drafted, or the role "
          "may not act (`not-permitted`)."},
    404: {"description": "No such rule version (`not-found`)."},
    409: {"description": "The version was already approved or rejected (`already-done`)."},
}  # fmt: skip


class DraftRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rule": {
                        "kind": "charge_premium",
                        "code": "premium-2026-winter",
                        "name": {"ja": "年末プレミアム", "en": "Year-end premium"},
                        "rate_bp": 2000,
                        "premium_kind": "point",
                        "cap_per_resident": 6000,
                        "budget": 5000000,
                        "starts_at": "2026-12-01T00:00:00+09:00",
                        "ends_at": "2027-01-01T00:00:00+09:00",
                        "channels": ["counter", "kiosk"],
                    },
                    "starts_at": "2026-12-01T00:00:00+09:00",
                    "note": "年末プレミアム 20%",
                }
            ]
        },
    )
    rule: Rule = Field(description="The rule itself; its ``kind`` says which schema applies.")
    starts_at: Instant
    note: str | None = Field(default=None, max_length=1000)


class Rejection(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "予算額が議会承認額と異なります"}]},
    )
    reason: str = Field(min_length=1, max_length=1000)


class RuleVersion(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 31,
                    "kind": "charge_premium",
                    "code": "premium-2026-winter",
                    "version": 2,
                    "status": "draft",
                    "rule": {"rate_percent": 20, "budget": 5000000},
                    "starts_at": "2026-12-01T00:00:00+09:00",
                    "note": "年末プレミアム 20%",
                    "drafted_by": 12,
                    "drafted_at": "2026-11-26T10:02:03+09:00",
                    "decided_by": None,
                    "decided_at": None,
                    "reason": None,
                }
            ]
        }
    )
    id: int
    kind: str
    code: str
    version: int
    status: str  # draft, approved, rejected
    rule: dict[str, Any]
    starts_at: datetime
    note: str | None
    drafted_by: int
    drafted_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    reason: str | None  # why it was rejected


def _view(stored: StoredRule) -> RuleVersion:
    fields = {k: v for k, v in vars(stored).items() if k != "rule"}
    return RuleVersion(rule=stored.rule.model_dump(mode="json"), **fields)


@router.get("/rules", response_model=list[RuleVersion], responses=REFUSALS)
async def versions(
    kind: RuleKind | None = Query(None),
    code: str | None = Query(None, max_length=64),
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> list[RuleVersion]:
    """Every version (of ``kind``, of ``code``), newest first."""
    found = await rulebook.versions(
        session, currency_id=await currency_of(session, who), kind=kind, code=code
    )
    return [_view(stored) for stored in found]


@router.post(
    "/rules",
    status_code=201,
    response_model=RuleVersion,
    responses={**REFUSALS, 422: {"description": "The rule is not valid: `errors` names "
               "each field (`validation`)."}},
)  # fmt: skip
async def draft(
    body: DraftRequest, who: Principal = Acting, session: AsyncSession = Session
) -> RuleVersion:
    """Draft the next version of a rule; another staff member approves it."""
    stored = await rulebook.draft(
        session, currency_id=await currency_of(session, who), staff_id=who.id, rule=body.rule,
        starts_at=body.starts_at, note=body.note,
    )  # fmt: skip
    return _view(stored)


# a bigint: a larger number is no rule (422), never a database error
RuleId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("/rules/{rule_id}/approve", response_model=RuleVersion, responses=DECIDING)
async def approve(
    rule_id: RuleId, who: Principal = Acting, session: AsyncSession = Session
) -> RuleVersion:
    """Approve a draft: it is in force from its ``starts_at``."""
    stored = await rulebook.approve(
        session, currency_id=await currency_of(session, who), staff_id=who.id, rule_id=rule_id
    )
    return _view(stored)


@router.post("/rules/{rule_id}/reject", response_model=RuleVersion, responses=DECIDING)
async def reject(
    rule_id: RuleId, body: Rejection, who: Principal = Acting, session: AsyncSession = Session
) -> RuleVersion:
    """Reject a draft, saying why; it never comes into force."""
    stored = await rulebook.reject(
        session, currency_id=await currency_of(session, who), staff_id=who.id, rule_id=rule_id,
        reason=body.reason,
    )  # fmt: skip
    return _view(stored)
