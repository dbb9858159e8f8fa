"""Shared by the staff API tests: an office with signed-in people of every role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.currency.auth.support import PASSWORD, PIN, add_resident, add_user, currency_code
from tests.factories import Books

PROBLEM = "application/problem+json"
TYPES = "https://meguri.example/problems/"
USER_ROLES = {
    "staff": "city_staff",
    "admin": "city_admin",
    "auditor": "city_auditor",
    "shop": "merchant_owner",
}


@dataclass
class Office:
    """A fresh currency, and the city office's HTTP client."""

    books: Books
    client: AsyncClient
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    async def sign_in(self, role: str = "staff") -> dict[str, str]:
        """Bearer headers of a person with ``role`` (one person per role, made once)."""
        if role not in self.tokens:
            self.tokens[role] = await self._token(role)
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def _token(self, role: str) -> str:
        if role == "resident":
            person = await add_resident(self.books)
            body: dict[str, str] = {"resident_number": person.number, "pin": PIN}
            r = await self.client.post("/v1/auth/resident", json=body)
        else:
            user = await add_user(self.books, role=USER_ROLES[role])
            self.ids[role] = user.id
            body = {"username": user.username, "password": PASSWORD}
            r = await self.client.post("/v1/auth/login", json=body)
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    async def post(
        self, path: str, body: Any = None, *, role: str = "staff", key: str | None = None
    ) -> Response:
        headers = await self.sign_in(role)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(path, json=body, headers=headers)

    async def get(self, path: str, *, role: str = "staff", **params: Any) -> Response:
        return await self.client.get(path, headers=await self.sign_in(role), params=params)


async def open_office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    books = await Books.open(session)
    settings.currency_code = await currency_code(books)
    return Office(books, client)


def refused(r: Response, status: int, slug: str) -> dict[str, Any]:
    """The problem+json body of a refusal with this status and type."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["type"] == TYPES + slug, body
    return body
