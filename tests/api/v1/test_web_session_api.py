"""The pages' browser session over HTTP: the cookie, CSRF, expiry, extension, sign-out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.db import get_session
from api.v1 import deps
from currency.auth.login import Principal
from currency.payments.models import payment_token
from currency.residents import service as residents
from currency.settings import Settings
from tests.api.v1.test_auth_api import open_books
from tests.api.v1.world import sign_in_resident
from tests.currency.auth.support import PASSWORD, PIN, add_resident, add_user, private_pem
from tests.factories import Books, Resident

PROBLEMS = "https://meguri.example/problems/"
SIGN_IN = "/v1/auth/web-session"


async def resident_in(client: AsyncClient, books: Books) -> tuple[Resident, str]:
    person = await add_resident(books)
    r = await client.post(SIGN_IN, json={"resident_number": person.number, "pin": PIN})
    assert r.status_code == 200, r.text
    return person, r.json()["csrf_token"]


async def user_in(client: AsyncClient, username: str) -> str:
    """A user's web-session sign-in: the page's CSRF token."""
    r = await client.post(SIGN_IN, json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


async def tokens_issued(session: AsyncSession) -> int:
    return int(await session.scalar(sa.select(sa.func.count()).select_from(payment_token)) or 0)


def set_cookie_of(r: Response) -> str:
    return r.headers["set-cookie"]


class TestSignIn:
    async def test_a_resident_signs_in_and_the_cookie_alone_opens_the_wallet(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_resident(books)
        await books.charge(person.wallet, 1_000, days=30)
        r = await client.post(SIGN_IN, json={"resident_number": person.number, "pin": PIN})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["role"] == "resident" and body["idle_seconds"] == 30 * 24 * 3600
        assert len(body["csrf_token"]) >= 32 and "access_token" not in body
        cookie = set_cookie_of(r)
        assert cookie.startswith("meguri_session=")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # development over plain http
        wallet = await client.get("/v1/me/wallet")
        assert wallet.status_code == 200, wallet.text
        assert wallet.json()["balance"] == 1_000

    async def test_the_session_tells_the_page_who_it_is_and_how_long_it_lasts(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_user(books, role="merchant_clerk")
        csrf = await user_in(client, person.username)
        state = (await client.get(SIGN_IN)).json()
        assert state["kind"] == "user" and state["role"] == "merchant_clerk"
        assert state["display_name"]
        assert state["csrf_token"] == csrf
        assert 2 * 3600 - 60 < state["idle_seconds_left"] <= 2 * 3600

    async def test_a_wrong_pin_is_refused_as_at_the_token_sign_in_and_sets_no_cookie(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_resident(books)
        r = await client.post(SIGN_IN, json={"resident_number": person.number, "pin": "0000"})
        assert r.status_code == 401
        assert r.json()["detail"].startswith("The resident number or PIN is not right.")
        assert "set-cookie" not in r.headers
        assert (await client.get("/v1/me/wallet")).status_code == 401

    async def test_too_many_wrong_passwords_are_rate_limited(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_user(books)
        for _ in range(5):
            r = await client.post(SIGN_IN, json={"username": person.username, "password": "x"})
            assert r.status_code == 401
        r = await client.post(SIGN_IN, json={"username": person.username, "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0

    async def test_a_sign_in_posted_from_another_site_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_resident(books)
        r = await client.post(
            SIGN_IN, json={"resident_number": person.number, "pin": PIN},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )  # fmt: skip
        assert r.status_code == 403 and r.json()["type"] == PROBLEMS + "csrf"
        assert "set-cookie" not in r.headers


class TestCsrf:
    async def test_a_change_without_the_csrf_header_is_refused_and_changes_nothing(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        await resident_in(client, books)
        r = await client.post("/v1/me/payment-token")
        assert r.status_code == 403
        assert r.json()["type"] == PROBLEMS + "csrf"
        assert "reload the page" in r.json()["detail"]
        assert await tokens_issued(session) == 0

    async def test_a_wrong_csrf_token_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        _, csrf = await resident_in(client, books)
        r = await client.post("/v1/me/payment-token", headers={"X-CSRF-Token": csrf[::-1]})
        assert r.status_code == 403 and r.json()["type"] == PROBLEMS + "csrf"
        assert await tokens_issued(session) == 0

    async def test_the_right_csrf_token_lets_the_change_through(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        _, csrf = await resident_in(client, books)
        r = await client.post("/v1/me/payment-token", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201, r.text
        assert await tokens_issued(session) == 1

    @pytest.mark.parametrize(
        "headers",
        [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"}],
    )
    async def test_a_change_from_another_site_is_refused_even_with_the_token(
        self,
        client: AsyncClient,
        session: AsyncSession,
        settings: Settings,
        headers: dict[str, str],
    ) -> None:
        books = await open_books(session, settings)
        _, csrf = await resident_in(client, books)
        r = await client.post("/v1/me/payment-token", headers={"X-CSRF-Token": csrf, **headers})
        assert r.status_code == 403 and r.json()["type"] == PROBLEMS + "csrf"
        assert await tokens_issued(session) == 0

    async def test_a_bearer_request_needs_no_csrf_token(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person = await add_resident(books)
        bearer = await sign_in_resident(client, person.number)
        r = await client.post("/v1/me/payment-token", headers=bearer)
        assert r.status_code == 201, r.text


class TestEnding:
    async def test_signing_out_revokes_the_session_and_clears_the_cookie(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        _, csrf = await resident_in(client, books)
        stolen = client.cookies["meguri_session"]
        refused = await client.delete(SIGN_IN)
        assert refused.status_code == 403, "signing out also needs the page's token"
        r = await client.delete(SIGN_IN, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 204
        assert 'meguri_session=""' in set_cookie_of(r) and "Max-Age=0" in set_cookie_of(r)
        client.cookies.set("meguri_session", stolen)  # a copy kept from before
        again = await client.get("/v1/me/wallet")
        assert again.status_code == 401

    async def test_a_blocked_resident_is_signed_out_at_once(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person, _ = await resident_in(client, books)
        assert (await client.get("/v1/me/wallet")).status_code == 200
        await residents.set_status(
            session, currency_id=books.currency_id, resident_number=person.number,
            status="blocked", reason="card and phone reported lost", staff_id=await books.staff(),
        )  # fmt: skip
        assert (await client.get("/v1/me/wallet")).status_code == 401


class TestTime:
    async def test_a_staff_session_ends_after_thirty_idle_minutes_unless_extended(
        self,
        client: AsyncClient,
        session: AsyncSession,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        books = await open_books(session, settings)
        person = await add_user(books)
        start = datetime.now(UTC)
        clock = Clock(start)
        monkeypatch.setattr(deps, "now", clock)
        csrf = await user_in(client, person.username)
        clock.at = start + timedelta(minutes=25)
        assert (await client.get(SIGN_IN)).json()["idle_seconds_left"] == 5 * 60
        extended = await client.post(f"{SIGN_IN}/extend", headers={"X-CSRF-Token": csrf})
        assert extended.status_code == 200, extended.text
        assert extended.json()["idle_seconds_left"] == 30 * 60
        clock.at = start + timedelta(minutes=54)
        assert (await client.get(SIGN_IN)).status_code == 200
        clock.at = start + timedelta(minutes=85)
        assert (await client.get(SIGN_IN)).status_code == 401

    async def test_a_shop_session_ends_after_twelve_hours_however_busy(
        self,
        client: AsyncClient,
        session: AsyncSession,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        books = await open_books(session, settings)
        person = await add_user(books, role="merchant_owner")
        start = datetime.now(UTC)
        clock = Clock(start)
        monkeypatch.setattr(deps, "now", clock)
        await user_in(client, person.username)
        for hour in range(1, 12):
            clock.at = start + timedelta(hours=hour)
            assert (await client.get("/v1/merchant/payments")).status_code == 200
        clock.at = start + timedelta(hours=12, minutes=1)
        assert (await client.get("/v1/merchant/payments")).status_code == 401


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


# --- apps of the test's own ------------------------------------------------------------


@asynccontextmanager
async def client_of(app: FastAPI, session: AsyncSession, scheme: str) -> AsyncIterator[AsyncClient]:
    """A client over an app of the test's own, every request committed in the test's session."""

    async def test_session() -> AsyncIterator[AsyncSession]:
        yield session
        await session.commit()

    app.dependency_overrides[get_session] = test_session
    app.dependency_overrides[deps.get_session_kept_on_error] = test_session
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url=f"{scheme}://testserver") as c:
        yield c


# --- production cookie --------------------------------------------------------------------


@pytest.fixture
async def production_client(
    settings: Settings, engine: AsyncEngine, session: AsyncSession, tmp_path: Path
) -> AsyncIterator[AsyncClient]:
    from api.main import create_app

    secret, key = tmp_path / "secret.key", tmp_path / "jwt.pem"
    secret.write_bytes(b"a-real-secret-for-this-test-0123456789")
    key.write_bytes(private_pem(Ed25519PrivateKey.generate()))
    settings.production, settings.secret_key_file, settings.jwt_private_key_file = True, secret, key
    async with client_of(create_app(settings, engine=engine), session, "https") as c:
        yield c


async def test_in_production_the_cookie_is_secure_and_host_only(
    production_client: AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    books = await open_books(session, settings)
    person = await add_resident(books)
    r = await production_client.post(SIGN_IN, json={"resident_number": person.number, "pin": PIN})
    assert r.status_code == 200, r.text
    cookie = set_cookie_of(r)
    assert cookie.startswith("__Host-meguri_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    assert (await production_client.get("/v1/me/wallet")).status_code == 200


# --- page routes --------------------------------------------------------------------------


@pytest.fixture
async def pages_client(
    settings: Settings, engine: AsyncEngine, session: AsyncSession
) -> AsyncIterator[AsyncClient]:
    """The app plus two page routes built on the page helpers (the pages' next issue)."""
    from fastapi import Depends, Form

    from api import web_session
    from api.main import create_app

    app = create_app(settings, engine=engine)

    @app.get("/wallet/home")
    async def home(who: Principal = Depends(web_session.require_page_principal("resident"))) -> str:
        return who.name

    @app.post("/wallet/note")
    async def note(note: str = Form(), who: Principal = Depends(web_session.csrf_protect)) -> str:
        return f"{who.name}: {note}"

    async with client_of(app, session, "http") as c:
        yield c


class TestPageHelpers:
    async def test_a_page_without_a_session_sends_the_visitor_to_sign_in(
        self, pages_client: AsyncClient
    ) -> None:
        r = await pages_client.get("/wallet/home")
        assert r.status_code == 303 and r.headers["location"] == "/wallet/?next=/wallet/home"

    async def test_a_form_post_needs_the_hidden_csrf_field(
        self, pages_client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        person, csrf = await resident_in(pages_client, books)
        assert (await pages_client.get("/wallet/home")).json() == f"resident:{person.id}"
        refused = await pages_client.post("/wallet/note", data={"note": "hi"})
        assert refused.status_code == 403 and refused.json()["type"] == PROBLEMS + "csrf"
        r = await pages_client.post("/wallet/note", data={"note": "hi", "csrf_token": csrf})
        assert r.status_code == 200 and r.json() == f"resident:{person.id}: hi"
