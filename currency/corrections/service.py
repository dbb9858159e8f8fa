"""Staff reversals, four eyes: one staff member asks, with a reason; another approves (the
ledger posts the mirror of the operation) or rejects. Requests and decisions are
append-only, and each step is in the audit log under the operation it corrects.

What the ledger would refuse (reversing a reversal, a payment refunded in part …) is
refused at the request already; the ledger checks again at the approval, under its locks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.corrections.models import reversal_decision, reversal_request
from currency.errors import AlreadyDone, InvalidOperation, NotFound, NotPermitted
from currency.ledger import corrections, history
from currency.ledger.models import operation, transfer
from currency.ledger.operations import Context
from currency.ledger.types import Idempotency
from currency.settlement.models import settlement
from currency.users.models import user

Status = Literal["pending", "approved", "rejected"]
STAFF_ROLES = ("city_staff", "city_admin")
_UNDECIDED = reversal_decision.c.request_id.is_(None)


@dataclass(frozen=True)
class ReversalRequest:
    id: int
    operation_id: int
    operation_kind: str
    amount: int  # everything the operation moved, as the console shows it
    reason: str
    requested_by: int
    requested_at: datetime
    status: Status
    decided_by: int | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    reversal_operation_id: int | None = None


@dataclass(frozen=True)
class Decision:
    request_id: int
    operation_id: int
    decision: Literal["approved", "rejected"]
    decided_by: int
    reason: str | None
    reversal_operation_id: int | None  # the mirror operation, when approved


async def request_reversal(
    session: AsyncSession, *, currency_id: int, operation_id: int, reason: str, staff_id: int
) -> ReversalRequest:
    """Ask for a reversal; it waits for a second staff member."""
    reason = _required(reason, "Say why the operation should be reversed.")
    await _require_staff(session, currency_id, staff_id)
    await _lock_operation(session, currency_id, operation_id)
    await _check_reversible(session, currency_id, operation_id)
    waiting = await _select(
        session, currency_id, reversal_request.c.operation_id == operation_id, _UNDECIDED
    )
    if waiting:
        raise AlreadyDone(
            f"Operation {operation_id} already has a reversal request waiting for approval "
            f"(request {waiting[0].id})."
        )
    request_id = await session.scalar(
        sa.insert(reversal_request)
        .values(
            currency_id=currency_id,
            operation_id=operation_id,
            reason=reason,
            requested_by=staff_id,
        )
        .returning(reversal_request.c.id)
    )
    assert request_id is not None
    stored = await get(session, currency_id=currency_id, request_id=request_id)
    await _audit(session, currency_id, stored, staff_id, "reversal.request", reason)
    return stored


async def approve_reversal(
    session: AsyncSession,
    *,
    currency_id: int,
    request_id: int,
    staff_id: int,
    today: date,
    grace_days: int,
) -> Decision:
    """A different staff member approves: the mirror operation is posted now."""
    await _require_staff(session, currency_id, staff_id)
    stored = await _undecided_request(session, currency_id, request_id)
    if stored.requested_by == staff_id:
        raise NotPermitted(
            "A reversal must be approved by someone other than the person who asked for it."
        )
    await _check_not_settled(session, currency_id, stored.operation_id)
    asked = {"operation_id": stored.operation_id, "request_id": request_id}
    ctx = Context(
        actor=f"staff:{staff_id}",
        reason=stored.reason,
        idempotency=Idempotency("staff-reversal", f"request-{request_id}", asked),
        details={"request_id": request_id, "requested_by": stored.requested_by},
    )
    posted = await corrections.reverse(
        session,
        currency_id=currency_id,
        operation_id=stored.operation_id,
        today=today,
        grace_days=grace_days,
        ctx=ctx,
    )
    return await _decide(session, currency_id, stored, staff_id, None, posted.operation_id)


async def reject_reversal(
    session: AsyncSession, *, currency_id: int, request_id: int, staff_id: int, reason: str
) -> Decision:
    """Nothing is reversed. The one who asked may also withdraw their own request this way."""
    reason = _required(reason, "Say why the reversal is rejected.")
    await _require_staff(session, currency_id, staff_id)
    stored = await _undecided_request(session, currency_id, request_id)
    return await _decide(session, currency_id, stored, staff_id, reason, None)


async def pending(session: AsyncSession, currency_id: int) -> list[ReversalRequest]:
    """Requests waiting for a decision, oldest first: the staff console's queue."""
    return await _select(session, currency_id, _UNDECIDED)


async def get(session: AsyncSession, *, currency_id: int, request_id: int) -> ReversalRequest:
    found = await _select(session, currency_id, reversal_request.c.id == request_id)
    if not found:
        raise NotFound(f"There is no reversal request {request_id}.")
    return found[0]


async def _undecided_request(
    session: AsyncSession, currency_id: int, request_id: int
) -> ReversalRequest:
    """The request, read again under its operation's lock: decided once only."""
    stored = await get(session, currency_id=currency_id, request_id=request_id)
    await _lock_operation(session, currency_id, stored.operation_id)
    stored = await get(session, currency_id=currency_id, request_id=request_id)
    if stored.status != "pending":
        raise AlreadyDone(
            f"Reversal request {request_id} was already {stored.status} "
            f"by staff member {stored.decided_by}."
        )
    return stored


