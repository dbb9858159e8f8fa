"""The payout files of a settled period: the 全銀 総合振込 file for the bank, and the same
transfers as a CSV for the people who check it (:mod:`payout_csv`).

Both list the period's settlements with a payout above zero, in merchant order, each to
the bank account on file, with the merchant's number as 顧客コード1. A bank file must
never quietly leave out someone who is owed money: if any of them has no bank account on
file, or one that does not open, no file is written and the error names every such
merchant, so staff can enter the accounts and write the files again. Zero settlements
are on the city's statement but not in the files (a bank refuses a transfer of 0 yen).

The transfer date is the settlements' payout date (the latest, should they differ)
unless one is given. The same settlements give the same bytes: writing the files again
is safe, and the files of a period can be compared with what was sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import InvalidOperation, NotFound
from currency.settings import Settings
from currency.settlement import bank, payout_csv, zengin
from currency.settlement import service as settlements
from currency.settlement.payout_csv import PayoutLine
from currency.settlement.repository import Settlement

FileKind = Literal["zengin", "csv"]


class PayoutBlocked(InvalidOperation, zengin.PayoutFileError):
    """Merchants owed money cannot be paid: no file is written until they can."""

    def __init__(self, period_end: date, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            f"No payout file was written for the period ending {period_end}: "
            f"{len(problems)} merchant(s) owed money cannot be paid: {'; '.join(problems)}. "
            "Enter their bank accounts, then write the files again."
        )


class NothingToPay(InvalidOperation, zengin.PayoutFileError):
    """No merchant is owed anything for the period, so there is no bank file to write."""


def remitter(settings: Settings) -> zengin.Remitter:
    """The city's account the transfers are paid from (``MEGURI_PAYOUT_*``)."""
    return zengin.Remitter(
        code=settings.payout_remitter_code,
        name_kana=settings.payout_remitter_name_kana,
        bank_code=settings.payout_bank_code,
        bank_name_kana=settings.payout_bank_name_kana,
        branch_code=settings.payout_branch_code,
        branch_name_kana=settings.payout_branch_name_kana,
        account_type=zengin.AccountType(settings.payout_account_type),
        account_number=settings.payout_account_number,
    )


async def payout_files(
    session: AsyncSession,
    *,
    currency_id: int,
    period_end: date,
    settings: Settings,
    transfer_on: date | None = None,
) -> tuple[bytes, bytes]:
    """The 全銀 file and the CSV (UTF-8 with BOM) paying the period's settlements."""
    owed = await _owed(session, currency_id, period_end)
    lines = await payout_lines(
        session, currency_id=currency_id, owed=owed, period_end=period_end,
        secret=settings.secret_key,
    )  # fmt: skip
    on = transfer_on or max(s.payout_on for s in owed)
    bank_file = zengin.write(remitter(settings), [line.payee for line in lines], transfer_on=on)
    return bank_file, payout_csv.write(lines, transfer_on=on)


async def download(
    session: AsyncSession,
    *,
    currency_id: int,
    period_end: date,
    settings: Settings,
    kind: FileKind,
    actor: str,
) -> bytes:
    """One of the period's payout files, for a person to take away: recorded in the audit
    log (who, which file, its SHA-256), since it holds every payee's bank account."""
    bank_file, sheet = await payout_files(
        session, currency_id=currency_id, period_end=period_end, settings=settings
    )
    data = bank_file if kind == "zengin" else sheet
    await audit.record(
        session, currency_id=currency_id, actor=actor, action="settlement.file.download",
        target=f"settlement-period:{period_end.isoformat()}",
        after={"file": kind, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()},
    )  # fmt: skip
    return data


async def payout_lines(
    session: AsyncSession,
    *,
    currency_id: int,
    owed: Sequence[Settlement],
    period_end: date,
    secret: bytes,
) -> list[PayoutLine]:
    """One line per settlement, to its merchant's bank account; refused if any is missing."""
    lines: list[PayoutLine] = []
    problems: list[str] = []
    for settled in owed:
        who = f"{settled.merchant_code} {settled.merchant_name}"
        try:
            account = await bank.get_account(
                session, currency_id=currency_id, merchant_id=settled.merchant_id, secret=secret
            )
        except NotFound:
            problems.append(f"{who} has no bank account on file")
            continue
        except bank.BankAccountUnreadable:
            problems.append(f"{who}: the bank account on file does not open")
            continue
        payee = account.payee(amount=settled.payout, customer_code=str(settled.merchant_id))
        lines.append(PayoutLine(merchant_name=settled.merchant_name, payee=payee))
    if problems:
        raise PayoutBlocked(period_end, problems)
    return lines


async def _owed(session: AsyncSession, currency_id: int, period_end: date) -> list[Settlement]:
    found = await settlements.for_period(session, currency_id=currency_id, period_end=period_end)
    if not found:
        raise NothingToPay(f"The period ending {period_end} has not been settled yet.")
    owed = [s for s in found if s.payout > 0]
    if not owed:
        raise NothingToPay(
            f"No merchant is owed anything for the period ending {period_end}; "
            "there is no bank file to write."
        )
    return owed
