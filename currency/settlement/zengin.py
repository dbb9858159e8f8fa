"""Merchant payouts as a 全銀協 総合振込 file: a pure writer and reader, no database.

The file is fixed-length records of 120 bytes in CP932 (Shift_JIS): one header
(データ区分 1), one data record (2) per payee, one trailer (8) with the count and the
total, and one end record (9). Numbers are right-aligned and zero-padded, text is
left-aligned and space-padded. Each record is followed by CR LF (122 bytes a line),
which the format allows and banks' upload screens expect; ``line_break=False`` writes
the bare 120-byte records instead.

Everything a bank would refuse is refused here first, with a :class:`PayoutFileError`
naming the payee and the field. Names go through :mod:`currency.settlement.kana` and
are cut to the width of their field: that is what banks do with a long account name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import IntEnum

from currency.settlement import kana

RECORD_BYTES = 120
ENCODING = "cp932"
MAX_AMOUNT = 9_999_999_999  # 振込金額 N10
MAX_COUNT = 999_999  # 合計件数 N6
MAX_TOTAL = 999_999_999_999  # 合計金額 N12

# (name, "N" for a number or "C" for text, width in bytes), in file order.
Layout = tuple[tuple[str, str, int], ...]
HEADER: Layout = (
    ("data_kind", "N", 1), ("kind_code", "N", 2), ("code_division", "N", 1),
    ("remitter_code", "N", 10), ("remitter_name", "C", 40), ("transfer_date", "N", 4),
    ("bank_code", "N", 4), ("bank_name", "C", 15), ("branch_code", "N", 3),
    ("branch_name", "C", 15), ("account_type", "N", 1), ("account_number", "N", 7),
    ("dummy", "C", 17),
)  # fmt: skip
DATA: Layout = (
    ("data_kind", "N", 1), ("bank_code", "N", 4), ("bank_name", "C", 15),
    ("branch_code", "N", 3), ("branch_name", "C", 15), ("clearing_house", "N", 4),
    ("account_type", "N", 1), ("account_number", "N", 7), ("name", "C", 30),
    ("amount", "N", 10), ("new_code", "N", 1), ("customer_code_1", "N", 10),
    ("customer_code_2", "N", 10), ("transfer_method", "N", 1), ("edi_flag", "C", 1),
    ("dummy", "C", 7),
)  # fmt: skip
TRAILER: Layout = (
    ("data_kind", "N", 1), ("count", "N", 6), ("total", "N", 12), ("dummy", "C", 101),
)  # fmt: skip
END: Layout = (("data_kind", "N", 1), ("dummy", "C", 119))
LAYOUTS: Mapping[str, Layout] = {"1": HEADER, "2": DATA, "8": TRAILER, "9": END}

GENERAL_TRANSFER = 21  # 種別コード: 総合振込
JIS = 0  # コード区分: JIS / Shift_JIS
TELEGRAPHIC = 7  # 振込指定区分: テレ振込 (the only kind banks still send)


class AccountType(IntEnum):
    """預金種目."""

    ORDINARY = 1  # 普通
    CURRENT = 2  # 当座
    SAVINGS = 4  # 貯蓄 (a payee's account only)
    OTHER = 9  # その他


REMITTER_ACCOUNT_TYPES = frozenset({AccountType.ORDINARY, AccountType.CURRENT, AccountType.OTHER})


class PayoutFileError(ValueError):
    """The payout cannot be written (or read) as a bank would accept it."""


@dataclass(frozen=True, slots=True)
class Remitter:
    """The city's side (振込依頼人): who pays, from which account."""

    code: str  # 委託者コード, 10 digits, given by the bank
    name_kana: str
    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: AccountType
    account_number: str


@dataclass(frozen=True, slots=True)
class Payee:
    """One merchant's payout (受取人): where the money goes, and how much in yen."""

    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: AccountType
    account_number: str
    name_kana: str
    amount: int
    customer_code: str = ""  # 顧客コード1, up to 10 digits, e.g. the merchant number


@dataclass(frozen=True, slots=True)
class Record:
    """One record read back: each field's text exactly as in the file, padding included."""

    data_kind: str
    fields: Mapping[str, str]

    def text(self, name: str) -> str:
        return self.fields[name].rstrip(" ")

    def number(self, name: str) -> int:
        value = self.fields[name]
        if not (value.isascii() and value.isdigit()):
            raise PayoutFileError(f"record {self.data_kind}: {name} is not a number: {value!r}")
        return int(value)


