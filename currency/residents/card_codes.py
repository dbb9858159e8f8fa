"""The pure part of cards: card numbers, the printed QR code, PIN rules, the shapes and
refusals cards.py returns. No database.

The QR holds ``MGC1.<card number>.<mac>``: digits, capitals and dots only, so it fits
QR's compact alphanumeric mode (a small code that prints well) and can be typed if a
camera fails. The card number has 16 digits, the last a Luhn check digit, so a mistyped
digit is caught before any lookup. The MAC (80 bits of HMAC-SHA256 over the currency and
the number, keyed by ``Settings.secret_key``) means only the city can make a card; it
cannot pay alone, the PIN is asked every time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from currency import errors
from currency.clock import JAPAN
from currency.errors import AccountUnavailable, InvalidCode, InvalidOperation

PREFIX = "MGC1"
MAX_PIN_FAILURES = 5  # wrong PINs in a row before the card is locked
MAC_BYTES = 10  # 80 bits: 16 base32 characters, no padding
NOT_A_CARD = "This is not a Meguri card of this city"
_PAYLOAD = re.compile(r"MGC1\.([0-9]{16})\.([A-Z2-7]{16})", re.ASCII)


@dataclass(frozen=True)
class IssuedCard:
    card_id: int
    card_number: str
    resident_id: int
    qr: str  # what the printed QR holds
    replaces_card_id: int | None = None

    @property
    def printed_number(self) -> str:
        return printed(self.card_number)


@dataclass(frozen=True)
class CardHolder:
    resident_id: int
    resident_number: str
    wallet_account_id: int
    card_number: str


class WrongPin(errors.WrongPin):
    """The PIN was wrong and the failure counted (commit it anyway: see cards.py): 422
    `wrong-pin`, the PIN pad is shown again (not 403: the person may do this)."""

    def __init__(self, tries_left: int) -> None:
        self.tries_left = tries_left
        tries = "try" if tries_left == 1 else "tries"
        super().__init__(
            f"The PIN is wrong. After {tries_left} more wrong {tries} the card will be locked."
        )


class PinLocked(AccountUnavailable):
    """Too many wrong PINs in a row: the city office unlocks the card by setting a new PIN."""


@dataclass(frozen=True)
class CardCode:
    card_number: str
    mac: str


def luhn_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def new_card_number() -> str:
    """15 random digits (never a leading zero, which spreadsheets drop) and a check digit."""
    body = str(10**14 + secrets.randbelow(9 * 10**14))
    return body + luhn_digit(body)


def printed(card_number: str) -> str:
    """The number as printed under the QR: four groups of four digits."""
    return " ".join(card_number[i : i + 4] for i in range(0, len(card_number), 4))


def card_mac(secret: bytes, currency_id: int, card_number: str) -> str:
    message = f"card/{currency_id}/{card_number}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.b32encode(digest[:MAC_BYTES]).decode()


def qr_payload(secret: bytes, currency_id: int, card_number: str) -> str:
    return f"{PREFIX}.{card_number}.{card_mac(secret, currency_id, card_number)}"


def parse_payload(qr: str) -> CardCode:
    """The card number and MAC of a scanned (or typed) code; InvalidCode otherwise.

    Surrounding blanks (a scanner's line end) and lower case (typed) are forgiven."""
    text = qr.strip() if isinstance(qr, str) else ""
    found = _PAYLOAD.fullmatch(text.upper()) if text.isascii() and len(text) < 64 else None
    if found is None:
        raise InvalidCode(f"{NOT_A_CARD}.")
    number, mac = found[1], found[2]
    if luhn_digit(number[:-1]) != number[-1]:
        raise InvalidCode(f"{NOT_A_CARD}: the card number has a typing mistake.")
    return CardCode(number, mac)


def check_mac(code: CardCode, *, secret: bytes, currency_id: int) -> None:
    """Constant time; a card of another currency fails like a forged one."""
    expected = card_mac(secret, currency_id, code.card_number)
    if not hmac.compare_digest(expected, code.mac):
        raise InvalidCode(f"{NOT_A_CARD}.")


def normal_pin(pin: str) -> str:
    """Full-width digits (typed with a Japanese keyboard) count as the plain ones."""
    return unicodedata.normalize("NFKC", pin).strip() if isinstance(pin, str) else ""


@dataclass(frozen=True)
class PinRule:
    """What a new PIN must look like, and the words that say why one is refused."""

    shape: re.Pattern[str]
    malformed: str
    same: str = "all the digits are the same"
    repeats: str = "it repeats a few digits (like 1212)"
    birth: str = "it contains the year of birth"

    def check(self, pin: str, *, birth_year: int | None) -> str:
        """The PIN to store, or InvalidOperation saying plainly what is wrong with it."""
        pin = normal_pin(pin)
        if not self.shape.fullmatch(pin):
            raise InvalidOperation(self.malformed)
        weakness = self.weakness(pin, birth_year=birth_year)
        if weakness:
            raise InvalidOperation(
                f"This PIN is too easy to guess: {weakness}. Choose other digits."
            )
        return pin

    def weakness(self, pin: str, *, birth_year: int | None) -> str | None:
        """Why a PIN of digits is too easy to guess (0000, 1234, 111111, 121212 …), or None."""
        steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
        if steps == {0}:
            return self.same
        if steps in ({1}, {9}):
            return "the digits run in order"
        if any(pin == pin[:n] * (len(pin) // n) for n in range(2, len(pin) // 2 + 1)):
            return self.repeats
        if birth_year is not None and f"{birth_year:04d}" in pin:
            return self.birth
        return None


CARD_PIN = PinRule(
    re.compile(r"[0-9]{4}", re.ASCII),
    "A PIN is exactly 4 digits.",
    same="all four digits are the same",
    repeats="it repeats two digits (like 1212)",
    birth="it is the resident's birth year",
)
check_new_pin = CARD_PIN.check
pin_weakness = CARD_PIN.weakness


def japan_date(at: datetime) -> str:
    """The day as the city sees it (for "this card was blocked on …")."""
    return at.astimezone(JAPAN).date().isoformat()


def required(text: str, missing: str) -> str:
    """A reason that must be given, trimmed; InvalidOperation(missing) when blank."""
    if not text or not text.strip():
        raise InvalidOperation(missing)
    return text.strip()
