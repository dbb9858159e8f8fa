"""What a charge tells the counter, the kiosk or the provider; a replay tells the same."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from currency.issuance.policy import PremiumReason
from currency.ledger.spending import LotKind

Channel = Literal["counter", "kiosk", "provider"]
CHANNELS: tuple[Channel, ...] = ("counter", "kiosk", "provider")


class PremiumGiven(BaseModel):
    """The campaign's premium on one charge; ``reason`` and ``note`` say why it is reduced."""

    model_config = ConfigDict(frozen=True)

    campaign: str
    amount: int  # in the currency's unit, as coins or points (``kind``)
    full_amount: int  # what the rate alone would give
    kind: LotKind
    expires_on: date | None
    reason: PremiumReason | None = None
    note: str | None = None


class ChargeResult(BaseModel):
    """What the counter, the kiosk or the provider is told; a replay returns the same."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "operation_id": 90377,
                    "yen": 10000,
                    "coins": 10000,
                    "coin_expires_on": "2027-03-31",
                    "balance_after": 14300,
                    "channel": "counter",
                    "reference": "窓口-上浦-0518-012",
                    "premium": {
                        "campaign": "premium-2026",
                        "amount": 2000,
                        "full_amount": 2000,
                        "kind": "coin",
                        "expires_on": "2027-03-31",
                        "reason": None,
                        "note": None,
                    },
                    "replayed": False,
                }
            ]
        },
    )

    operation_id: int
    yen: int
    coins: int
    coin_expires_on: date
    balance_after: int  # right after this charge (a replay tells it as it was then)
    channel: Channel
    reference: str | None
    premium: PremiumGiven | None = None
    replayed: bool = False

    @property
    def total(self) -> int:
        """Everything the charge put in the wallet: coins and premium."""
        return self.coins + (self.premium.amount if self.premium else 0)