def write(
    remitter: Remitter, payees: Sequence[Payee], *, transfer_on: date, line_break: bool = True
) -> bytes:
    """The 総合振込 file paying ``payees`` from ``remitter``'s account on ``transfer_on``."""
    records = list(_records(normalized_remitter(remitter), _normalized_payees(payees), transfer_on))
    return b"".join(record + (b"\r\n" if line_break else b"") for record in records)


def normalized_remitter(remitter: Remitter) -> Remitter:
    """``remitter`` checked, with its names as they will be in the file."""
    who = "remitter"
    _digits(remitter.code, 10, who, "code")
    _account(remitter.account_type, REMITTER_ACCOUNT_TYPES, who)
    _bank(remitter, who)
    return replace(
        remitter,
        name_kana=_name(remitter.name_kana, 40, who, "name_kana", required=True),
        bank_name_kana=_name(remitter.bank_name_kana, 15, who, "bank_name_kana"),
        branch_name_kana=_name(remitter.branch_name_kana, 15, who, "branch_name_kana"),
    )


def normalized_payee(payee: Payee, *, number: int = 1) -> Payee:
    """``payee`` (the ``number``-th of the file) checked, with its names as in the file."""
    who = f"payee {number} ({payee.name_kana!r})"
    _account(payee.account_type, frozenset(AccountType), who)
    _bank(payee, who)
    _amount(payee.amount, who)
    if payee.customer_code:
        _digits(payee.customer_code, 10, who, "customer_code", exact=False)
    return replace(
        payee,
        name_kana=_name(payee.name_kana, 30, who, "name_kana", required=True),
        bank_name_kana=_name(payee.bank_name_kana, 15, who, "bank_name_kana"),
        branch_name_kana=_name(payee.branch_name_kana, 15, who, "branch_name_kana"),
    )


def parse(data: bytes) -> list[Record]:
    """The records of a 総合振込 file, with or without CR LF after each record."""
    return [_parse_record(raw, number) for number, raw in enumerate(_split(data), start=1)]


def check(records: Sequence[Record]) -> None:
    """Refuse a file whose records are out of order or whose trailer does not add up."""
    kinds = "".join(record.data_kind for record in records)
    if len(kinds) < 4 or kinds != "1" + "2" * (len(kinds) - 3) + "89":
        raise PayoutFileError(f"records must be 1, 2…, 8, 9; the file has {' '.join(kinds)}")
    data, trailer = records[1:-2], records[-2]
    if trailer.number("count") != len(data):
        raise PayoutFileError(f"trailer count {trailer.number('count')} but {len(data)} payees")
    total = sum(record.number("amount") for record in data)
    if trailer.number("total") != total:
        raise PayoutFileError(f"trailer total {trailer.number('total')} but payees add to {total}")


def _records(remitter: Remitter, payees: list[Payee], transfer_on: date) -> Iterator[bytes]:
    yield _record(HEADER, _header_values(remitter, transfer_on))
    for payee in payees:
        yield _record(DATA, _data_values(payee))
    yield _record(TRAILER, {"data_kind": 8, "count": len(payees), "total": _total(payees)})
    yield _record(END, {"data_kind": 9})


def _header_values(remitter: Remitter, transfer_on: date) -> dict[str, str | int]:
    return {
        "data_kind": 1, "kind_code": GENERAL_TRANSFER, "code_division": JIS,
        "remitter_code": remitter.code, "remitter_name": remitter.name_kana,
        "transfer_date": transfer_on.strftime("%m%d"),
        "bank_code": remitter.bank_code, "bank_name": remitter.bank_name_kana,
        "branch_code": remitter.branch_code, "branch_name": remitter.branch_name_kana,
        "account_type": remitter.account_type, "account_number": remitter.account_number,
    }  # fmt: skip


def _data_values(payee: Payee) -> dict[str, str | int]:
    return {
        "data_kind": 2, "bank_code": payee.bank_code, "bank_name": payee.bank_name_kana,
        "branch_code": payee.branch_code, "branch_name": payee.branch_name_kana,
        "account_type": payee.account_type, "account_number": payee.account_number,
        "name": payee.name_kana, "amount": payee.amount,
        "customer_code_1": payee.customer_code or 0, "transfer_method": TELEGRAPHIC,
    }  # fmt: skip


