"""A shop's own settlements, each with its payout statement (支払明細).

The statement explains the payout in the shop's words: what customers paid in the period
(gross receipts), what the shop refunded, adjustments (a city reversal, or sales carried
over from an earlier period that was capped by the balance), the amount settled, the fee
and its rate, the net paid in yen, the transfer date and the account it goes to (only its
last four digits). Read only; every query is bounded by the shop's own id and account, so
another shop's settlement is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.clock import JAPAN
from currency.errors import NotFound
from currency.settlement import bank, repository
from currency.settlement.models import settlement
from currency.settlement.repository import Settlement

# The shop's account moves in the period, by the kind of operation that moved it.
_MOVES = sa.text("""
    SELECT coalesce(sum(t.amount) FILTER (WHERE o.kind = 'payment'
                                           AND t.credit_account_id = :account), 0) AS gross,
           coalesce(sum(t.amount) FILTER (WHERE o.kind = 'refund'
                                           AND t.debit_account_id = :account), 0) AS refunds
      FROM ledger_transfer t
      JOIN ledger_operation o ON o.currency_id = t.currency_id AND o.id = t.operation_id
     WHERE t.currency_id = :c AND t.created_at >= :since AND t.created_at < :until
       AND (t.credit_account_id = :account OR t.debit_account_id = :account)
""")


@dataclass(frozen=True, slots=True)
class Statement:
    settlement: Settlement
    gross_receipts: int
    refunds: int
    adjustments: int  # amount - (gross - refunds): reversals, carried-over sales
    account: str | None  # "ｵｵｲﾀ 002 普通 ***0001", None when no account is on file

    @property
    def net(self) -> int:
        return self.settlement.payout


async def settlements(
    session: AsyncSession, *, currency_id: int, merchant_id: int
) -> list[Settlement]:
    """The shop's settlements, newest period first."""
    found = await repository.select(session, currency_id, settlement.c.merchant_id == merchant_id)
    return sorted(found, key=lambda s: s.period_end, reverse=True)


async def statement(
    session: AsyncSession,
    *,
    currency_id: int,
    merchant_id: int,
    merchant_account_id: int,
    settlement_id: int,
    secret: bytes,
) -> Statement:
    """One of the shop's settlements with its payout statement; another's is not found."""
    found = await repository.select(
        session, currency_id, settlement.c.merchant_id == merchant_id,
        settlement.c.id == settlement_id,
    )  # fmt: skip
    if not found:
        raise NotFound(f"Settlement {settlement_id} was not found for this shop.")
    one = found[0]
    gross, refunds = await _moves(session, currency_id, merchant_account_id, one)
    account = await _account(session, currency_id, merchant_id, secret)
    return Statement(one, gross, refunds, one.amount - (gross - refunds), account)


async def _moves(
    session: AsyncSession, currency_id: int, account_id: int, one: Settlement
) -> tuple[int, int]:
    row = (
        await session.execute(
            _MOVES,
            {"c": currency_id, "account": account_id, "since": _midnight(one.period_start),
             "until": _midnight(one.period_end + timedelta(days=1))},
        )
    ).one()  # fmt: skip
    return int(row.gross), int(row.refunds)


async def _account(
    session: AsyncSession, currency_id: int, merchant_id: int, secret: bytes
) -> str | None:
    try:
        opened = await bank.get_account(
            session, currency_id=currency_id, merchant_id=merchant_id, secret=secret
        )
    except NotFound:
        return None
    except bank.BankAccountUnreadable:
        return "unreadable: please ask the city office"
    kind = {1: "普通", 2: "当座", 4: "貯蓄"}.get(int(opened.account_type), "その他")
    return f"{opened.bank_name_kana} {opened.branch_code} {kind} {opened.masked_number}"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), JAPAN)
