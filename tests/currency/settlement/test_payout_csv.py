"""The payout CSV: what the accountant sees when opening it."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import pytest

from currency.settlement import payout_csv
from currency.settlement.payout_csv import PayoutLine
from currency.settlement.zengin import AccountType, Payee, PayoutFileError

TRANSFER_ON = date(2025, 3, 5)

FISH_SHOP = Payee(
    bank_code="0183",
    bank_name_kana="オオイタギンコウ",
    branch_code="201",
    branch_name_kana="サイキ",
    account_type=AccountType.ORDINARY,
    account_number="0012345",
    name_kana="カ)サイキセンギョテン",
    amount=128_500,
    customer_code="42",
)
BAKERY = Payee(
    bank_code="0190",
    bank_name_kana="ホウワギンコウ",
    branch_code="015",
    branch_name_kana="カマエ",
    account_type=AccountType.CURRENT,
    account_number="1111111",
    name_kana="パンヤサン ポッポ",
    amount=3_200,
)
LINES = [PayoutLine("株式会社佐伯鮮魚店", FISH_SHOP), PayoutLine("パン屋さん ぽっぽ", BAKERY)]


def rows(lines: list[PayoutLine] = LINES) -> list[list[str]]:
    data = payout_csv.write(lines, transfer_on=TRANSFER_ON)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_starts_with_the_byte_order_mark_excel_needs() -> None:
    assert payout_csv.write(LINES, transfer_on=TRANSFER_ON).startswith(b"\xef\xbb\xbf")


def test_has_japanese_headers_then_one_row_per_merchant_then_the_total() -> None:
    header, *merchants, total = rows()
    assert header == list(payout_csv.HEADERS)
    assert [row[0] for row in merchants] == ["株式会社佐伯鮮魚店", "パン屋さん ぽっぽ"]
    assert total[0] == "合計"


def test_a_merchant_row_shows_the_bank_details_in_full() -> None:
    fish_shop = dict(zip(payout_csv.HEADERS, rows()[1], strict=True))
    assert fish_shop == {
        "加盟店名": "株式会社佐伯鮮魚店",
        "受取人名": "ｶ)ｻｲｷｾﾝｷﾞﾖﾃﾝ",  # as in the bank file
        "銀行コード": "0183",
        "銀行名": "ｵｵｲﾀｷﾞﾝｺｳ",
        "支店コード": "201",
        "支店名": "ｻｲｷ",
        "預金種目": "普通",
        "口座番号": "0012345",  # not masked: the accountant checks it
        "振込金額": "128500",
        "顧客コード": "42",
        "振込指定日": "2025-03-05",
    }


def test_the_total_row_adds_the_amounts_and_counts_the_merchants() -> None:
    header, *merchants, total = rows()
    amount = header.index("振込金額")
    assert int(total[amount]) == sum(int(row[amount]) for row in merchants) == 131_700
    assert total[1] == "2件"


def test_a_merchant_name_that_looks_like_a_formula_is_not_run_by_excel() -> None:
    hostile = PayoutLine('=HYPERLINK("http://example.com","佐伯")', BAKERY)
    assert rows([hostile])[1][0] == "'" + hostile.merchant_name


def test_refuses_a_payee_the_bank_would_refuse() -> None:
    kanji = PayoutLine("佐伯鮮魚店", replace(FISH_SHOP, name_kana="佐伯鮮魚店"))
    with pytest.raises(PayoutFileError, match=r"payee 2 .*name_kana: '佐'"):
        payout_csv.write([LINES[1], kanji], transfer_on=TRANSFER_ON)
