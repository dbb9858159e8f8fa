"""The 全銀協 総合振込 file: what the bank reads, byte by byte, and what it would refuse."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from currency.settlement import zengin
from currency.settlement.kana import NotKana, to_bank_kana
from currency.settlement.zengin import AccountType, Payee, PayoutFileError, Remitter

TRANSFER_ON = date(2025, 3, 5)

CITY = Remitter(
    code="1234567890",
    name_kana="サイキシ カイケイカンリシヤ",
    bank_code="0183",
    bank_name_kana="オオイタギンコウ",
    branch_code="201",
    branch_name_kana="サイキ",
    account_type=AccountType.ORDINARY,
    account_number="7654321",
)
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
    name_kana="ぱんやさん ぽっぽ",
    amount=3_200,
)
INN = Payee(
    bank_code="9900",
    bank_name_kana="ユウチヨギンコウ",
    branch_code="718",
    branch_name_kana="ナナイチハチ",
    account_type=AccountType.SAVINGS,
    account_number="9876543",
    name_kana="ﾂﾙﾐ ﾐﾝｼｭｸ",
    amount=9_999_999_999,
)
PAYEES = [FISH_SHOP, BAKERY, INN]


def payout(payees: list[Payee] = PAYEES, **options: Any) -> bytes:
    return zengin.write(CITY, payees, transfer_on=TRANSFER_ON, **options)


def lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    return data.removesuffix(b"\r\n").split(b"\r\n")


class TestWrite:
    def test_every_record_is_120_bytes_and_ends_with_crlf(self) -> None:
        data = payout()
        assert len(data) == 6 * 122
        assert [len(line) for line in lines(data)] == [120] * 6

    def test_records_are_header_one_data_per_payee_trailer_end(self) -> None:
        assert [line[:1] for line in lines(payout())] == [b"1", b"2", b"2", b"2", b"8", b"9"]

    def test_without_line_breaks_the_file_is_bare_records(self) -> None:
        data = payout(line_break=False)
        assert len(data) == 6 * 120
        assert b"\r" not in data and b"\n" not in data

    def test_the_header_holds_the_city_account_at_the_positions_banks_read(self) -> None:
        header = lines(payout())[0].decode("cp932")
        assert header[0:4] == "1210"  # データ区分, 種別コード 21 総合振込, コード区分 0
        assert header[4:14] == "1234567890"
        assert header[14:54] == "ｻｲｷｼ ｶｲｹｲｶﾝﾘｼﾔ".ljust(40)
        assert header[54:58] == "0305"  # 振込指定日 MMDD
        assert header[58:62] == "0183"
        assert header[62:77] == "ｵｵｲﾀｷﾞﾝｺｳ".ljust(15)
        assert header[77:80] == "201"
        assert header[80:95] == "ｻｲｷ".ljust(15)
        assert header[95:103] == "17654321"  # 預金種目 1 普通, 口座番号
        assert header[103:120] == " " * 17

    def test_a_data_record_holds_the_payee_at_the_positions_banks_read(self) -> None:
        record = lines(payout())[1].decode("cp932")
        assert record[0:5] == "20183"
        assert record[5:20] == "ｵｵｲﾀｷﾞﾝｺｳ".ljust(15)
        assert record[20:23] == "201"
        assert record[23:38] == "ｻｲｷ".ljust(15)
        assert record[38:42] == "0000"  # 手形交換所番号
        assert record[42:50] == "10012345"  # 預金種目 1 普通, 口座番号 with its zeros
        assert record[50:80] == "ｶ)ｻｲｷｾﾝｷﾞﾖﾃﾝ".ljust(30)
        assert record[80:90] == "0000128500"
        assert record[90:91] == "0"  # 新規コード
        assert record[91:111] == "0000000042" + "0" * 10  # 顧客コード1, 2
        assert record[111:120] == "7" + " " + " " * 7  # テレ振込, 識別表示, ダミー

    def test_savings_and_current_accounts_keep_their_codes(self) -> None:
        records = lines(payout())
        assert records[2][42:43] == b"2"
        assert records[3][42:43] == b"4"

    def test_the_trailer_counts_the_payees_and_adds_their_amounts(self) -> None:
        trailer = lines(payout())[4].decode("cp932")
        assert trailer[0:7] == "8000003"
        assert int(trailer[7:19]) == 128_500 + 3_200 + 9_999_999_999
        assert trailer[19:] == " " * 101

    def test_the_end_record_is_9_then_spaces(self) -> None:
        assert lines(payout())[5] == b"9" + b" " * 119

    def test_a_long_name_is_cut_to_30_bytes(self) -> None:
        long = replace(FISH_SHOP, name_kana="サイキシカマエチョウ" * 4)
        record = zengin.parse(payout([long]))[1]
        assert record.fields["name"] == "ｻｲｷｼｶﾏｴﾁﾖｳ" * 3  # 10 bytes each, the 4th is cut
        assert len(record.fields["name"].encode("cp932")) == 30
        assert zengin.normalized_payee(long).name_kana == record.fields["name"]

    def test_a_voiced_kana_takes_two_bytes_of_the_name(self) -> None:
        name = "ガ" * 20
        record = zengin.parse(payout([replace(FISH_SHOP, name_kana=name)]))[1]
        assert record.fields["name"] == "ｶﾞ" * 15

    def test_every_layout_adds_up_to_120_bytes(self) -> None:
        for layout in zengin.LAYOUTS.values():
            assert sum(width for _name, _kind, width in layout) == 120


class TestKana:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("ガ", "ｶﾞ"),
            ("パ", "ﾊﾟ"),
            ("ヴ", "ｳﾞ"),
            ("ッ", "ﾂ"),  # small kana are written large, as banks register names
            ("キャッシュ", "ｷﾔﾂｼﾕ"),
            ("ｷｬｯｼｭ", "ｷﾔﾂｼﾕ"),  # small half-width kana too
            ("ー", "-"),  # the long vowel: ｰ is not in the bank character set
            ("コーヒー", "ｺ-ﾋ-"),
            ("さいきしょうてん", "ｻｲｷｼﾖｳﾃﾝ"),
            ("ＡＢＣ　１２３", "ABC 123"),
            ("abc", "ABC"),
            ("ｶﾞﾝﾊﾞﾘ", "ｶﾞﾝﾊﾞﾘ"),  # already half-width: unchanged
            ("（カ）ミナミ．ショウジ／ー", "(ｶ)ﾐﾅﾐ.ｼﾖｳｼﾞ/-"),
            ("ヤマダ・タロウ", "ﾔﾏﾀﾞ.ﾀﾛｳ"),
            ("ヲ", "ｵ"),
        ],
    )
    def test_names_become_half_width_kana(self, given: str, expected: str) -> None:
        assert to_bank_kana(given) == expected

    @pytest.mark.parametrize("name", ["株式会社サイキ", "佐伯", "㈱サイキ", "Café", "ｻｲｷ\t", "🐟"])
    def test_anything_else_is_refused(self, name: str) -> None:
        with pytest.raises(NotKana, match="cannot be written in half-width katakana"):
            to_bank_kana(name)

    def test_a_kanji_company_name_is_refused_naming_the_payee_and_field(self) -> None:
        company = replace(BAKERY, name_kana="株式会社ポッポ")
        message = (
            re.escape("payee 2 ('株式会社ポッポ'): name_kana: '株'") + ".* give the name in kana"
        )
        with pytest.raises(PayoutFileError, match=message):
            payout([FISH_SHOP, company])


PAYEE_REFUSALS = [
    ("bank_code", "183", "bank_code must be 4 digits"),
    ("bank_code", "01A3", "bank_code must be 4 digits"),
    ("bank_code", "０１８３", "bank_code must be 4 digits"),
    ("branch_code", "20", "branch_code must be 3 digits"),
    ("branch_code", "2011", "branch_code must be 3 digits"),
    ("account_number", "123456", "account_number must be 7 digits"),
    ("account_number", "12345678", "account_number must be 7 digits"),
    ("account_number", "123-456", "account_number must be 7 digits"),
    ("account_type", 3, "account_type must be one of"),
    ("amount", 0, "amount must be 1 to 9999999999 yen"),
    ("amount", -500, "amount must be 1 to 9999999999 yen"),
    ("amount", 10_000_000_000, "amount must be 1 to 9999999999 yen"),
    ("amount", 1.5, "amount must be 1 to 9999999999 yen"),
    ("amount", True, "amount must be 1 to 9999999999 yen"),
    ("customer_code", "12345678901", "customer_code must be 1 to 10 digits"),
    ("customer_code", "M-42", "customer_code must be 1 to 10 digits"),
    ("name_kana", "佐伯パン", "name_kana: '佐'"),
    ("name_kana", "　 ", "name_kana is empty"),
    ("bank_name_kana", "大分銀行", "bank_name_kana: '大'"),
    ("branch_name_kana", "蒲江", "branch_name_kana: '蒲'"),
]


class TestRefusals:
    @pytest.mark.parametrize(("field", "value", "problem"), PAYEE_REFUSALS)
    def test_a_payee_the_bank_would_refuse(self, field: str, value: Any, problem: str) -> None:
        bad = replace(BAKERY, **{field: value})
        with pytest.raises(PayoutFileError, match=re.escape(problem)) as refusal:
            payout([FISH_SHOP, bad])
        assert str(refusal.value).startswith(f"payee 2 ({bad.name_kana!r}): ")

    @pytest.mark.parametrize(
        ("field", "value", "problem"),
        [
            ("code", "123456789", "code must be 10 digits"),
            ("account_type", AccountType.SAVINGS, "account_type must be one of 1 (ordinary)"),
            ("account_number", "765432", "account_number must be 7 digits"),
            ("name_kana", "佐伯市", "name_kana: '佐'"),
            ("name_kana", "", "name_kana is empty"),
        ],
    )
    def test_a_remitter_the_bank_would_refuse(self, field: str, value: Any, problem: str) -> None:
        with pytest.raises(PayoutFileError, match=re.escape(f"remitter: {problem}")):
            zengin.write(replace(CITY, **{field: value}), PAYEES, transfer_on=TRANSFER_ON)

    def test_a_file_without_payees(self) -> None:
        with pytest.raises(PayoutFileError, match="at least one payee"):
            payout([])

    def test_a_total_beyond_the_trailer_field(self) -> None:
        biggest = replace(FISH_SHOP, amount=zengin.MAX_AMOUNT)
        with pytest.raises(PayoutFileError, match="exceeds 999999999999"):
            payout([biggest] * 101)

    def test_more_payees_than_the_trailer_can_count(self) -> None:
        with pytest.raises(PayoutFileError, match="at most 999999"):
            payout([FISH_SHOP] * 1_000_000)


class TestParse:
    def test_reads_back_every_field(self) -> None:
        header, data, *_ = zengin.parse(payout())
        assert header.number("transfer_date") == 305
        assert header.text("remitter_name") == "ｻｲｷｼ ｶｲｹｲｶﾝﾘｼﾔ"
        assert data.text("name") == "ｶ)ｻｲｷｾﾝｷﾞﾖﾃﾝ"
        assert data.number("amount") == 128_500
        assert data.number("customer_code_1") == 42

    def test_reads_bare_records_and_an_end_of_file_mark(self) -> None:
        assert zengin.parse(payout(line_break=False) + b"\x1a") == zengin.parse(payout())

    def test_a_written_file_passes_the_check(self) -> None:
        zengin.check(zengin.parse(payout()))

    def test_refuses_a_record_of_the_wrong_length(self) -> None:
        with pytest.raises(PayoutFileError, match="record 2 is 119 bytes"):
            zengin.parse(payout().replace(b"0000128500", b"000128500"))

    def test_refuses_an_unknown_record_kind(self) -> None:
        with pytest.raises(PayoutFileError, match="unknown データ区分 b'5'"):
            zengin.parse(b"5" + payout()[1:])

    def test_the_check_catches_a_tampered_amount(self) -> None:
        tampered = zengin.parse(payout().replace(b"0000128500", b"0000928500"))
        with pytest.raises(PayoutFileError, match=r"trailer total \d+ but payees add to"):
            zengin.check(tampered)

    def test_the_check_catches_records_out_of_order(self) -> None:
        header, *data, trailer, end = zengin.parse(payout())
        with pytest.raises(PayoutFileError, match="records must be 1, 2…, 8, 9"):
            zengin.check([header, *data, end, trailer])


DIGITS = "0123456789"
NAME_CHARACTERS = "アイウガパッャーヴあいがぱっゃABCxyz０１２ｶﾞｯ -./()　"


@st.composite
def payees(draw: st.DrawFn) -> Payee:
    return Payee(
        bank_code=draw(st.text(DIGITS, min_size=4, max_size=4)),
        bank_name_kana=draw(st.text(NAME_CHARACTERS, max_size=20)),
        branch_code=draw(st.text(DIGITS, min_size=3, max_size=3)),
        branch_name_kana=draw(st.text(NAME_CHARACTERS, max_size=20)),
        account_type=draw(st.sampled_from(AccountType)),
        account_number=draw(st.text(DIGITS, min_size=7, max_size=7)),
        name_kana=draw(st.text(NAME_CHARACTERS, min_size=1, max_size=40).filter(_not_blank)),
        amount=draw(st.integers(min_value=1, max_value=zengin.MAX_AMOUNT)),
        customer_code=draw(st.text(DIGITS, max_size=10)),
    )


def _not_blank(name: str) -> bool:
    return bool(to_bank_kana(name).strip())


@given(st.lists(payees(), min_size=1, max_size=20), st.booleans())
def test_any_valid_payout_round_trips_with_its_totals(payout: list[Payee], crlf: bool) -> None:
    data = zengin.write(CITY, payout, transfer_on=TRANSFER_ON, line_break=crlf)
    records = zengin.parse(data)
    zengin.check(records)
    assert len(data) == len(records) * (122 if crlf else 120)
    for record, payee in zip(records[1:-2], payout, strict=True):
        expected = zengin.normalized_payee(payee)
        assert record.fields["name"] == expected.name_kana.ljust(30)
        assert record.fields["bank_name"] == expected.bank_name_kana.ljust(15)
        assert record.fields["account_number"] == payee.account_number
        assert record.number("account_type") == payee.account_type
        assert record.number("amount") == payee.amount
    assert records[-2].number("total") == sum(payee.amount for payee in payout)
    assert records[-2].number("count") == len(payout)