def _record(layout: Layout, values: Mapping[str, str | int]) -> bytes:
    """Missing numbers are zeros and missing text is spaces (ダミー, unused codes)."""
    raw = b"".join(_field(values.get(name, ""), kind, width) for name, kind, width in layout)
    if len(raw) != RECORD_BYTES:  # the layouts and the checks above make this impossible
        raise AssertionError(f"a record of {len(raw)} bytes")
    return raw


def _field(value: str | int, kind: str, width: int) -> bytes:
    text = str(int(value or 0)).zfill(width) if kind == "N" else str(value).ljust(width)
    raw = text.encode(ENCODING)
    if len(raw) != width:
        raise AssertionError(f"{value!r} does not fit {width} bytes")
    return raw


def _normalized_payees(payees: Sequence[Payee]) -> list[Payee]:
    if not payees:
        raise PayoutFileError("a payout file needs at least one payee")
    if len(payees) > MAX_COUNT:
        raise PayoutFileError(f"{len(payees)} payees; a file holds at most {MAX_COUNT}")
    normalized = [normalized_payee(payee, number=n) for n, payee in enumerate(payees, start=1)]
    if _total(normalized) > MAX_TOTAL:
        raise PayoutFileError(f"total {_total(normalized)} yen exceeds {MAX_TOTAL}")
    return normalized


def _total(payees: Sequence[Payee]) -> int:
    return sum(payee.amount for payee in payees)


def _bank(account: Remitter | Payee, who: str) -> None:
    _digits(account.bank_code, 4, who, "bank_code")
    _digits(account.branch_code, 3, who, "branch_code")
    _digits(account.account_number, 7, who, "account_number")


def _digits(value: str, width: int, who: str, field: str, *, exact: bool = True) -> None:
    digits = isinstance(value, str) and value.isascii() and value.isdigit()
    if not digits or len(value) > width or (exact and len(value) != width):
        size = f"{width} digits" if exact else f"1 to {width} digits"
        raise PayoutFileError(f"{who}: {field} must be {size}, got {value!r}")


def _account(value: AccountType, allowed: frozenset[AccountType], who: str) -> None:
    if value not in allowed or isinstance(value, bool):
        codes = ", ".join(f"{int(t)} ({t.name.lower()})" for t in sorted(allowed))
        raise PayoutFileError(f"{who}: account_type must be one of {codes}, got {value!r}")


def _amount(value: int, who: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_AMOUNT:
        raise PayoutFileError(f"{who}: amount must be 1 to {MAX_AMOUNT} yen, got {value!r}")


def _name(value: str, width: int, who: str, field: str, *, required: bool = False) -> str:
    try:
        converted = kana.to_bank_kana(value).strip(" ")
    except kana.NotKana as error:
        raise PayoutFileError(f"{who}: {field}: {error}") from error
    if required and not converted:
        raise PayoutFileError(f"{who}: {field} is empty")
    return converted[:width]  # every character of the set is one byte in CP932


def _split(data: bytes) -> list[bytes]:
    data = data.removesuffix(b"\x1a")  # an end-of-file mark some bank software adds
    if b"\r\n" in data:
        return data.removesuffix(b"\r\n").split(b"\r\n")
    return [data[start : start + RECORD_BYTES] for start in range(0, len(data), RECORD_BYTES)]


def _parse_record(raw: bytes, number: int) -> Record:
    if len(raw) != RECORD_BYTES:
        raise PayoutFileError(f"record {number} is {len(raw)} bytes, not {RECORD_BYTES}")
    layout = LAYOUTS.get(chr(raw[0]))
    if layout is None:
        raise PayoutFileError(f"record {number} has an unknown データ区分 {raw[:1]!r}")
    fields: dict[str, str] = {}
    start = 0
    for name, _kind, width in layout:
        fields[name] = _decode(raw[start : start + width], number, name)
        start += width
    return Record(data_kind=fields["data_kind"], fields=fields)


def _decode(raw: bytes, number: int, name: str) -> str:
    try:
        return raw.decode(ENCODING)
    except UnicodeDecodeError as error:
        raise PayoutFileError(f"record {number}: {name} is not CP932 text: {raw!r}") from error
