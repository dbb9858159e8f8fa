"""Sign-in over HTTP: tokens, refresh, sign-out, refusals as problem+json."""

from __future__ import annotations

from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.currency.auth.support import PASSWORD, PIN, add_resident, add_user, currency_code
from tests.factories import Books

PROBLEM = "application/problem+json"


async def open_books(session: AsyncSession, settings: Settings) -> Books:
    books = await Books.open(session)
    settings.currency_code = await currency_code(books)
    return books


class TestSignIn:
    async def test_staff_sign_in_gives_a_token_pair_that_opens_nothing_resident_only(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_user(books)
        r = await client.post(
            "/v1/auth/login", json={"username": person.username, "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 600
        assert body["role"] == "staff"
        wallet = await client.get(
            "/v1/me/wallet", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert wallet.status_code == 403
        assert wallet.headers["content-type"] == PROBLEM

    async def test_a_wrong_password_is_a_plain_401_and_counts(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_user(books)
        for _ in range(5):
            r = await client.post(
                "/v1/auth/login", json={"username": person.username, "password": "nope"}
            )
            assert r.status_code == 401
            assert r.headers["content-type"] == PROBLEM
            assert r.json()["detail"] == "The username or password is not right."
        r = await client.post(
            "/v1/auth/login", json={"username": person.username, "password": PASSWORD}
        )
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0

    async def test_a_resident_sees_the_wallet_with_lots_and_restrictions(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_resident(books)
        await books.charge(person.wallet, 1_000, days=30)
        await books.grant(person.wallet, 200, days=10, districts=frozenset({"蒲江"}))
        r = await client.post(
            "/v1/auth/resident", json={"resident_number": person.number, "pin": PIN}
        )
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        wallet = await client.get("/v1/me/wallet", headers={"Authorization": f"Bearer {token}"})
        assert wallet.status_code == 200, wallet.text
        body = wallet.json()
        assert body["balance"] == 1_200
        assert body["spendable"] == {"coin": 1_000, "point": 200}
        first = body["lots"][0]  # soonest to expire first, as a payment spends them
        assert (first["kind"], first["amount"], first["allowed_districts"]) == (
            "point",
            200,
            ["蒲江"],
        )
        assert first["expires_on"] == (books.today + timedelta(days=10)).isoformat()

    async def test_refresh_rotates_and_a_reused_token_ends_the_sign_in(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_user(books)
        first = (
            await client.post(
                "/v1/auth/login", json={"username": person.username, "password": PASSWORD}
            )
        ).json()
        second = await client.post(
            "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert second.status_code == 200
        again = await client.post(
            "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert again.status_code == 401
        newest = await client.post(
            "/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}
        )
        assert newest.status_code == 401, "the whole family is revoked"

    @pytest.mark.parametrize(
        "header",
        ["", "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer a.b.c"],
    )
    async def test_no_or_a_bad_token_is_401_with_a_bearer_challenge(
        self, client: AsyncClient, header: str
    ) -> None:
        r = await client.get("/v1/me/wallet", headers={"Authorization": header} if header else {})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.headers["content-type"] == PROBLEM

    async def test_unknown_fields_and_missing_fields_are_422_naming_the_field(
        self, client: AsyncClient
    ) -> None:
        r = await client.post("/v1/auth/login", json={"username": "x"})
        assert r.status_code == 422
        assert any(e["loc"][-1] == "password" for e in r.json()["errors"])
        r = await client.post(
            "/v1/auth/login", json={"username": "x", "password": "y", "role": "city_admin"}
        )
        assert r.status_code == 422
