"""The pure part of payment codes: what a QR holds, how it is read, how it is signed.

Every code is upper-case letters, digits and dots (QR's compact alphanumeric mode), read
forgivingly (surrounding blanks from a scanner, lower case from typing) but strictly
otherwise: a code that is not exactly one of ours is refused before anything is looked up.

- ``MGP1.<token>``: a resident's one-time code (CPM), 128 random bits in base32. Only the
  token's sha256 is stored, so a copy of the table cannot pay.
- ``MGR1.<id>.<nonce>.<mac>``: a shop's code for a fixed amount (dynamic MPM), signed
  over the currency, the request, its nonce and its amount.
- ``<base url>/m/<shop code>?s=<mac>``: a shop's printed code (static MPM), signed over
  the shop code alone, so the same poster keeps working whatever host serves it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

from currency.errors import InvalidCode

TOKEN_PREFIX = "MGP1"  # noqa: S105  (a marker, not a secret)
REQUEST_PREFIX = "MGR1"
TOKEN_BYTES = 16  # 128 bits
NONCE_BYTES = 10
REQUEST_MAC_BYTES = 10  # 80 bits: 16 base32 characters
SHOP_MAC_BYTES = 8  # 64 bits: 13 base32 characters, short enough for a small printed QR

ASK_CUSTOMER = "Ask the customer to show a new code."
ASK_SHOP = "Ask the shop to show a new code."
NOT_A_TOKEN = f"This is not a Meguri payment code of this city. {ASK_CUSTOMER}"
NOT_A_REQUEST = f"This is not a Meguri payment code of this city. {ASK_SHOP}"
NOT_A_SHOP = (
    "This shop QR code is not genuine (it may have been altered or covered by a sticker). "
    "Do not pay with it; please tell the shop staff."
)

_TOKEN = re.compile(r"MGP1\.([A-Z2-7]{26})", re.ASCII)
_REQUEST = re.compile(r"MGR1\.([1-9][0-9]{0,17})\.([A-Z2-7]{16})\.([A-Z2-7]{16})", re.ASCII)
_SHOP_MAC = re.compile(r"[A-Z2-7]{13}", re.ASCII)


@dataclass(frozen=True)
class RequestCode:
    request_id: int
    nonce: str
    mac: str


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def _scanned(text: object) -> str:
    """What a scanner or a keyboard sent, trimmed and in upper case; "" if it cannot be ours."""
    if not isinstance(text, str) or len(text) > 100 or not text.isascii():
        return ""
    return text.strip().upper()


# CPM: the resident's one-time token


def new_token() -> tuple[str, bytes]:
    """A fresh token's text (for the QR) and the hash to store."""
    raw = secrets.token_bytes(TOKEN_BYTES)
    return f"{TOKEN_PREFIX}.{b32(raw)}", token_hash(raw)


def token_hash(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()


def read_token(text: object) -> bytes:
    """The stored hash of a scanned token, or InvalidCode.

    The base32 text must be the canonical spelling of its bytes: the last character
    carries two spare bits, and a changed spare bit must not spell the same token."""
    found = _TOKEN.fullmatch(_scanned(text))
    if found is None:
        raise InvalidCode(NOT_A_TOKEN)
    raw = base64.b32decode(found[1] + "=" * 6)
    if b32(raw) != found[1]:
        raise InvalidCode(NOT_A_TOKEN)
    return token_hash(raw)


# Dynamic MPM: a shop's request for a fixed amount


def new_nonce() -> str:
    return b32(secrets.token_bytes(NONCE_BYTES))


def request_mac(
    secret: bytes, *, currency_id: int, request_id: int, nonce: str, amount: int
) -> str:
    message = f"meguri-payment-request|{currency_id}|{request_id}|{nonce}|{amount}"
    return _mac(secret, message, REQUEST_MAC_BYTES)


def request_text(
    secret: bytes, *, currency_id: int, request_id: int, nonce: str, amount: int
) -> str:
    mac = request_mac(
        secret, currency_id=currency_id, request_id=request_id, nonce=nonce, amount=amount
    )
    return f"{REQUEST_PREFIX}.{request_id}.{nonce}.{mac}"


def read_request(text: object) -> RequestCode:
    """The parts of a scanned request code; its MAC is checked against the stored amount."""
    found = _REQUEST.fullmatch(_scanned(text))
    if found is None:
        raise InvalidCode(NOT_A_REQUEST)
    return RequestCode(int(found[1]), found[2], found[3])


def check_request_mac(secret: bytes, code: RequestCode, *, currency_id: int, amount: int) -> None:
    """Constant time; a code of another currency or amount fails like a forged one."""
    expected = request_mac(
        secret, currency_id=currency_id, request_id=code.request_id, nonce=code.nonce,
        amount=amount,
    )  # fmt: skip
    if not hmac.compare_digest(expected, code.mac):
        raise InvalidCode(NOT_A_REQUEST)


# Static MPM: a shop's printed link


def shop_mac(secret: bytes, merchant_code: str) -> str:
    return _mac(secret, f"shop/{merchant_code}", SHOP_MAC_BYTES)


def shop_link(*, base_url: str, merchant_code: str, secret: bytes) -> str:
    """``<base_url>/m/<code>?s=<mac>``: what a shop's printed QR holds."""
    mac = shop_mac(secret, merchant_code)
    return f"{base_url.rstrip('/')}/m/{quote(merchant_code, safe='')}?s={mac}"


def check_shop_link(code: str, s: str, secret: bytes) -> None:
    """A link's shop code and MAC, as the landing page receives them; InvalidCode if altered."""
    if not secret:
        raise ValueError("the secret key must not be empty")
    mac = _scanned(s)
    if not code or not _SHOP_MAC.fullmatch(mac):
        raise InvalidCode(NOT_A_SHOP)
    if not hmac.compare_digest(shop_mac(secret, code), mac):
        raise InvalidCode(NOT_A_SHOP)


def read_shop_link(url: str) -> tuple[str, str]:
    """The shop code and MAC of a link scanned inside the wallet (not yet checked)."""
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    _, found, code = (parts.path if parts else "").rpartition("/m/")
    macs = parse_qs(parts.query).get("s", []) if parts else []
    if not found or not code or "/" in code or len(macs) != 1:
        raise InvalidCode(NOT_A_SHOP)
    return unquote(code), macs[0]


def _mac(secret: bytes, message: str, size: int) -> str:
    if not secret:
        raise ValueError("the secret key must not be empty")
    return b32(hmac.new(secret, message.encode(), hashlib.sha256).digest()[:size])
