"""Hashing of passwords (staff, merchant users) and PINs (residents, cards) with argon2id.

Parameters follow OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane): about
30 ms per hash on these machines, so a burst of sign-ins cannot tie up a small server,
while an offline guess still costs real memory. The parameters are stored in each hash,
so raising them later only needs ``needs_rehash`` at the next successful sign-in.

A 4–6 digit PIN has at most a million values: no hash makes it strong offline. What
protects PINs is the lockout after repeated failures and keeping the hashes out of
reach; the hash only avoids storing them in the clear.

Hashing is CPU-bound (it holds a core for the whole hash): async callers that hash on
a request path may prefer ``await asyncio.to_thread(hash_secret, text)``.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(
    time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)


def hash_secret(text: str) -> str:
    """The argon2id hash of a password or PIN (salted: the same text hashes differently)."""
    return _hasher.hash(text)


def verify_secret(hashed: str | None, text: str) -> bool:
    """Whether ``text`` matches ``hashed``. False on a mismatch, a missing or a malformed hash.

    A missing hash (an unknown user, a resident without a PIN) costs the same argon2 work
    as a real check, so the time taken does not tell which accounts exist.
    """
    try:
        return _hasher.verify(hashed or _dummy_hash(), text) and bool(hashed)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    """True when ``hashed`` was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(hashed)
    except (InvalidHashError, ValueError):
        return True


@cache
def _dummy_hash() -> str:
    return _hasher.hash("meguri: no such user")
