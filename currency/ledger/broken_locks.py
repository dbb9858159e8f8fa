"""A deliberately broken ledger, for the chaos harness only (proof/chaos): it proves the
harness can fail.

With ``MEGURI_CHAOS_BREAK_LOCKS=double-spend-on-purpose`` the write path skips the row
locks it relies on: ``ledger_begin_many`` is asked to lock nothing, the builder plans on
an unlocked read, and the wallet balances and lot remainders it read are written back as
absolute values before the usual relative update — a read-then-write without the lock,
so two payments from one wallet at once both succeed and one debit is lost.

It cannot be turned on by accident: any other value of the variable stops the process,
and so does ``MEGURI_PRODUCTION``. Unset (always, outside the harness), the normal path
does no extra work: ``posting`` reads ``ENABLED`` once, at import.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable

import asyncpg

from currency.ledger.types import Draft, Locked, LotChange
from currency.settings import ConfigurationError, Settings

FLAG = "MEGURI_CHAOS_BREAK_LOCKS"
CONSENT = "double-spend-on-purpose"
WINDOW_S = 0.005  # a slow planner: widens the race this build is meant to lose

log = logging.getLogger(__name__)


def from_environment() -> bool:
    """True only when the flag holds the exact consent phrase outside production."""
    value = os.environ.get(FLAG)
    if value is None:
        return False
    if value != CONSENT:
        raise ConfigurationError(
            f"{FLAG} breaks the ledger on purpose: set it to {CONSENT!r} or unset it."
        )
    if Settings().production:
        raise ConfigurationError(f"{FLAG} is refused in production: unset it.")
    log.critical("THE LEDGER'S ROW LOCKS ARE OFF (%s): payments can double-spend", FLAG)
    return True


ENABLED = from_environment()


def unlocked(lock: list[int], lots_of: list[int]) -> tuple[list[int], list[int]]:
    """Begin's arguments with no account to lock (every account still read, unlocked)."""
    return [], sorted({*lock, *lots_of})


async def write_back_what_was_read(
    driver: asyncpg.Connection, currency_id: int, seen: Locked, drafts: Iterable[Draft]
) -> None:
    """Overwrite each touched wallet balance and lot remainder with the value read above."""
    await asyncio.sleep(WINDOW_S)
    wallets = {a.id: a.balance for a in seen.accounts.values() if a.kind == "wallet"}
    remaining = {w.lot.id: w.lot.amount_remaining for w in seen.lots}
    for draft in drafts:
        touched = {x for leg in draft.legs for x in (leg.debit, leg.credit)} & wallets.keys()
        for wallet in sorted(touched):
            await driver.execute(_SET_BALANCE, currency_id, wallet, wallets[wallet])
        lots = sorted({m.lot_id for m in draft.moves if isinstance(m, LotChange)})
        for lot in (x for x in lots if x in remaining):
            await driver.execute(_SET_REMAINING, currency_id, lot, remaining[lot])


_SET_BALANCE = "UPDATE ledger_account SET balance = $3 WHERE currency_id = $1 AND id = $2"
_SET_REMAINING = "UPDATE ledger_lot SET amount_remaining = $3 WHERE currency_id = $1 AND id = $2"
