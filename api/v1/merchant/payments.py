"""Taking a payment: the resident's one-time code (CPM), or a printed card and its PIN."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps, idempotency
from api.v1.merchant.shop import KEYED, AtShop, Session, in_japan, mark_replay, shop_user
from currency import errors
from currency.ledger.types import Idempotency, Posted
from currency.merchants import sales
from currency.payments import codes
from currency.payments import service as payments
from currency.residents import cards
from currency.residents.card_codes import CardHolder, PinLocked, WrongPin
from currency.settings import Settings

router = APIRouter()
MAX_AMOUNT = 10_000_000
# What the till shows: never how many tries are left (whoever holds a found card is
# not told how far they may guess); the resident learns it at the city office.
WRONG_PIN = "The PIN is not right. Please ask the customer to enter it again."
LOCKED = "This card is locked after too many wrong PINs; please ask the city office."


class Card(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"qr": "MGC1.4628135092731080.Q7ZK2MXP4RTW6VNB", "pin": "4816"}]
        },
    )
    qr: str = Field(min_length=1, max_length=100, description="What the card's QR holds: MGC1.…")
    pin: str = Field(min_length=1, max_length=16, description="The 4-digit PIN the holder typed")


class TakePayment(BaseModel):
    """Either the resident's one-time code (``payment_token``, MGP1.…) or a card and PIN."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"payment_token": "MGP1.K4XQ2ZR7MNB3TW5YH6PDJ2VLCE", "amount": 1280},
                {
                    "card": {"qr": "MGC1.4628135092731080.Q7ZK2MXP4RTW6VNB", "pin": "4816"},
                    "amount": 3450,
                },
            ]
        },
    )
    payment_token: str | None = Field(default=None, min_length=1, max_length=100)
    card: Card | None = None
    amount: int = Field(strict=True, ge=1, le=MAX_AMOUNT)

    @model_validator(mode="after")
    def one_form(self) -> Self:
        if (self.payment_token is None) == (self.card is None):
            raise ValueError("send either payment_token or card (with qr and pin), not both")
        return self

    def fingerprint(self) -> dict[str, Any]:
        """What a retry must repeat; the PIN is left out so that it is never stored."""
        return self.model_dump(exclude_none=True, exclude={"card": {"pin"}})


class PaymentTaken(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operation_id": 88213,
                    "amount": 1280,
                    "by_kind": {"coin": 1080, "point": 200},
                    "created_at": "2026-05-18T11:42:07+09:00",
                }
            ]
        }
    )
    operation_id: int
    amount: int
    by_kind: dict[str, int]  # e.g. {"coin": 800, "point": 200}
    created_at: datetime


@router.post(
    "/payments",
    status_code=201,
    response_model=PaymentTaken,
    responses={
        **KEYED,
        403: {"description": "Not a shop user (`not-permitted`)."},
        404: {"description": "The card is not registered (`not-found`)."},
        409: {"description": "Not enough balance this shop accepts (`insufficient-balance`, "
              "with `spendable` and `total`); the wallet, card or shop cannot be used now "
              "(`account-unavailable`)."},
        422: {"description": "An altered, expired, used or foreign code or card "
              "(`invalid-code`); over a wallet limit (`limit-exceeded`); a bad request "
              "(`validation`); the key reused for another request (`idempotency-key-reused`); "
              "a wrong card PIN (`wrong-pin`: let the holder type it again)."},
        423: {"description": "The card is locked after too many wrong PINs (`pin-locked`)."},
    },
)  # fmt: skip
async def take_payment(
    body: TakePayment,
    response: Response,
    at: AtShop = Depends(shop_user),
    key: str = Depends(idempotency.required_key),
    session: AsyncSession = Session,
    checks: AsyncSession = Depends(deps.get_session_kept_on_error, scope="function"),
    settings: Settings = Depends(deps.settings_of),
) -> PaymentTaken:
    """Charge the wallet behind the resident's code, or behind a card and its PIN.

    A retry with the same Idempotency-Key answers the same payment (201, header
    `Idempotent-Replayed: true`) and charges once. A refused payment charges nothing and
    leaves the resident's code usable until it expires."""
    idem = idempotency.of(at.who, key, body.fingerprint())
    if body.card is not None:
        holder = await _card_holder(checks, at, body.card, settings.secret_key)
        posted = await _pay(session, at, holder.wallet_account_id, body.amount, idem)
    else:
        assert body.payment_token is not None
        posted = await codes.pay_with_token(
            session, currency_id=at.currency_id, token_text=body.payment_token,
            merchant_id=at.shop.id, amount=body.amount, actor=at.who.name, idempotency=idem,
            now=deps.now(),
        )  # fmt: skip
    mark_replay(response, posted.replayed)
    return await _receipt(session, at, posted)


async def _card_holder(checks: AsyncSession, at: AtShop, card: Card, secret: bytes) -> CardHolder:
    """Card and PIN, checked in a short transaction of its own that is committed whatever
    happens: a wrong PIN counts although the payment is refused (currency/residents/cards.py),
    and the holder's row is not kept locked while the payment runs."""
    try:
        return await cards.authenticate_card(
            checks, currency_id=at.currency_id, qr=card.qr, pin=card.pin, secret=secret
        )
    except PinLocked:
        raise PinLocked(LOCKED) from None
    except WrongPin:
        raise errors.WrongPin(WRONG_PIN) from None
    finally:
        await checks.commit()


async def _pay(
    session: AsyncSession, at: AtShop, wallet_account_id: int, amount: int, idem: Idempotency
) -> Posted:
    return await payments.pay(
        session, currency_id=at.currency_id, wallet_account_id=wallet_account_id,
        merchant_id=at.shop.id, amount=amount, actor=at.who.name, idempotency=idem,
    )  # fmt: skip


async def _receipt(session: AsyncSession, at: AtShop, posted: Posted) -> PaymentTaken:
    """Read back from the ledger, so that a retry answers exactly the same."""
    paid = await sales.payment(
        session, currency_id=at.currency_id, merchant_account_id=at.shop.account_id,
        payment_id=posted.operation_id,
    )  # fmt: skip
    return PaymentTaken(
        operation_id=paid.operation_id,
        amount=paid.amount,
        by_kind=paid.by_kind,
        created_at=in_japan(paid.created_at),
    )
