"""The shapes that flow through the write path: what was locked, what a caller drafts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from currency.ledger.models import MERCHANT, WALLET
from currency.ledger.spending import LotKind, SpendableLot

__all__ = ["MERCHANT", "WALLET"]


@dataclass(frozen=True)
class Idempotency:
    """A client's key for one request; the fingerprint tells a replay from a different request."""

    principal: str
    key: str
    request: Mapping[str, Any]

    @cached_property
    def fingerprint(self) -> bytes:
        canonical = json.dumps(self.request, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).digest()


@dataclass(frozen=True)
class Account:
    id: int
    kind: str
    status: str
    balance: int


@dataclass(frozen=True)
class WalletLot:
    wallet_account_id: int
    lot: SpendableLot


@dataclass(frozen=True)
class Locked:
    """What ``ledger_begin_many`` saw after taking the locks (and a prefetched row)."""

    accounts: Mapping[int, Account]
    lots: Sequence[WalletLot]
    found: Mapping[str, Any] | None = None

    def only(
        self, accounts: Iterable[int], lots_of: Iterable[int], found: Mapping[str, Any] | None
    ) -> Locked:
        """The part one request of a batch may see."""
        keep, wallets = set(accounts), set(lots_of)
        return Locked(
            accounts={k: v for k, v in self.accounts.items() if k in keep},
            lots=[w for w in self.lots if w.wallet_account_id in wallets],
            found=found,
        )

    def lots_of(self, wallet_account_id: int) -> list[SpendableLot]:
        return [w.lot for w in self.lots if w.wallet_account_id == wallet_account_id]

    def lot(self, lot_id: int) -> WalletLot | None:
        return next((w for w in self.lots if w.lot.id == lot_id), None)


@dataclass(frozen=True)
class Leg:
    debit: int
    credit: int
    amount: int
    kind: str
    reverses: int | None = None


@dataclass(frozen=True)
class LotChange:
    """Take from (amount < 0) or give back to (amount > 0) an existing lot."""

    leg: int
    wallet: int
    lot_id: int
    amount: int


@dataclass(frozen=True)
class NewLot:
    """A lot created in a wallet by a leg that credits it."""

    leg: int
    wallet: int
    kind: LotKind
    amount: int
    expires_on: date
    programme_id: int | None = None
    allowed_tags: frozenset[str] | None = None
    allowed_districts: frozenset[str] | None = None
    origin_lot_id: int | None = None


Move = LotChange | NewLot


@dataclass(frozen=True)
class Draft:
    """One operation, as the caller planned it under the locks."""

    kind: str
    legs: Sequence[Leg]
    moves: Sequence[Move] = ()
    reason: str | None = None
    reverses: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    response: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Posted:
    operation_id: int
    transfer_ids: tuple[int, ...]
    lot_ids: tuple[int, ...]
    replayed: bool = False
    response: Mapping[str, Any] = field(default_factory=dict)


Builder = Callable[[Locked], Draft | Awaitable[Draft]]