async def _decide(
    session: AsyncSession,
    currency_id: int,
    stored: ReversalRequest,
    staff_id: int,
    reason: str | None,
    reversal_operation_id: int | None,
) -> Decision:
    decision: Literal["approved", "rejected"] = "approved" if reversal_operation_id else "rejected"
    await session.execute(
        sa.insert(reversal_decision).values(
            currency_id=currency_id,
            request_id=stored.id,
            decision=decision,
            decided_by=staff_id,
            reason=reason,
            reversal_operation_id=reversal_operation_id,
        )
    )
    decided = await get(session, currency_id=currency_id, request_id=stored.id)
    action = {"approved": "reversal.approve", "rejected": "reversal.reject"}[decision]
    if decision == "rejected" and staff_id == stored.requested_by:
        action = "reversal.withdraw"
    await _audit(session, currency_id, decided, staff_id, action, reason, before=stored)
    return Decision(
        stored.id, stored.operation_id, decision, staff_id, reason, reversal_operation_id
    )


async def _check_reversible(session: AsyncSession, currency_id: int, operation_id: int) -> None:
    """The ledger's own checks, with its messages, before anyone is asked to approve."""
    original = await history.load(session, currency_id=currency_id, operation_id=operation_id)
    await corrections.check_reversible(session, currency_id, original)
    await _check_not_settled(session, currency_id, operation_id)


async def _check_not_settled(session: AsyncSession, currency_id: int, operation_id: int) -> None:
    """A settlement was paid out in yen by bank transfer: a ledger mirror cannot undo that."""
    paid = await session.scalar(
        sa.select(settlement.c.id).where(
            settlement.c.currency_id == currency_id, settlement.c.operation_id == operation_id
        )
    )
    if paid is not None:
        raise InvalidOperation(
            f"Operation {operation_id} is a merchant settlement paid out by bank transfer; "
            "it cannot be reversed. Correct it with the next settlement instead."
        )


async def _require_staff(session: AsyncSession, currency_id: int, staff_id: int) -> None:
    role = await session.scalar(
        sa.select(user.c.role).where(
            user.c.currency_id == currency_id, user.c.id == staff_id, user.c.status == "active"
        )
    )
    if role not in STAFF_ROLES:
        raise NotPermitted("Only city staff may ask for or decide a reversal.")


async def _lock_operation(session: AsyncSession, currency_id: int, operation_id: int) -> None:
    """Requests and decisions about one operation happen one at a time."""
    key = f"reversal/{currency_id}/{operation_id}"
    await session.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0)))
    )


async def _select(session: AsyncSession, currency_id: int, *where: Any) -> list[ReversalRequest]:
    r, d, t, op = reversal_request, reversal_decision, transfer, operation
    moved = (
        sa.select(sa.cast(sa.func.coalesce(sa.func.sum(t.c.amount), 0), sa.BigInteger))
        .where(t.c.currency_id == r.c.currency_id, t.c.operation_id == r.c.operation_id)
        .scalar_subquery()
    )
    query = (
        sa.select(
            r.c.id,
            r.c.operation_id,
            op.c.kind.label("operation_kind"),
            moved.label("amount"),
            r.c.reason,
            r.c.requested_by,
            r.c.created_at.label("requested_at"),
            sa.func.coalesce(d.c.decision, "pending").label("status"),
            d.c.decided_by,
            d.c.created_at.label("decided_at"),
            d.c.reason.label("decision_reason"),
            d.c.reversal_operation_id,
        )
        .join(op, (op.c.currency_id == r.c.currency_id) & (op.c.id == r.c.operation_id))
        .join(d, (d.c.currency_id == r.c.currency_id) & (d.c.request_id == r.c.id), isouter=True)
        .where(r.c.currency_id == currency_id, *where)
        .order_by(r.c.id)
    )
    return [ReversalRequest(**row) for row in (await session.execute(query)).mappings()]


async def _audit(
    session: AsyncSession,
    currency_id: int,
    stored: ReversalRequest,
    staff_id: int,
    action: str,
    reason: str | None,
    before: ReversalRequest | None = None,
) -> None:
    await audit.record(
        session,
        currency_id=currency_id,
        actor=f"staff:{staff_id}",
        action=action,
        target=f"operation:{stored.operation_id}",
        before=_summary(before) if before else None,
        after=_summary(stored),
        reason=reason,
    )


def _summary(stored: ReversalRequest) -> dict[str, Any]:
    return {
        "request_id": stored.id,
        "operation_kind": stored.operation_kind,
        "amount": stored.amount,
        "status": stored.status,
        "requested_by": stored.requested_by,
        "reversal_operation_id": stored.reversal_operation_id,
    }


def _required(text: str, missing: str) -> str:
    if not text or not text.strip():
        raise InvalidOperation(missing)
    return text.strip()
