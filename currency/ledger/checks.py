"""What every draft must satisfy before it is written (the database checks again)."""

from __future__ import annotations

from collections import defaultdict

from currency.errors import AccountUnavailable, InvalidOperation
from currency.ledger.types import WALLET, Draft, Leg, Locked, LotChange

# Not the holder acting: a blocked wallet's value still expires on its date (blocking a
# wallet must not stretch prepaid value past its legal limit).
DEBITS_BLOCKED_ACCOUNTS = frozenset({"expire"})


def check(draft: Draft, locked: Locked, lock_ids: set[int]) -> None:
    if not draft.legs:
        raise InvalidOperation("an operation needs at least one transfer")
    for leg in draft.legs:
        _check_leg(leg, locked, blocked_ok=draft.kind in DEBITS_BLOCKED_ACCOUNTS)
    _check_moves(draft, locked, lock_ids)
    for index, leg in enumerate(draft.legs):
        _check_wallet_sides(index, leg, draft, locked)


def _check_leg(leg: Leg, locked: Locked, *, blocked_ok: bool = False) -> None:
    if type(leg.amount) is not int or leg.amount <= 0:
        raise InvalidOperation(f"amounts must be whole numbers above zero, not {leg.amount!r}")
    if leg.debit == leg.credit:
        raise InvalidOperation("a transfer needs two different accounts")
    debit = locked.accounts.get(leg.debit)
    if debit is not None and debit.status != "open" and not blocked_ok:
        raise AccountUnavailable(f"account {leg.debit} is {debit.status}")
    credit = locked.accounts.get(leg.credit)
    if credit is not None and credit.status == "closed":
        raise AccountUnavailable(f"account {leg.credit} is closed")


def _check_moves(draft: Draft, locked: Locked, lock_ids: set[int]) -> None:
    taken: dict[int, int] = defaultdict(int)
    for move in draft.moves:
        if not 0 <= move.leg < len(draft.legs):
            raise InvalidOperation(f"lot movement names leg {move.leg}, which does not exist")
        if move.wallet not in lock_ids:
            raise InvalidOperation(f"wallet {move.wallet} must be locked to change its lots")
        if type(move.amount) is not int or move.amount == 0:
            raise InvalidOperation("a lot movement needs a non-zero whole amount")
        if isinstance(move, LotChange) and move.amount < 0:
            taken[move.lot_id] += -move.amount
            _check_take(move, taken[move.lot_id], locked)


def _check_take(move: LotChange, total_taken: int, locked: Locked) -> None:
    found = locked.lot(move.lot_id)
    if found is None or found.wallet_account_id != move.wallet:
        raise InvalidOperation(f"lot {move.lot_id} is not a live lot of wallet {move.wallet}")
    if total_taken > found.lot.amount_remaining:
        raise InvalidOperation(f"lot {move.lot_id} has only {found.lot.amount_remaining} left")


def _check_wallet_sides(index: int, leg: Leg, draft: Draft, locked: Locked) -> None:
    for account_id, sign in ((leg.debit, -1), (leg.credit, 1)):
        account = locked.accounts.get(account_id)
        moved = sum(m.amount for m in draft.moves if m.leg == index and m.wallet == account_id)
        if account is not None and account.kind == WALLET and moved != sign * leg.amount:
            raise InvalidOperation(
                f"leg {index}: lots of wallet {account_id} move {moved}, "
                f"the transfer moves {sign * leg.amount}"
            )
