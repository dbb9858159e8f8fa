"""The base-date report (基準日報告, 資金決済法): unused coins at the end of a JST day, the
deposit it calls for, and the half-year's books (管理帳), from the ledger's history.

Definitions (docs/reports.md says the same for the finance office):

- **The instant.** The end of the base date in Japan: everything the ledger stamped before
  the next midnight JST counts (``created_at < 00:00 JST`` of the next day), nothing
  after — an operation 1 ms past midnight belongs to the next period. It is computed from
  the lot movements and their transfers, not from today's balances, so it can be run
  (and gives the same figures) any time later.
- **Coins only.** Coin lots are value bought with yen (前払式支払手段); points are free and
  excluded. Premium coins given with a charge are coin lots and count (the premium is part
  of the instrument bought). Value paid to shops is *used* (回収): shops' balances are not
  unused balance.
- **Unused balance (基準日未使用残高)** = what the wallets' coin lots held at the instant,
  for lots still usable on the base date (``expires_on >= base date``; a lot's last day is
  its expiry date). Lots past their expiry date but not yet swept by the expiry job (it
  runs after the date) cannot be used any more: they are shown on their own line
  (``past_due_unswept``) and left out of the unused balance. Their sum is
  ``wallet_coin_lots``, the sum of every wallet coin lot at the instant, to the yen.
- **Deposit (発行保証金).** When the unused balance exceeds ¥10,000,000, at least half of
  the *whole* unused balance must be secured (Payment Services Act art. 14, as in
  /shared/DOMAIN.md), rounded up to the yen; otherwise nothing.
- **Books of the period** (the half-year ending 3/31 or 9/30 that holds the date; for any
  other date, from the start of its half-year up to it), coin lots only: ``issued``
  (charges and their premiums, of which ``issued_premium``), ``payments`` (paid to shops),
  ``refunds`` (given back by shops), ``used`` = payments − refunds, ``expired`` (swept by
  the expiry job), ``reversed`` (the net effect of staff corrections: + gave value back to
  wallets, − took it away), ``sent`` (moved between residents: no change to the total).
  ``opening + issued − used − expired + reversed + other = wallet_coin_lots``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.clock import JAPAN
from currency.errors import InvalidOperation

THRESHOLD = 10_000_000  # yen: above it, half of the unused balance must be secured
FIRST_YEAR = 2000  # no currency's books start earlier

_LOTS = sa.text("""
SELECT coalesce(sum(m.amount) FILTER (WHERE l.expires_on >= :on), 0) AS usable,
       coalesce(sum(m.amount) FILTER (WHERE l.expires_on < :on), 0) AS past_due
  FROM ledger_lot_movement m
  JOIN ledger_lot l ON l.currency_id = m.currency_id AND l.id = m.lot_id AND l.kind = 'coin'
  JOIN ledger_transfer t ON t.currency_id = m.currency_id AND t.id = m.transfer_id
 WHERE m.currency_id = :c AND t.created_at < :until
""")

_BOOKS = sa.text("""
SELECT CASE split_part(t.kind, '.', 1)
         WHEN 'charge' THEN 'issued' WHEN 'grant' THEN 'issued'
         WHEN 'payment' THEN 'payments' WHEN 'refund' THEN 'refunds'
         WHEN 'expire' THEN 'expired' WHEN 'reversal' THEN 'reversed'
         WHEN 'send' THEN 'sent' ELSE 'other' END AS line,
       coalesce(sum(m.amount) FILTER (WHERE t.kind LIKE 'charge.premium.%'), 0) AS premium,
       sum(m.amount) AS net, sum(greatest(m.amount, 0)) AS gross_in
  FROM ledger_lot_movement m
  JOIN ledger_lot l ON l.currency_id = m.currency_id AND l.id = m.lot_id AND l.kind = 'coin'
  JOIN ledger_transfer t ON t.currency_id = m.currency_id AND t.id = m.transfer_id
 WHERE m.currency_id = :c AND t.created_at >= :since AND t.created_at < :until
 GROUP BY 1
