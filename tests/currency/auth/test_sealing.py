"""Sealing small values at rest: opens only for the same purpose, place and key."""

from __future__ import annotations

import pytest

from currency import sealing
from currency.errors import StoredDataUnreadable

SECRET = b"meguri-test-secret-0123456789abcdef"
INFO = b"meguri/test/v1"
HERE = sealing.bound_to(currency=1, user=12, field="totp_secret")


def test_a_sealed_value_opens_where_it_was_sealed() -> None:
    sealed = sealing.seal(SECRET, b"JBSWY3DPEHPK3PXP", info=INFO, aad=HERE)
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert sealing.open_sealed(SECRET, sealed, info=INFO, aad=HERE) == b"JBSWY3DPEHPK3PXP"
    assert sealing.seal(SECRET, b"JBSWY3DPEHPK3PXP", info=INFO, aad=HERE) != sealed


@pytest.mark.parametrize(
    ("secret", "info", "aad"),
    [
        (b"another deployment's secret", INFO, HERE),
        (SECRET, b"meguri/bank-account/v1", HERE),
        (SECRET, INFO, sealing.bound_to(currency=1, user=13, field="totp_secret")),
    ],
)
def test_another_key_purpose_or_place_does_not_open(secret: bytes, info: bytes, aad: bytes) -> None:
    sealed = sealing.seal(SECRET, b"value", info=INFO, aad=HERE)
    with pytest.raises(StoredDataUnreadable, match="does not open"):
        sealing.open_sealed(secret, sealed, info=info, aad=aad)


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_damaged_bytes_do_not_open(damage: str) -> None:
    sealed = bytearray(sealing.seal(SECRET, b"value", info=INFO, aad=HERE))
    if damage == "flip":
        sealed[-1] ^= 1
    broken = {"flip": bytes(sealed), "truncate": bytes(sealed[:8]), "empty": b""}[damage]
    with pytest.raises(StoredDataUnreadable):
        sealing.open_sealed(SECRET, broken, info=INFO, aad=HERE)
