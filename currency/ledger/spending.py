"""Which lots a payment spends: a pure planner, no database.

Order is FEFO (first expiring, first out): the value that expires soonest is used
first, so a resident loses as little as possible to expiry. On the same expiry date
free points go before paid coins: coins are prepaid value under 資金決済法, bought
with yen, so the resident would rather keep them. The lot id breaks the remaining ties,
so a plan is fully deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal

from currency.errors import InsufficientBalance, InvalidOperation

LotKind = Literal["coin", "point"]

# Position of each kind on an expiry-date tie: points first (see the module docstring).
_KIND_RANK: dict[LotKind, int] = {"point": 0, "coin": 1}


@dataclass(frozen=True, slots=True)
class SpendableLot:
    """What is left of one lot in a wallet, with its restrictions."""

    id: int
    kind: LotKind
    amount_remaining: int
    expires_on: date
    # None means any merchant; otherwise the merchant needs at least one of these tags.
    allowed_tags: frozenset[str] | None = None
    # None means any district; otherwise the merchant's district must be one of these.
    allowed_districts: frozenset[str] | None = None
    programme_id: int | None = None


@dataclass(frozen=True, slots=True)
class Payee:
    """The side a lot's restrictions are checked against (a merchant)."""

    tags: frozenset[str]
    district: str | None


@dataclass(frozen=True, slots=True)
class Draw:
    """An amount taken from one lot."""

    lot: SpendableLot
    amount: int

    def __post_init__(self) -> None:
        if not 0 < self.amount <= self.lot.amount_remaining:
            raise InvalidOperation(
                f"draw of {self.amount} from lot {self.lot.id} "
                f"with {self.lot.amount_remaining} remaining"
            )


@dataclass(frozen=True, slots=True)
class Plan:
    """The draws that cover a payment, in spending order."""

    draws: tuple[Draw, ...]
    amount: int

    def __post_init__(self) -> None:
        if self.amount != sum(draw.amount for draw in self.draws):
            raise InvalidOperation("plan amount differs from the sum of its draws")

    def by_kind(self) -> dict[LotKind, int]:
        """How much of each kind the plan spends; kinds it does not touch are absent."""
        totals: dict[LotKind, int] = {}
        for draw in self.draws:
            totals[draw.lot.kind] = totals.get(draw.lot.kind, 0) + draw.amount
        return totals


def accepts(payee: Payee, lot: SpendableLot) -> bool:
    """Whether the payee may take value from the lot: both restrictions must hold."""
    tags_ok = lot.allowed_tags is None or not lot.allowed_tags.isdisjoint(payee.tags)
    district_ok = lot.allowed_districts is None or payee.district in lot.allowed_districts
    return tags_ok and district_ok


def for_payee(payee: Payee) -> Callable[[SpendableLot], bool]:
    """The accept-predicate for paying this merchant."""
    return lambda lot: accepts(payee, lot)


def of_kinds(kinds: Collection[LotKind]) -> Callable[[SpendableLot], bool]:
    """The accept-predicate that allows only these kinds (a p2p send allows coins only)."""
    allowed = frozenset(kinds)
    return lambda lot: lot.kind in allowed


def plan(
    lots: Iterable[SpendableLot],
    *,
    amount: int,
    today: date,
    accept: Callable[[SpendableLot], bool] = lambda lot: True,
) -> Plan:
    """Cover ``amount`` from the usable lots, soonest-expiring first.

    Raises InvalidOperation for an amount that is not a positive int, and
    InsufficientBalance when the usable lots hold less than ``amount``.
    """
    _check_amount(amount)
    live = [lot for lot in lots if _is_live(lot, today)]
    usable = sorted((lot for lot in live if accept(lot)), key=_spending_order)
    spendable = sum(lot.amount_remaining for lot in usable)
    if spendable < amount:
        total = sum(lot.amount_remaining for lot in live)
        raise InsufficientBalance(requested=amount, total=total, spendable=spendable)
    return Plan(draws=tuple(_draws(usable, amount)), amount=amount)


def _spending_order(lot: SpendableLot) -> tuple[date, int, int]:
    """Sort key of the spending order: expiry date, then points before coins, then id."""
    return (lot.expires_on, _KIND_RANK[lot.kind], lot.id)


def _check_amount(amount: object) -> None:
    # bool is a subclass of int, but True is not an amount of money.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidOperation(f"amount must be a whole number, got {amount!r}")
    if amount <= 0:
        raise InvalidOperation(f"amount must be positive, got {amount}")


def _is_live(lot: SpendableLot, today: date) -> bool:
    # A lot is usable through its expiry date, not only before it.
    return lot.amount_remaining > 0 and today <= lot.expires_on


def _draws(ordered: Iterable[SpendableLot], amount: int) -> Iterator[Draw]:
    left = amount
    for lot in ordered:
        if left == 0:
            return
        take = min(left, lot.amount_remaining)
        yield Draw(lot=lot, amount=take)
        left -= take
