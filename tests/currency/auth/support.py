"""Shared builders for the sign-in tests: keys, users with passwords, residents with PINs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from currency.auth import keys
from currency.auth.keys import KeyRing, SigningKey
from currency.ledger.models import currency
from currency.residents.models import resident
from currency.security import hash_secret
from currency.users.models import user
from tests.factories import Books, Resident

NOW = datetime(2026, 11, 26, 1, 2, 3, tzinfo=UTC)  # 10:02 in Saiki
SECRET = b"meguri-test-secret-0123456789abcdef"
PASSWORD = "kawa-no-nagare-2026"
PIN = "4827"
IP = "203.0.113.7"


def private_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def new_key() -> SigningKey:
    return keys.signing_key_from_pem(private_pem(Ed25519PrivateKey.generate()))


@cache
def the_key() -> SigningKey:
    """One signing key for the whole run (the service has one at a time too)."""
    return new_key()


def the_ring() -> KeyRing:
    return keys.key_ring(the_key())


@cache
def password_hash(password: str) -> str:
    return hash_secret(password)


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    principal: str


async def currency_code(books: Books) -> str:
    code = await books.session.scalar(
        sa.select(currency.c.code).where(currency.c.id == books.currency_id)
    )
    assert code is not None
    return str(code)


async def add_user(
    books: Books, *, role: str = "city_staff", password: str = PASSWORD, status: str = "active"
) -> Person:
    staff_id = await books.staff(role="city_staff")
    merchant_id = (await books.shop()).id if role.startswith("merchant_") else None
    await books.session.execute(
        sa.update(user)
        .where(user.c.currency_id == books.currency_id, user.c.id == staff_id)
        .values(
            role=role,
            merchant_id=merchant_id,
            password_hash=password_hash(password),
            status=status,
        )
    )
    name = await books.session.scalar(
        sa.select(user.c.username).where(
            user.c.currency_id == books.currency_id, user.c.id == staff_id
        )
    )
    assert name is not None
    return Person(staff_id, name, f"user:{staff_id}")


async def add_resident(books: Books, *, pin: str = PIN) -> Resident:
    return await books.resident(pin_hash=password_hash(pin))


async def resident_row(books: Books, resident_id: int) -> sa.RowMapping:
    query = sa.select(resident).where(
        resident.c.currency_id == books.currency_id, resident.c.id == resident_id
    )
    return (await books.session.execute(query)).mappings().one()


async def set_user(books: Books, user_id: int, **values: object) -> None:
    await books.session.execute(
        sa.update(user)
        .where(user.c.currency_id == books.currency_id, user.c.id == user_id)
        .values(**values)
    )
