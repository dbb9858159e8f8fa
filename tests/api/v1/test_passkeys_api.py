"""Passkeys over HTTP: register while signed in, sign in with it, list and remove."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.residents import service as residents
from currency.settings import Settings
from tests.api.v1.test_auth_api import open_books
from tests.api.v1.world import sign_in_resident
from tests.currency.auth.authenticator import SoftAuthenticator
from tests.currency.auth.support import add_resident
from tests.factories import Resident

PROBLEM = "application/problem+json"
PROBLEMS = "https://meguri.example/problems/"


async def signed_in(client: AsyncClient, who: Resident) -> dict[str, str]:
    return await sign_in_resident(client, who.number)


async def register(
    client: AsyncClient, auth: dict[str, str], device: SoftAuthenticator
) -> dict[str, Any]:
    options = await client.post("/v1/me/passkeys/options", headers=auth)
    assert options.status_code == 200, options.text
    r = await client.post(
        "/v1/me/passkeys",
        json={"credential": device.create(options.json()), "name": "iPhone"},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def passkey_answer(client: AsyncClient, device: SoftAuthenticator) -> dict[str, Any]:
    options = await client.post("/v1/auth/passkeys/sign-in/options")
    assert options.status_code == 200, options.text
    return device.get(options.json())


class TestPasskeys:
    async def test_a_resident_registers_a_passkey_and_signs_in_with_it_to_the_wallet(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        who, device = await add_resident(books), SoftAuthenticator()
        added = await register(client, await signed_in(client, who), device)
        assert added["name"] == "iPhone" and added["last_used_at"] is None
        r = await client.post(
            "/v1/auth/passkeys/sign-in",
            json={"credential": await passkey_answer(client, device)},
        )
        assert r.status_code == 200, r.text
        assert r.json()["role"] == "resident"
        wallet = await client.get(
            "/v1/me/wallet", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
        )
        assert wallet.status_code == 200

    async def test_a_replayed_sign_in_answer_is_401(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        who, device = await add_resident(books), SoftAuthenticator()
        await register(client, await signed_in(client, who), device)
        answer = {"credential": await passkey_answer(client, device)}
        assert (await client.post("/v1/auth/passkeys/sign-in", json=answer)).status_code == 200
        r = await client.post("/v1/auth/passkeys/sign-in", json=answer)
        assert r.status_code == 401 and r.headers["content-type"] == PROBLEM

    async def test_a_replayed_registration_answer_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        who = await add_resident(books)
        auth = await signed_in(client, who)
        options = (await client.post("/v1/me/passkeys/options", headers=auth)).json()
        body = {"credential": SoftAuthenticator().create(options)}
        assert (await client.post("/v1/me/passkeys", json=body, headers=auth)).status_code == 201
        r = await client.post("/v1/me/passkeys", json=body, headers=auth)
        assert r.status_code == 422 and r.json()["type"] == PROBLEMS + "invalid-operation"

    async def test_a_suspended_resident_cannot_sign_in_with_a_passkey(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        who, device = await add_resident(books), SoftAuthenticator()
        await register(client, await signed_in(client, who), device)
        await residents.set_status(
            session, currency_id=books.currency_id, resident_number=who.number,
            status="suspended", staff_id=await books.staff(), reason="reported stolen phone",
        )  # fmt: skip
        r = await client.post(
            "/v1/auth/passkeys/sign-in",
            json={"credential": await passkey_answer(client, device)},
        )
        assert r.status_code == 409 and r.json()["type"] == PROBLEMS + "account-unavailable"
        assert "access_token" not in r.text

    async def test_the_list_is_the_residents_own_and_another_residents_passkey_is_404(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        alice, bob = await add_resident(books), await add_resident(books)
        alice_auth, bob_auth = await signed_in(client, alice), await signed_in(client, bob)
        added = await register(client, alice_auth, SoftAuthenticator())
        assert (await client.get("/v1/me/passkeys", headers=bob_auth)).json() == []
        r = await client.delete(f"/v1/me/passkeys/{added['id']}", headers=bob_auth)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
        listed = (await client.get("/v1/me/passkeys", headers=alice_auth)).json()
        assert [p["id"] for p in listed] == [added["id"]]
        r = await client.delete(f"/v1/me/passkeys/{added['id']}", headers=alice_auth)
        assert r.status_code == 204
        assert (await client.get("/v1/me/passkeys", headers=alice_auth)).json() == []

    async def test_only_residents_have_passkeys(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        await open_books(session, settings)
        assert (await client.get("/v1/me/passkeys")).status_code == 401
        assert (await client.post("/v1/me/passkeys/options")).status_code == 401
