"""Property fuzzing of the parsers that read outside input: QR payloads and payment tokens,
card codes and PINs, the shop link MAC, grant spreadsheets, the provider webhook, and the
全銀 payout file read back.

Each parser, given anything at all, either answers or refuses with its module's documented
refusal (InvalidCode, InvalidOperation, GrantFileError, WebhookRefused, PayoutFileError) —
never another exception (a 500 at the till), never a hang (each call runs under a
per-call alarm). Where there is an encoder, what it writes reads back to the same thing.

``make test`` runs a few hundred examples per property; ``make fuzz`` sets
``PROOF_FUZZ_EXAMPLES`` (thousands) through ``proof.fuzz``.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from currency.charges import webhook
from currency.errors import InvalidCode, InvalidOperation
from currency.issuance import grant_csv
from currency.payments.codes import text as codes
from currency.residents import card_codes
from currency.settlement import zengin

EXAMPLES = int(os.environ.get("PROOF_FUZZ_EXAMPLES", "150"))
SECONDS_PER_CALL = 2.0
SECRET = b"proof-fuzz-secret-0123456789abcdef"
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="PROOF_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
T = TypeVar("T")
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

# What a scanner, a keyboard, a spreadsheet or an attacker may send.
scanned = st.one_of(
    st.text(max_size=120),
    st.text(alphabet="MGPRC1.234567ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0189 \n", max_size=60),
    st.builds(
        lambda p, t: p + t,
        st.sampled_from(["MGP1.", "MGR1.", "MGC1.", "mgp1."]),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567.0123456789", max_size=60),
    ),
)


class Hang(Exception):
    pass


@contextmanager
def no_hang() -> Iterator[None]:
    def alarm(*_: object) -> None:
        raise Hang(f"a call took longer than {SECONDS_PER_CALL} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_CALL)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def answers_or_refuses(call: Callable[[], T], *refusals: type[Exception]) -> T | None:
    """The call's answer, or None if it refused cleanly; anything else fails the test."""
    with no_hang():
        try:
            return call()
        except refusals:
            return None


# QR payment codes: the resident's one-time token (CPM) and the shop's request (MPM)


@fuzz
@given(scanned)
def test_a_scanned_payment_code_is_read_or_refused_as_not_a_payment_code(text: str) -> None:
    answers_or_refuses(lambda: codes.read_token(text), InvalidCode)
    answers_or_refuses(lambda: codes.read_request(text), InvalidCode)


@fuzz
@given(st.data())
def test_a_resident_code_reads_back_typed_in_any_case_but_not_with_a_changed_character(
    data: st.DataObject,
) -> None:
    token, stored = codes.new_token()
    assert codes.read_token(f" {token.lower()}\n") == stored
    i = data.draw(st.integers(5, len(token) - 1))
    shift = data.draw(st.integers(1, len(B32) - 1))
    changed = token[:i] + B32[(B32.index(token[i]) + shift) % len(B32)] + token[i + 1 :]
    assert answers_or_refuses(lambda: codes.read_token(changed), InvalidCode) != stored


@fuzz
@given(
    st.integers(1, 10**18 - 1), st.integers(1, 10**7), st.integers(1, 10**6), st.integers(1, 10**7)
)
def test_a_shop_code_for_an_amount_reads_back_and_refuses_another_amount(
    request_id: int, amount: int, currency_id: int, other_amount: int
) -> None:
    nonce = codes.new_nonce()
    written = codes.request_text(
        SECRET, currency_id=currency_id, request_id=request_id, nonce=nonce, amount=amount
    )
    read = codes.read_request(written)
    assert (read.request_id, read.nonce) == (request_id, nonce)
    codes.check_request_mac(SECRET, read, currency_id=currency_id, amount=amount)
    if other_amount != amount:
        with pytest.raises(InvalidCode):
            codes.check_request_mac(SECRET, read, currency_id=currency_id, amount=other_amount)


# The shop's printed link (static MPM): a sticker swapped or edited on the poster


@fuzz
@given(st.text(min_size=1, max_size=40), st.text(max_size=40))
def test_a_shop_link_reads_back_and_a_forged_mac_is_refused(code: str, forged: str) -> None:
    link = codes.shop_link(base_url="https://pay.example.jp/", merchant_code=code, secret=SECRET)
    read_code, mac = codes.read_shop_link(link)
    assert read_code == code
    codes.check_shop_link(read_code, mac, SECRET)
    if forged.strip().upper() != mac:
        with pytest.raises(InvalidCode):
            codes.check_shop_link(code, forged, SECRET)


@fuzz
@given(
    st.one_of(
        st.text(max_size=150),
        st.builds(lambda a, b: f"https://x/m/{a}?s={b}", st.text(), st.text()),
    )
)
def test_any_scanned_link_is_read_or_refused_as_not_a_shop(url: str) -> None:
    found = answers_or_refuses(lambda: codes.read_shop_link(url), InvalidCode)
    if found is not None:
        answers_or_refuses(lambda: codes.check_shop_link(*found, SECRET), InvalidCode)


@fuzz
@given(st.text(max_size=40), st.text(max_size=40))
def test_a_landing_page_link_with_any_code_and_mac_is_checked_or_refused(code: str, s: str) -> None:
    answers_or_refuses(lambda: codes.check_shop_link(code, s, SECRET), InvalidCode)


# Cards: the printed QR and the PIN typed at the till


@fuzz
@given(scanned)
def test_a_scanned_card_is_read_or_refused_as_not_a_card(text: str) -> None:
    read = answers_or_refuses(lambda: card_codes.parse_payload(text), InvalidCode)
    if read is not None:
        answers_or_refuses(
            lambda: card_codes.check_mac(read, secret=SECRET, currency_id=1), InvalidCode
        )


@fuzz
@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_a_card_reads_back_and_is_refused_by_another_city(currency_id: int, other: int) -> None:
    number = card_codes.new_card_number()
    read = card_codes.parse_payload(card_codes.qr_payload(SECRET, currency_id, number).lower())
    assert read.card_number == number
    card_codes.check_mac(read, secret=SECRET, currency_id=currency_id)
    if other != currency_id:
        with pytest.raises(InvalidCode):
            card_codes.check_mac(read, secret=SECRET, currency_id=other)


@fuzz
@given(st.text(max_size=12), st.one_of(st.none(), st.integers(0, 9999)))
def test_a_new_pin_is_four_plain_digits_or_refused_with_a_reason(
    pin: str, born: int | None
) -> None:
    kept = answers_or_refuses(
        lambda: card_codes.check_new_pin(pin, birth_year=born), InvalidOperation
    )
    if kept is not None:
        assert len(kept) == 4 and kept.isascii() and kept.isdigit()


# Volunteer point spreadsheets


@fuzz
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=2000).map(str.encode),
        st.text(max_size=1000).map(lambda t: t.encode("cp932", "ignore")),
    )
)
def test_any_uploaded_file_is_read_row_by_row_or_refused_as_a_whole(data: bytes) -> None:
    parsed = answers_or_refuses(
        lambda: grant_csv.parse(data, max_points=10_000), grant_csv.GrantFileError
    )
    for row in parsed.rows if parsed else []:
        assert (row.request is None) == bool(row.problems)


numbers = st.from_regex(r"[A-Z][0-9]{7}", fullmatch=True)
activities = st.text(
    alphabet=st.characters(codec="cp932", exclude_characters=',"\r\n¢£¬‖−〜'),
    min_size=1,
    max_size=12,
).filter(lambda t: t.strip() == t and t)
FULL_WIDTH = str.maketrans("0123456789,pt", "０１２３４５６７８９，ｐｔ")
grants = st.lists(
    st.tuples(
        numbers, activities, st.integers(1, 10_000), st.dates(date(2019, 5, 1), date(2030, 12, 31))
    ),
    min_size=1,
    max_size=30,
)


