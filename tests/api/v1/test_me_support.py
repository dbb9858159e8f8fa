"""Shared by the resident API tests (no tests here): a town with a signed-in resident."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.currency.auth.support import PASSWORD, PIN, add_resident, add_user, currency_code
from tests.factories import Books, Resident

PROBLEM = "application/problem+json"
TYPES = "https://meguri.example/problems/"
BAD_AMOUNTS: list[Any] = ["100", 1.5, 0, -1, 10_000_001, True, None]
_keys = itertools.count(1)


def new_key() -> str:
    return f"me-test-{next(_keys)}"


@dataclass
class Town:
    """A fresh currency and the HTTP client of one signed-in resident."""

    books: Books
    client: AsyncClient
    person: Resident
    headers: dict[str, str]

    async def get(self, path: str, **params: Any) -> Response:
        return await self.client.get(path, headers=self.headers, params=params)

    async def post(self, path: str, body: Any = None, *, key: str | None = None) -> Response:
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(path, json=body, headers=headers)

    async def another(self) -> Town:
        """A second resident of the same town, signed in on the same client."""
        person = await add_resident(self.books)
        return Town(self.books, self.client, person, await resident_headers(self.client, person))

    async def balance(self) -> int:
        return await self.books.balance(self.person.wallet)


async def resident_headers(client: AsyncClient, person: Resident) -> dict[str, str]:
    r = await client.post("/v1/auth/resident", json={"resident_number": person.number, "pin": PIN})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def staff_headers(client: AsyncClient, books: Books) -> dict[str, str]:
    person = await add_user(books, role="city_staff")
    body = {"username": person.username, "password": PASSWORD}
    r = await client.post("/v1/auth/login", json=body)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def open_town(client: AsyncClient, session: AsyncSession, settings: Settings) -> Town:
    books = await Books.open(session)
    settings.currency_code = await currency_code(books)
    person = await add_resident(books)
    return Town(books, client, person, await resident_headers(client, person))


def refused(r: Response, status: int, slug: str) -> dict[str, Any]:
    """The problem+json body of a refusal with this status and type."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["type"] == TYPES + slug, body
    return body
