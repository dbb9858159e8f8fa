"""Paying a shop: the resident's one-time code for the shop to scan (CPM), and paying a
shop whose code the resident scanned (MPM: a printed code and a typed amount, or a code
for a fixed amount on the shop's screen)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps, idempotency
from api.v1.me.common import KEYED, REFUSALS, Resident, Session, currency_of, mark_replay, wallet_of
from currency.auth.login import Principal
from currency.ledger.types import Posted
from currency.payments import codes, qr_render
from currency.payments.codes import common as shops
from currency.settings import Settings
from currency.wallets import history

router = APIRouter()
MAX_AMOUNT = 10_000_000


class PaymentToken(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "MGP1.…",
                    "expires_at": "2026-11-26T10:04:03+09:00",
                    "qr_svg": "data:image/svg+xml;base64,PHN2Zy…",
                    "qr_png": "data:image/png;base64,iVBORw0KGgo…",
                }
            ]
        }
    )
    token: str  # what the QR holds: MGP1.…
    expires_at: datetime
    qr_svg: str  # data:image/svg+xml;base64,…
    qr_png: str  # data:image/png;base64,…


class PaymentRequest(BaseModel):
    """Either a shop's printed code and the amount the resident typed (``link_mac``: the
    ``s`` of the scanned /m/{code}?s= link), or the full text of a shop's code for a fixed
    amount (``payment_request``, no amount)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"merchant_code": "M0042", "amount": 1200, "link_mac": "k3J9xQ2a"}]
        },
    )
    merchant_code: str | None = Field(default=None, min_length=1, max_length=64)
    amount: int | None = Field(default=None, strict=True, ge=1, le=MAX_AMOUNT)
    link_mac: str | None = Field(default=None, min_length=1, max_length=64)
    payment_request: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def one_form(self) -> Self:
        if self.payment_request is not None:
            if self.merchant_code or self.amount is not None or self.link_mac:
                raise ValueError("send either payment_request alone, or merchant_code and amount")
        elif self.merchant_code is None or self.amount is None:
            raise ValueError("send merchant_code and amount (or a shop's payment_request)")
        return self


class Shop(BaseModel):
    name: str
    district: str


class Payment(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operation_id": 120034,
                    "amount": 1200,
                    "merchant": {"name": "さいき鮮魚店", "district": "佐伯"},
                    "created_at": "2026-11-26T10:02:03+09:00",
                }
            ]
        }
    )
    operation_id: int
    amount: int
    merchant: Shop
    created_at: datetime


@router.post("/payment-token", status_code=201, response_model=PaymentToken, responses=REFUSALS)
async def payment_token(
    response: Response, who: Principal = Resident, session: AsyncSession = Session
) -> PaymentToken:
    """A fresh one-time code for the shop to scan, valid 2 minutes and for one payment.
    Moving no value, it needs no Idempotency-Key. 409 `account-unavailable`: the wallet is
    blocked."""
    issued = await codes.issue_payment_token(
        session, currency_id=await currency_of(session, who), wallet_account_id=wallet_of(who),
        now=deps.now(),
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"  # whoever holds the code can charge it
    return PaymentToken(
        token=issued.text,
        expires_at=issued.expires_at,
        qr_svg=qr_render.data_url_svg(issued.text),
        qr_png=qr_render.data_url_png(issued.text),
    )


@router.post(
    "/payments",
    status_code=201,
    response_model=Payment,
    responses={
        **KEYED,
        404: {"description": "No shop has this code (`not-found`)."},
        409: {"description": "Not enough balance this shop accepts (`insufficient-balance`, "
              "with `spendable` and `total`), or the wallet or shop cannot pay now "
              "(`account-unavailable`)."},
        422: {"description": "Over a wallet limit (`limit-exceeded`); an altered, expired or "
              "used code (`invalid-code`); a bad request (`validation`); or the key reused "
              "for another request (`idempotency-key-reused`)."},
    },
)  # fmt: skip
async def pay(
    body: PaymentRequest,
    response: Response,
    who: Principal = Resident,
    key: str = Depends(idempotency.required_key),
    session: AsyncSession = Session,
    settings: Settings = Depends(deps.settings_of),
) -> Payment:
    """Pay a shop whose code the resident scanned. A retry with the same Idempotency-Key
    answers the same payment (201) and pays once (header `Idempotent-Replayed: true`)."""
    currency_id = await currency_of(session, who)
    common: dict[str, Any] = {
        "currency_id": currency_id, "wallet_account_id": wallet_of(who), "actor": who.name,
        "idempotency": idempotency.of(who, key, body.model_dump()),
    }  # fmt: skip
    if body.payment_request is not None:
        posted = await codes.pay_request(
            session, request_text=body.payment_request, now=deps.now(),
            secret=settings.secret_key, **common,
        )  # fmt: skip
    else:
        assert body.merchant_code is not None and body.amount is not None
        if body.link_mac is not None:
            codes.check_shop_link(body.merchant_code, body.link_mac, settings.secret_key)
        posted = await codes.pay_shop(
            session, merchant_code=body.merchant_code, amount=body.amount, **common
        )
    mark_replay(response, posted.replayed)
    return await _receipt(session, currency_id, posted)


async def _receipt(session: AsyncSession, currency_id: int, posted: Posted) -> Payment:
    """Built from the stored operation, so that a retry reads exactly the same."""
    done = await history.receipt(session, currency_id=currency_id, operation_id=posted.operation_id)
    merchant_id = int(done.details["merchant_id"])
    shop = await shops.shop(session, currency_id=currency_id, merchant_id=merchant_id)
    return Payment(
        operation_id=posted.operation_id,
        amount=int(done.details["amount"]),
        merchant=Shop(name=shop.name, district=shop.district),
        created_at=done.created_at,
    )