""")


@dataclass(frozen=True)
class BaseDateReport:
    on: date  # 基準日
    until: datetime  # the first instant after it (next midnight JST), excluded
    period_start: date
    unused: int
    past_due_unswept: int
    wallet_coin_lots: int
    deposit_required: int
    opening: int
    issued: int
    issued_premium: int
    payments: int
    refunds: int
    used: int
    expired: int
    reversed: int
    sent: int
    other: int

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(on=self.on.isoformat(), until=self.until.isoformat(), threshold=THRESHOLD)
        out["period_start"] = self.period_start.isoformat()
        return out


def end_of(day: date) -> datetime:
    """The next midnight in Japan: the first instant that is no longer ``day``."""
    return datetime.combine(day + timedelta(days=1), time(0), JAPAN)


def period_start(on: date) -> date:
    """The first day of the half-year (Apr–Sep, Oct–Mar) that holds ``on``."""
    if on.month >= 10:
        return date(on.year, 10, 1)
    if on.month >= 4:
        return date(on.year, 4, 1)
    return date(on.year - 1, 10, 1)


def deposit_for(unused: int) -> int:
    """Half of the whole unused balance, rounded up to the yen, once it exceeds ¥10M."""
    return (unused + 1) // 2 if unused > THRESHOLD else 0


async def report(
    session: AsyncSession, *, currency_id: int, on: date, now: datetime | None = None
) -> BaseDateReport:
    """The report for the end of ``on`` (JST); refused while that day has not ended."""
    _check_day(on, now or datetime.now(UTC))
    until = end_of(on)
    start = period_start(on)
    usable, past_due = await _lots(session, currency_id, on, until)
    opening = sum(await _lots(session, currency_id, start, end_of(start - timedelta(days=1))))
    lines = await _books(session, currency_id, end_of(start - timedelta(days=1)), until)
    return _assemble(on, until, start, usable, past_due, opening, lines)


def _check_day(on: date, now: datetime) -> None:
    if on >= now.astimezone(JAPAN).date():
        raise InvalidOperation(
            f"{on} has not ended yet in Japan: a base-date report needs the whole day."
        )
    if on.year < FIRST_YEAR:
        raise InvalidOperation(f"A base date must be in {FIRST_YEAR} or later, not {on}.")


async def _lots(
    session: AsyncSession, currency_id: int, on: date, until: datetime
) -> tuple[int, int]:
    row = (await session.execute(_LOTS, {"c": currency_id, "on": on, "until": until})).one()
    return int(row.usable), int(row.past_due)


async def _books(
    session: AsyncSession, currency_id: int, since: datetime, until: datetime
) -> dict[str, tuple[int, int, int]]:
    found = await session.execute(_BOOKS, {"c": currency_id, "since": since, "until": until})
    return {r.line: (int(r.net), int(r.gross_in), int(r.premium)) for r in found}


def _assemble(
    on: date,
    until: datetime,
    start: date,
    usable: int,
    past_due: int,
    opening: int,
    lines: dict[str, tuple[int, int, int]],
) -> BaseDateReport:
    def net(line: str) -> int:
        return lines.get(line, (0, 0, 0))[0]

    payments, refunds = -net("payments"), net("refunds")
    return BaseDateReport(
        on=on,
        until=until,
        period_start=start,
        unused=usable,
        past_due_unswept=past_due,
        wallet_coin_lots=usable + past_due,
        deposit_required=deposit_for(usable),
        opening=opening,
        issued=net("issued"),
        issued_premium=lines.get("issued", (0, 0, 0))[2],
        payments=payments,
        refunds=refunds,
        used=payments - refunds,
        expired=-net("expired"),
        reversed=net("reversed"),
        sent=lines.get("sent", (0, 0, 0))[1],
        other=net("other"),
    )
