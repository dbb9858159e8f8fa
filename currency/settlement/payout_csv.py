"""Merchant payouts as a CSV for people: the bank file's content, readable in Excel.

UTF-8 with a byte-order mark, so Excel shows the Japanese headers without asking
for an encoding; CR LF line ends; one row per merchant, then a total row with the
count and the sum. Amounts are whole yen, as integers.

Account numbers are written in full, not masked: the accountant checks each one
against the merchant's bank details before the transfer. Keep this file with the
bank file, under the same access rules. Codes keep their leading zeros in the file
("0001"); Excel drops them on screen when it opens a CSV directly (import the file
with the columns as text to see them).

The names are those of the bank file (half-width kana, cut to 30 bytes), so the
sheet matches what the bank will show. A cell that would start a spreadsheet
formula (= + - @) gets a leading apostrophe: merchant names come from outside.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from currency.settlement import zengin

HEADERS = (
    "加盟店名", "受取人名", "銀行コード", "銀行名", "支店コード", "支店名",
    "預金種目", "口座番号", "振込金額", "顧客コード", "振込指定日",
)  # fmt: skip
TOTAL_LABEL = "合計"
ACCOUNT_TYPE_LABELS = {
    zengin.AccountType.ORDINARY: "普通",
    zengin.AccountType.CURRENT: "当座",
    zengin.AccountType.SAVINGS: "貯蓄",
    zengin.AccountType.OTHER: "その他",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class PayoutLine:
    """One merchant's payout: its name as people know it, and the bank transfer."""

    merchant_name: str
    payee: zengin.Payee


def write(lines: Sequence[PayoutLine], *, transfer_on: date) -> bytes:
    """The CSV of a payout; each payee is checked as in the bank file (:mod:`zengin`)."""
    rows = [_row(line, n, transfer_on) for n, line in enumerate(lines, start=1)]
    total = sum(line.payee.amount for line in lines)
    return _csv([HEADERS, *rows, _total_row(len(rows), total)]).encode("utf-8-sig")


def _row(line: PayoutLine, number: int, transfer_on: date) -> list[str | int]:
    payee = zengin.normalized_payee(line.payee, number=number)
    return [
        line.merchant_name, payee.name_kana,
        payee.bank_code, payee.bank_name_kana, payee.branch_code, payee.branch_name_kana,
        ACCOUNT_TYPE_LABELS[zengin.AccountType(payee.account_type)], payee.account_number,
        payee.amount, payee.customer_code, transfer_on.isoformat(),
    ]  # fmt: skip


def _total_row(count: int, total: int) -> list[str | int]:
    row: list[str | int] = [""] * len(HEADERS)
    row[0], row[1], row[HEADERS.index("振込金額")] = TOTAL_LABEL, f"{count}件", total
    return row


def _csv(rows: Sequence[Sequence[str | int]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([_safe(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def _safe(cell: str | int) -> str | int:
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell
