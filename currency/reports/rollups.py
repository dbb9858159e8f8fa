"""Daily rollups of the ledger (``report_daily``), kept up to date by ``meguri worker``.

What a row holds: for one JST day (the day of the transfer's ``created_at`` in the
currency's time zone), one measure and one cell, the net amount and the number of
transfers. Measures: ``issued`` (charges, charge premiums, grants), ``spent`` (payments),
``refunded``, ``sent`` (resident to resident), ``settled`` (payout in yen) and ``fee``
(kept on a settlement), ``expired``, ``merchant_paid`` (shop to shop). Cells:

- value kind: ``coin`` or ``point`` for value in wallets; ``mixed`` for settlements and
  shop-to-shop payments, because a shop's balance does not tell coins from points;
- programme: the programme of the lots the transfer moved (0 for none: charges, premiums);
  a payment that drew on lots of two programmes is split between them, and counted once
  (in the cell of its lowest programme id), so counts still add up to transfers;
- merchant category: the shop's (``''`` when no shop takes part);
- district: **the shop's** district for payments, refunds, settlements and shop-to-shop
  payments (where the money was spent — what a city asks of a local currency), **the
  resident's** for issuance, sends and expiry (where the value is held). ``'unknown'`` for
  a wallet without a resident (never in production);
- age band: the resident's, in 10-year bands by ``birth_year`` on the transfer's day
  (``'60-69'``, ``'90+'``; ``'unknown'`` when the birth year is missing; ``''`` when no
  resident takes part, e.g. settlements).

A reversal counts as minus the transfer it reverses (amount and count), on the reversal's
day and in the original's cell: the figures are net of staff corrections.

**The watermark.** Transfer ids are taken when a transaction writes, not when it commits:
a payment with id 10 may commit after id 11, so "every id above the last one folded" would
miss it for good. The hash chain's sequence, by contrast, is given in commit order: the
sequencer (``currency/ledger/chain.py``) runs under an advisory lock, appends only
committed transfers, and commits its links before the next sweep can take the lock. So the
committed links always form a gap-free prefix ``1..head``, and a late-committing transfer
simply gets a later sequence. The rollups fold links ``last < sequence <= upto`` and store
``upto`` as the mark (``report_rollup_mark``, locked while folding, so ``refresh`` and
``rebuild`` never interleave). Rollups therefore count a transfer once it is chained:
within one worker sweep (the chain job runs first). No transaction ids are used (Citus).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from currency.ledger.models import chain_link
from currency.reports.models import daily, mark
from currency.reports.rollup_sql import FOLD

JOB_STEP = 50_000  # chain sequences folded by one worker sweep, at most
REBUILD_STEP = 500_000  # sequences per statement while rebuilding (bounded memory)


async def refresh(session: AsyncSession, *, currency_id: int, upto: int | None = None) -> int:
    """Fold in the transfers chained since the mark, up to chain sequence ``upto`` (default:
    the chain's head). Returns how many transfers were folded in."""
    last = await _lock_mark(session, currency_id)
    head = await chain_head(session, currency_id=currency_id)
    target = head if upto is None else min(upto, head)
    if target <= last:
        return 0
    await _fold(session, currency_id, last, target, REBUILD_STEP)
    await _set_mark(session, currency_id, target)
    return target - last


async def rebuild(session: AsyncSession, *, currency_id: int) -> int:
    """Recompute every rollup of the currency from the ledger; returns transfers read."""
    await _lock_mark(session, currency_id)
    await session.execute(sa.delete(daily).where(daily.c.currency_id == currency_id))
    head = await chain_head(session, currency_id=currency_id)
    await _fold(session, currency_id, 0, head, REBUILD_STEP)
    await _set_mark(session, currency_id, head)
    return head


async def job(session: AsyncSession, currency_id: int) -> int:
    """The worker's step: at most ``JOB_STEP`` transfers per sweep."""
    last = await session.scalar(
        sa.select(mark.c.last_sequence).where(mark.c.currency_id == currency_id)
    )
    return await refresh(session, currency_id=currency_id, upto=(last or 0) + JOB_STEP)


async def chain_head(session: AsyncSession, *, currency_id: int) -> int:
    head = await session.scalar(
        sa.select(sa.func.max(chain_link.c.sequence)).where(chain_link.c.currency_id == currency_id)
    )
    return int(head or 0)


async def _fold(session: AsyncSession, currency_id: int, lo: int, hi: int, step: int) -> None:
    for start in range(lo, hi, step):
        await session.execute(FOLD, {"c": currency_id, "lo": start, "hi": min(start + step, hi)})


async def _lock_mark(session: AsyncSession, currency_id: int) -> int:
    await session.execute(insert(mark).values(currency_id=currency_id).on_conflict_do_nothing())
    found = await session.scalar(
        sa.select(mark.c.last_sequence).where(mark.c.currency_id == currency_id).with_for_update()
    )
    return int(found or 0)


async def _set_mark(session: AsyncSession, currency_id: int, sequence: int) -> None:
    await session.execute(
        sa.update(mark)
        .where(mark.c.currency_id == currency_id)
        .values(last_sequence=sequence, refreshed_at=sa.func.now())
    )
