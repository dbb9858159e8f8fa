"""Activation over HTTP: staff print a letter, the resident activates with its code."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth import activation
from currency.settings import Settings
from tests.api.v1.test_auth_api import open_books
from tests.api.v1.world import sign_in_user
from tests.currency.auth.support import add_user
from tests.factories import Books, Resident

PROBLEM = "application/problem+json"
PROBLEMS = "https://meguri.example/problems/"
PIN = "4827"


async def bearer(client: AsyncClient, books: Books, role: str = "city_staff") -> dict[str, str]:
    return await sign_in_user(client, (await add_user(books, role=role)).username)


async def new_letter(client: AsyncClient, books: Books, who: Resident) -> dict[str, Any]:
    r = await client.post(
        f"/v1/staff/residents/{who.number}/activation-letter", headers=await bearer(client, books)
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def activate(client: AsyncClient, who: Resident, code: str, pin: str = PIN) -> Response:
    body = {"resident_number": who.number, "activation_code": code, "pin": pin}
    return await client.post("/v1/auth/activate", json=body)


class TestLetter:
    async def test_staff_get_the_code_once_with_a_printable_japanese_letter(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        who = await books.resident()
        letter = await new_letter(client, books, who)
        assert letter["resident_number"] == who.number
        html = letter["letter_html"]
        assert "めぐり 利用開始のご案内" in html and letter["code"] in html
        assert letter["name"] in html and "0972-22-3111" in html

    async def test_format_html_answers_the_letter_itself_uncached(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        who = await books.resident()
        r = await client.post(
            f"/v1/staff/residents/{who.number}/activation-letter?format=html",
            headers=await bearer(client, books),
        )
        assert r.status_code == 201
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-store"
        assert '<link rel="stylesheet" href="/static/letter.css">' in r.text

    @pytest.mark.parametrize(("role", "status"), [("city_auditor", 403), ("merchant_owner", 403)])
    async def test_only_acting_staff_may_print_a_letter(
        self, client: AsyncClient, session: AsyncSession, settings: Settings, role: str,
        status: int,
    ) -> None:  # fmt: skip
        books = await open_books(session, settings)
        who = await books.resident()
        r = await client.post(
            f"/v1/staff/residents/{who.number}/activation-letter",
            headers=await bearer(client, books, role),
        )
        assert r.status_code == status and r.headers["content-type"] == PROBLEM

    async def test_an_unknown_resident_is_404(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        r = await client.post(
            "/v1/staff/residents/S9999999/activation-letter", headers=await bearer(client, books)
        )
        assert r.status_code == 404


class TestActivate:
    async def test_the_code_gives_tokens_that_open_the_wallet_and_the_pin_works_after(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        who = await books.resident()
        letter = await new_letter(client, books, who)
        r = await activate(client, who, letter["code"])
        assert r.status_code == 200, r.text
        assert r.json()["role"] == "resident" and r.json()["token_type"] == "bearer"
        wallet = await client.get(
            "/v1/me/wallet", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
        )
        assert wallet.status_code == 200
        again = await client.post(
            "/v1/auth/resident", json={"resident_number": who.number, "pin": PIN}
        )
        assert again.status_code == 200

    @pytest.mark.parametrize("case", ["wrong", "used"])
    async def test_a_wrong_or_used_code_is_one_plain_422(
        self, client: AsyncClient, session: AsyncSession, settings: Settings, case: str
    ) -> None:
        books = await open_books(session, settings)
        who = await books.resident()
        code = (await new_letter(client, books, who))["code"]
        if case == "used":
            assert (await activate(client, who, code)).status_code == 200
        else:
            code = "AAAAA-BBBBB-CCCCC"
        r = await activate(client, who, code, pin="5930")
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
        assert r.json()["type"] == PROBLEMS + "invalid-code"
        assert r.json()["detail"] == activation.WRONG_CODE

    async def test_a_guessable_pin_is_refused_in_plain_words(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        who = await books.resident()
        code = (await new_letter(client, books, who))["code"]
        r = await activate(client, who, code, pin="1234")
        assert r.status_code == 422
        assert r.json()["detail"].startswith("This PIN is too easy to guess")
        assert (await activate(client, who, code, pin="5930")).status_code == 200

    async def test_too_many_tries_answer_429_with_retry_after(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        who = await books.resident()
        code = (await new_letter(client, books, who))["code"]
        for _ in range(activation.RESIDENT_LIMIT.attempts):
            assert (await activate(client, who, "AAAAA-BBBBB-CCCCC")).status_code == 422
        r = await activate(client, who, code)
        assert r.status_code == 429 and r.headers["content-type"] == PROBLEM
        assert int(r.headers["retry-after"]) > 0

    async def test_extra_fields_are_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        await open_books(session, settings)
        r = await client.post(
            "/v1/auth/activate",
            json={"resident_number": "S1", "activation_code": "X", "pin": "1", "admin": True},
        )
        assert r.status_code == 422 and r.json()["type"] == PROBLEMS + "validation"
