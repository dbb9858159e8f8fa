"""The shop's sales: payments over a period with totals, one payment with its refunds, and
refunding (part of) a payment."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps, idempotency
from api.v1.days import Day
from api.v1.merchant.owner import owner_approval
from api.v1.merchant.shop import (
    KEYED,
    REFUSALS,
    AtShop,
    Session,
    in_japan,
    mark_replay,
    shop_user,
)
from currency import clock
from currency.merchants import sales
from currency.payments import service as payments
from currency.settings import Settings

router = APIRouter()
MAX_AMOUNT = 10_000_000
PaymentId = Path(ge=1, le=2**63 - 1, description="The payment's operation id")


class Refund(BaseModel):
    operation_id: int
    amount: int
    created_at: datetime
    reversed: bool  # undone by the city: it gave nothing back in the end


class Payment(BaseModel):
    operation_id: int
    amount: int
    by_kind: dict[str, int]
    created_at: datetime
    refunded: int
    reversed: bool  # undone by the city
    kept: int  # what stays with the shop: the amount less refunds, 0 if reversed


class PaymentDetail(Payment):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operation_id": 120034,
                    "amount": 1200,
                    "by_kind": {"coin": 1000, "point": 200},
                    "created_at": "2026-11-26T10:02:03+09:00",
                    "refunded": 300,
                    "reversed": False,
                    "kept": 900,
                    "refundable": 900,
                    "refunds": [
                        {
                            "operation_id": 120090,
                            "amount": 300,
                            "created_at": "2026-11-26T11:30:00+09:00",
                            "reversed": False,
                        }
                    ],
                }
            ]
        }
    )
    refundable: int
    refunds: list[Refund]


class Totals(BaseModel):
    count: int
    amount: int
    refunded: int
    kept: int


class Sales(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from": "2026-11-01",
                    "to": "2026-11-26",
                    "totals": {"count": 2, "amount": 4200, "refunded": 300, "kept": 3900},
                    "payments": [
                        {
                            "operation_id": 120034,
                            "amount": 1200,
                            "by_kind": {"coin": 1000, "point": 200},
                            "created_at": "2026-11-26T10:02:03+09:00",
                            "refunded": 300,
                            "reversed": False,
                            "kept": 900,
                        },
                        {
                            "operation_id": 120050,
                            "amount": 3000,
                            "by_kind": {"coin": 3000},
                            "created_at": "2026-11-26T10:02:03+09:00",
                            "refunded": 0,
                            "reversed": False,
                            "kept": 3000,
                        },
                    ],
                }
            ]
        }
    )
    from_: date = Field(serialization_alias="from")
    to: date
    totals: Totals
    payments: list[Payment]


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount": 300}]})
    amount: int = Field(strict=True, ge=1, le=MAX_AMOUNT)
    owner_pin: str | None = Field(
        default=None, min_length=1, max_length=12,
        description="A clerk's refund: the owner's refund PIN, typed by the owner",
    )  # fmt: skip


class RefundMade(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operation_id": 120090,
                    "refund_of": 120034,
                    "amount": 300,
                    "created_at": "2026-11-26T11:30:00+09:00",
                }
            ]
        }
    )
    operation_id: int
    refund_of: int
    amount: int
    created_at: datetime


def _payment(paid: sales.Payment) -> Payment:
    return Payment(
        operation_id=paid.operation_id, amount=paid.amount, by_kind=paid.by_kind,
        created_at=in_japan(paid.created_at), refunded=paid.refunded, reversed=paid.reversed,
        kept=paid.kept,
    )  # fmt: skip


@router.get(
    "/payments",
    response_model=Sales,
    responses={**REFUSALS, 422: {"description": "A period that ends before it starts, or "
                                 "is longer than 31 days (`invalid-operation`)."}},
)  # fmt: skip
async def list_payments(
    start: Day | None = Query(None, alias="from", description="First day (Japan); default: `to`"),
    end: Day | None = Query(None, alias="to", description="Last day (Japan); default: today"),
    at: AtShop = Depends(shop_user),
    session: AsyncSession = Session,
) -> Sales:
    """This shop's payments made from `from` to `to` (Japan days, both included; default
    today), newest first, each with what was refunded of it so far, and the totals."""
    end = end or clock.today()
    start = start or end
    found = await sales.payments(
        session, currency_id=at.currency_id, merchant_account_id=at.shop.account_id,
        start=start, end=end,
    )  # fmt: skip
    totals = Totals(
        count=len(found.payments), amount=found.amount, refunded=found.refunded, kept=found.kept
    )
    return Sales(from_=start, to=end, totals=totals, payments=[_payment(p) for p in found.payments])


@router.get(
    "/payments/{payment_id}",
    response_model=PaymentDetail,
    responses={**REFUSALS, 404: {"description": "No such payment at this shop (`not-found`)."}},
)
async def get_payment(
    payment_id: int = PaymentId, at: AtShop = Depends(shop_user), session: AsyncSession = Session
) -> PaymentDetail:
    """One payment to this shop with its refunds. Another shop's payment is not found."""
    paid = await sales.payment(
        session, currency_id=at.currency_id, merchant_account_id=at.shop.account_id,
        payment_id=payment_id,
    )  # fmt: skip
    refunds = [
        Refund(operation_id=r.operation_id, amount=r.amount, created_at=in_japan(r.created_at),
               reversed=r.reversed)
        for r in paid.refunds
    ]  # fmt: skip
    return PaymentDetail(**_payment(paid).model_dump(), refundable=paid.kept, refunds=refunds)


