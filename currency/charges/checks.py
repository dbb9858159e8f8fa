"""Why a charge is refused: the request, the resident and wallet, the balance cap.

Each check raises before anything is counted or written. Messages are sentences a clerk
or a resident can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from currency.charges import webhook
from currency.charges.result import CHANNELS
from currency.errors import AccountUnavailable, InvalidOperation, LimitExceeded
from currency.issuance import policy
from currency.issuance.rules import WalletLimits
from currency.ledger.types import Account

MAX_YEN = webhook.MAX_YEN
MAX_REFERENCE = webhook.MAX_LENGTHS["reference"]
LEVELS: Mapping[int, str] = {1: "basic", 2: "verified"}
"""Resident verification levels as wallet-limit levels: 1 enrolled, 2 identity checked."""


def request(*, yen: int, channel: str, reference: str | None, now: datetime) -> None:
    if type(yen) is not int or not 0 < yen <= MAX_YEN:
        raise InvalidOperation(
            f"A charge must be a whole number of yen from ¥1 to ¥{MAX_YEN:,}, not {yen!r}."
        )
    if channel not in CHANNELS:
        raise InvalidOperation(f"Charges are taken on {', '.join(CHANNELS)}, not {channel!r}.")
    if reference is not None and not 0 < len(reference.strip()) <= MAX_REFERENCE:
        raise InvalidOperation(f"A charge reference must be 1 to {MAX_REFERENCE} characters.")
    if channel == "provider" and reference is None:
        raise InvalidOperation("A provider charge needs the provider's reference.")
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidOperation("now must be an aware datetime")


@dataclass(frozen=True)
class Payer:
    id: int
    wallet: int
    level: int
    status: str


def chargeable(payer: Payer, wallet: Account | None) -> Account:
    if payer.status != "active":
        raise AccountUnavailable(
            f"This resident's account is {payer.status}; it cannot be charged until it is active."
        )
    if wallet is None or wallet.status != "open":
        state = wallet.status if wallet else "missing"
        raise AccountUnavailable(
            f"This resident's wallet is {state}; it cannot be charged until it is reopened."
        )
    return wallet


def level_name(level: int) -> str:
    if level not in LEVELS:
        raise InvalidOperation(
            f"Verification level {level} has no wallet limits; correct the enrolment first."
        )
    return LEVELS[level]


def within_balance_cap(
    limits: WalletLimits, level: str, balance: int, yen: int, extra: int
) -> None:
    refusal = policy.check_charge(limits, level=level, balance=balance, amount=yen + extra)
    if refusal is None:
        return
    adds = f"¥{yen:,}" if not extra else f"¥{yen + extra:,} (¥{yen:,} and a {extra:,} premium)"
    raise LimitExceeded(
        f"This charge would add {adds}, but a {level} wallet may hold at most "
        f"¥{refusal.limit:,} and this one holds ¥{balance:,}: that is ¥{refusal.excess:,} "
        f"too much. At most ¥{refusal.remaining:,} more fits now, premium included.",
        code="balance_cap",
        requested=refusal.requested,
        limit=refusal.limit,
        used=balance,
    )
