"""The keys that sign and verify access tokens (Ed25519, EdDSA).

One private key signs (``Settings.jwt_private_key_pem``). Verification uses a key ring:
the current public key and those of retired keys (``Settings.jwt_previous_public_key_files``),
so tokens signed just before a rotation keep working until they expire (ten minutes).

Each key is named by its ``kid``: the first 16 hex characters of the SHA-256 of the raw
public key. The ``kid`` is derived, never configured, so it cannot drift from the key.

Rotating: generate a new key, point ``MEGURI_JWT_PRIVATE_KEY_FILE`` at it, add the old
key's public PEM to ``MEGURI_JWT_PREVIOUS_PUBLIC_KEY_FILES``, restart; remove the old
public key once the access-token lifetime has passed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from currency.settings import ConfigurationError, Settings

KID_HEX_CHARS = 16


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


@dataclass(frozen=True)
class KeyRing:
    """Public keys that verify tokens, by ``kid``."""

    keys: Mapping[str, Ed25519PublicKey]

    def get(self, kid: object) -> Ed25519PublicKey | None:
        return self.keys.get(kid) if isinstance(kid, str) else None


def kid_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:KID_HEX_CHARS]


def signing_key_from_pem(pem: bytes) -> SigningKey:
    """The signing key in a PKCS#8 PEM (text before the PEM block, as in dev keys, is fine)."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise ConfigurationError(f"The JWT signing key cannot be read: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("The JWT signing key must be an Ed25519 key (EdDSA).")
    return SigningKey(kid_of(key.public_key()), key)


def public_key_from_pem(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key; a private key's PEM is accepted too (its public half is used)."""
    try:
        if b"PRIVATE KEY" in pem:
            return signing_key_from_pem(pem).public_key
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as error:
        raise ConfigurationError(f"A JWT verification key cannot be read: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError("JWT verification keys must be Ed25519 keys (EdDSA).")
    return key


def key_ring(current: SigningKey, previous: Iterable[Ed25519PublicKey] = ()) -> KeyRing:
    keys = {kid_of(key): key for key in previous}
    keys[current.kid] = current.public_key
    return KeyRing(keys)


def from_settings(settings: Settings) -> tuple[SigningKey, KeyRing]:
    """The signing key and the ring of verifying keys; read once at start-up."""
    current = signing_key_from_pem(settings.jwt_private_key_pem)
    previous = [public_key_from_pem(p.read_bytes()) for p in settings.jwt_previous_public_key_files]
    return current, key_ring(current, previous)
