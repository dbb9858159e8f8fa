"""Builders shared by the shop API tests (this module holds no tests): a shop with a
signed-in owner or clerk, residents with money, their one-time codes and cards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.merchants.models import merchant
from currency.payments import codes
from currency.residents import cards
from currency.settings import Settings
from currency.users.models import user
from tests.api.v1.world import sign_in_user as sign_in
from tests.currency.auth.support import PIN, add_resident, add_user, currency_code
from tests.factories import Books, Resident

PROBLEM = "application/problem+json"
PROBLEMS = "https://meguri.example/problems/"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or str(uuid.uuid4())}


def problem(r: Response, status: int, slug: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, object] = r.json()
    assert body["type"] == PROBLEMS + slug, body
    return body


@dataclass
class Till:
    """A shop of the test currency with one signed-in user of it."""

    client: AsyncClient
    books: Books
    settings: Settings
    headers: dict[str, str]
    merchant_id: int
    account_id: int

    async def customer(self, coins: int = 5_000, points: int = 0) -> Resident:
        person = await add_resident(self.books)
        if coins:
            await self.books.charge(person.wallet, coins)
        if points:
            await self.books.grant(person.wallet, points)
        return person

    async def token(self, person: Resident, now: datetime | None = None) -> str:
        issued = await codes.issue_payment_token(
            self.books.session, currency_id=self.books.currency_id,
            wallet_account_id=person.wallet, now=now or datetime.now(UTC),
        )  # fmt: skip
        return issued.text

    async def card(self, person: Resident) -> str:
        """A card for the resident, with the PIN ``PIN``; returns what its QR holds."""
        staff = await self.books.staff()
        issued = await cards.issue_card(
            self.books.session, currency_id=self.books.currency_id,
            resident_number=person.number, staff_id=staff, secret=self.settings.secret_key,
        )  # fmt: skip
        await cards.set_pin(
            self.books.session, currency_id=self.books.currency_id,
            resident_number=person.number, pin=PIN, staff_id=staff,
        )  # fmt: skip
        return issued.qr

    async def pay(self, body: dict[str, object], key: str | None = None) -> Response:
        return await self.client.post(
            "/v1/merchant/payments", json=body, headers=keyed(self.headers, key)
        )

    async def paid(self, person: Resident, amount: int) -> int:
        """A payment by the resident's code; its operation id."""
        r = await self.pay({"payment_token": await self.token(person), "amount": amount})
        assert r.status_code == 201, r.text
        return int(r.json()["operation_id"])

    async def balance(self, account_id: int | None = None) -> int:
        return await self.books.balance(account_id or self.account_id)


async def open_till(
    client: AsyncClient,
    session: AsyncSession,
    settings: Settings,
    *,
    role: str = "merchant_owner",
    books: Books | None = None,
) -> Till:
    """A shop and its signed-in user (``books`` given: another shop of that currency)."""
    if books is None:
        books = await Books.open(session)
        settings.currency_code = await currency_code(books)
    person = await add_user(books, role=role)
    merchant_id = await session.scalar(
        sa.select(user.c.merchant_id).where(
            user.c.currency_id == books.currency_id, user.c.id == person.id
        )
    )
    assert merchant_id is not None
    account_id = await session.scalar(
        sa.select(merchant.c.account_id).where(
            merchant.c.currency_id == books.currency_id, merchant.c.id == merchant_id
        )
    )
    assert account_id is not None
    headers = await sign_in(client, person.username)
    return Till(client, books, settings, headers, merchant_id, account_id)


async def clerk_of(till: Till) -> dict[str, str]:
    """A signed-in clerk of the same shop."""
    person = await add_user(till.books, role="merchant_clerk")
    await till.books.session.execute(
        sa.update(user)
        .where(user.c.currency_id == till.books.currency_id, user.c.id == person.id)
        .values(merchant_id=till.merchant_id)
    )
    return await sign_in(till.client, person.username)


async def resident_headers(till: Till) -> dict[str, str]:
    person = await add_resident(till.books)
    r = await till.client.post(
        "/v1/auth/resident", json={"resident_number": person.number, "pin": PIN}
    )
    assert r.status_code == 200, r.text
    return bearer(r.json()["access_token"])


async def staff_headers(till: Till) -> dict[str, str]:
    return await sign_in(till.client, (await add_user(till.books, role="city_staff")).username)
