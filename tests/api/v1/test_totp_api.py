"""Two-step sign-in over HTTP: set up, confirm, then signing in needs a code; turn it off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.test_auth_api import open_books
from tests.currency.auth.support import PASSWORD, Person, add_resident, add_user

PROBLEMS = "https://meguri.example/problems/"


async def login(client: AsyncClient, person: Person, code: str | None = None) -> Response:
    body = {"username": person.username, "password": PASSWORD, "totp_code": code}
    return await client.post("/v1/auth/login", json=body)


async def bearer(client: AsyncClient, person: Person) -> dict[str, str]:
    r = await login(client, person)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def code_at(secret: str, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps))


class TestTotp:
    async def test_set_up_confirm_then_sign_in_needs_the_code_then_turn_off(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_user(books)
        auth = await bearer(client, person)
        setup = await client.post("/v1/auth/totp/setup", headers=auth)
        assert setup.status_code == 200, setup.text
        secret = setup.json()["shared_secret"]
        assert setup.json()["otpauth_uri"].startswith("otpauth://totp/Meguri:")
        assert setup.json()["qr_svg"].startswith("data:image/svg+xml;base64,")
        wrong = await client.post("/v1/auth/totp/confirm", json={"code": "000000"}, headers=auth)
        assert wrong.status_code == 422
        assert (await login(client, person)).status_code == 200  # not on until confirmed
        r = await client.post(
            "/v1/auth/totp/confirm", json={"code": code_at(secret, -1)}, headers=auth
        )
        assert r.status_code == 204, r.text
        refused = await login(client, person)
        assert refused.status_code == 401 and refused.json()["type"] == PROBLEMS + "totp-required"
        assert (await login(client, person, code_at(secret, 0))).status_code == 200
        r = await client.post("/v1/auth/totp/disable", json={"code": "123456"}, headers=auth)
        assert r.status_code == 422
        r = await client.post(
            "/v1/auth/totp/disable", json={"code": code_at(secret, 1)}, headers=auth
        )
        assert r.status_code == 204, r.text
        assert (await login(client, person)).status_code == 200

    async def test_setting_up_again_while_on_is_409(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_user(books, role="city_admin")
        auth = await bearer(client, person)
        secret = (await client.post("/v1/auth/totp/setup", headers=auth)).json()["shared_secret"]
        await client.post("/v1/auth/totp/confirm", json={"code": code_at(secret)}, headers=auth)
        r = await client.post("/v1/auth/totp/setup", headers=auth)
        assert r.status_code == 409 and r.json()["type"] == PROBLEMS + "already-done"

    async def test_residents_have_no_two_step_sign_in(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        who = await add_resident(books)
        r = await client.post("/v1/auth/resident", json={"resident_number": who.number,
                                                         "pin": "4827"})  # fmt: skip
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert (await client.post("/v1/auth/totp/setup", headers=auth)).status_code == 403
        assert (await client.post("/v1/auth/totp/setup")).status_code == 401