@router.post(
    "/payments/{payment_id}/refunds",
    status_code=201,
    response_model=RefundMade,
    responses={
        **KEYED,
        403: {"description": "A clerk without the owner's PIN, or a shop whose owner has "
              "set no PIN (`not-permitted`)."},
        404: {"description": "No such payment at this shop (`not-found`)."},
        409: {"description": "The shop holds less than the refund, e.g. after a payout "
              "(`insufficient-balance`)."},
        422: {"description": "More than is left to refund, or a payment the city reversed "
              "(`invalid-operation`); a bad amount (`validation`); the key reused for "
              "another request (`idempotency-key-reused`); the owner's PIN is not right "
              "(`wrong-pin`: show the PIN pad again)."},
        429: {"description": "Five wrong owner PINs at this shop in 15 minutes "
              "(`rate-limited`, with Retry-After)."},
    },
)  # fmt: skip
async def refund(
    body: RefundRequest,
    response: Response,
    payment_id: int = PaymentId,
    at: AtShop = Depends(shop_user),
    key: str = Depends(idempotency.required_key),
    session: AsyncSession = Session,
    checks: AsyncSession = Depends(deps.get_session_kept_on_error, scope="function"),
    settings: Settings = Depends(deps.settings_of),
) -> RefundMade:
    """Give back (part of) a payment to the wallet it came from, restoring the very coins
    and points that were spent. The owner refunds; a clerk refunds with the owner's PIN
    (`owner_pin`), and the refund records both. A retry with the same Idempotency-Key
    refunds once (the PIN is not part of what a retry must repeat, and is never stored)."""
    approved_by = await owner_approval(checks, at, body.owner_pin)
    request = {"payment_id": payment_id, **body.model_dump(exclude={"owner_pin"})}
    posted = await payments.refund(
        session, currency_id=at.currency_id, merchant_account_id=at.shop.account_id,
        payment_id=payment_id, amount=body.amount, actor=at.who.name,
        grace_days=settings.refund_grace_days, idempotency=idempotency.of(at.who, key, request),
        approved_by=approved_by,
    )  # fmt: skip
    mark_replay(response, posted.replayed)
    made = await sales.refund(
        session, currency_id=at.currency_id, merchant_account_id=at.shop.account_id,
        refund_id=posted.operation_id,
    )  # fmt: skip
    return RefundMade(
        operation_id=made.operation_id,
        refund_of=payment_id,
        amount=made.amount,
        created_at=in_japan(made.created_at),
    )