@fuzz
@given(grants, st.sampled_from(["utf-8", "utf-8-sig", "cp932"]), st.booleans())
def test_a_well_formed_spreadsheet_reads_back_every_grant(
    rows: list[tuple[str, str, int, date]], encoding: str, full_width: bool
) -> None:
    def points(p: int) -> str:
        return f'"{p:,}pt"'.translate(FULL_WIDTH) if full_width else f'"{p:,}pt"'

    lines = ["住民番号,活動,ポイント,活動日"]
    lines += [f"{n},{a},{points(p)},{d:%Y/%m/%d}" for n, a, p, d in rows]
    body = "\r\n".join(lines)
    try:
        data = body.encode(encoding)
    except UnicodeEncodeError:
        return
    parsed = answers_or_refuses(
        lambda: grant_csv.parse(data, max_points=10_000), grant_csv.GrantFileError
    )
    assert parsed is not None
    got = [
        (r.request.resident_number, r.request.points, r.request.on)
        for r in parsed.rows
        if r.request
    ]
    assert got == [(n, p, d) for n, _, p, d in rows]


# The payment provider's webhook


headers = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.builds(
        lambda t, v: f"t={t},v1={v}",
        st.integers(-10, 10**13),
        st.text(alphabet="0123456789abcdef", max_size=70),
    ),
)
bodies = st.one_of(
    st.binary(max_size=500),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=16), inner, max_size=6)
        ),
        max_leaves=20,
    ).map(lambda v: json.dumps(v).encode()),
)
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@fuzz
@given(bodies, headers)
def test_an_unsigned_or_forged_webhook_is_refused(body: bytes, header: str | None) -> None:
    answers_or_refuses(lambda: webhook.verify(body, header, [SECRET], NOW), webhook.WebhookRefused)


@fuzz
@given(bodies, st.integers(-400, 400))
def test_a_signed_webhook_is_read_or_refused_for_its_body_or_its_age(body: bytes, age: int) -> None:
    header = webhook.sign(body, SECRET, NOW - timedelta(seconds=age))
    event = answers_or_refuses(
        lambda: webhook.verify(body, header, [b"old", SECRET], NOW), webhook.WebhookRefused
    )
    if event is not None:
        assert abs(age) <= webhook.TOLERANCE.total_seconds() and 0 < event.yen <= webhook.MAX_YEN


# The 全銀 payout file read back (and the bank details staff type in)


kana = st.text(alphabet="ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉABCXYZ0123456789 ()-.", min_size=1, max_size=30)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.from_regex(rf"[0-9]{{{n}}}", fullmatch=True)


payees = st.builds(
    zengin.Payee,
    bank_code=digits(4),
    bank_name_kana=kana,
    branch_code=digits(3),
    branch_name_kana=kana,
    account_type=st.sampled_from(list(zengin.AccountType)),
    account_number=digits(7),
    name_kana=kana,
    amount=st.integers(1, 10**9),
)
REMITTER = zengin.Remitter(
    "1234567890", "ｻｲｷｼ", "0184", "ｵｵｲﾀ", "301", "ｻｲｷ", zengin.AccountType.ORDINARY, "1234567"
)


@fuzz
@given(st.lists(payees, min_size=1, max_size=20), st.booleans())
def test_a_payout_file_reads_back_with_every_amount(
    people: list[zengin.Payee], breaks: bool
) -> None:
    data = answers_or_refuses(
        lambda: zengin.write(REMITTER, people, transfer_on=date(2026, 11, 10), line_break=breaks),
        zengin.PayoutFileError,
    )
    if data is None:
        return
    records = zengin.parse(data)
    zengin.check(records)
    assert [r.number("amount") for r in records[1:-2]] == [p.amount for p in people]


@fuzz
@given(
    st.one_of(
        st.binary(max_size=600),
        st.lists(st.binary(min_size=120, max_size=120), max_size=5).map(b"\r\n".join),
    )
)
def test_any_file_claimed_to_be_a_payout_file_is_read_or_refused(data: bytes) -> None:
    records = answers_or_refuses(lambda: zengin.parse(data), zengin.PayoutFileError)
    if records is not None:
        answers_or_refuses(lambda: zengin.check(records), zengin.PayoutFileError)


@fuzz
@given(st.text(max_size=40), st.text(max_size=8), st.integers(-5, 10**11))
def test_bank_details_typed_by_staff_are_checked_or_refused_with_a_reason(
    name: str, branch: str, amount: int
) -> None:
    payee = zengin.Payee(
        "0001", "ﾐｽﾞﾎ", branch, "ﾎﾝﾃﾝ", zengin.AccountType.ORDINARY, "1234567", name, amount
    )
    answers_or_refuses(lambda: zengin.normalized_payee(payee), zengin.PayoutFileError)
