"""Sealing small values at rest (bank accounts, TOTP secrets) with AES-256-GCM.

Each use derives its own key from ``Settings.secret_key`` with HKDF-SHA256 and an
``info`` label (``b"meguri/bank-account/v1"``, ``b"meguri/totp/v1"``), so a value sealed
for one purpose never opens as another. Each value gets a fresh random 96-bit nonce and
is bound by associated data to where it is stored (currency, row, field): a sealed value
copied into another row or column does not open.

The sealed bytes are ``nonce ‖ ciphertext ‖ tag``. ``KEY_ID`` names the derivation, so a
later version can be introduced and old rows re-sealed.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from currency.errors import StoredDataUnreadable

KEY_ID = "hkdf-sha256/v1"
NONCE_BYTES = 12  # 96 bits, the size GCM is made for


def derive_key(secret: bytes, *, info: bytes) -> bytes:
    """The 256-bit key for one purpose (``info``), derived from the service secret."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(secret)


def bound_to(**where: object) -> bytes:
    """Associated data naming where a value lives: ``bound_to(currency=1, user=12)``."""
    return ";".join(f"{name}={value}" for name, value in where.items()).encode()


def seal(secret: bytes, plain: bytes, *, info: bytes, aad: bytes) -> bytes:
    """``nonce ‖ ciphertext ‖ tag`` of ``plain``, bound to ``aad``."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(derive_key(secret, info=info)).encrypt(nonce, plain, aad)


def open_sealed(secret: bytes, sealed: bytes, *, info: bytes, aad: bytes) -> bytes:
    """The plain bytes; StoredDataUnreadable when altered, moved or sealed with another key."""
    cipher = AESGCM(derive_key(secret, info=info))
    try:
        return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):  # ValueError: too short to hold a nonce
        raise StoredDataUnreadable(
            "A sealed value does not open: it was altered, copied from another record or "
            "sealed with another key."
        ) from None
