"""Passkeys in a real headless Chromium with a CDP virtual authenticator: a resident
activated through the API registers a passkey from the page (api/static/passkey.js),
signs in with it, and opens the wallet with the token it gives."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright
from pydantic import Field, SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from api.main import create_app
from currency.db.engine import make_engine
from currency.settings import Settings
from tests.conftest import DatabaseUnderTest, wipe
from tests.currency.auth.support import PASSWORD, add_user, currency_code
from tests.factories import Books

pytestmark = [pytest.mark.browser, pytest.mark.committing]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AUTHENTICATOR = {
    "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
    "hasUserVerification": True, "isUserVerified": True,
}  # fmt: skip
# Runs in the page: passkey.js with a fetchJson that carries the bearer token, if any.
IN_PAGE = """async ([action, token]) => {
  const passkey = await import("/static/passkey.js");
  const fetchJson = async (path, body) => {
    const headers = {"Content-Type": "application/json"};
    if (token) headers["Authorization"] = `Bearer ${token}`;
    const r = await fetch(path, {method: "POST", headers, body: JSON.stringify(body)});
    if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
    return r.json();
  };
  if (action === "register") return passkey.registerPasskey(fetchJson, "テスト端末");
  const tokens = await passkey.signInWithPasskey(fetchJson);
  const auth = {Authorization: `Bearer ${tokens.access_token}`};
  const wallet = await fetch("/v1/me/wallet", {headers: auth});
  return {role: tokens.role, wallet: wallet.status, balance: (await wallet.json()).balance};
}"""


class BrowserSettings(Settings):
    """The passkey settings the lead will add to Settings (see currency/auth/passkeys.py)."""

    webauthn_rp_id: str = "localhost"
    webauthn_rp_name: str = "Meguri"
    webauthn_origins: list[str] = Field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _town(test_db: DatabaseUnderTest) -> dict[str, Any]:
    """A currency with a staff member (password) and a resident enrolled but not activated."""
    engine = make_engine(test_db.runtime_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            books = await Books.open(session)
            staff = await add_user(books)
            who = await books.resident()
            town = {"code": await currency_code(books), "staff": staff.username,
                    "number": who.number}  # fmt: skip
            await session.commit()
            return town
    finally:
        await engine.dispose()


@pytest.fixture
def served(test_db: DatabaseUnderTest, tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    town = asyncio.run(_town(test_db))
    port = _free_port()
    base = f"http://localhost:{port}"  # WebAuthn refuses an IP address as the site
    settings = BrowserSettings(
        database_url=SecretStr(test_db.runtime_url), data_dir=tmp_path / ".meguri",
        currency_code=town["code"], webauthn_origins=[base],
    )  # fmt: skip
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield base, town
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        asyncio.run(wipe(test_db))


@pytest.fixture
def page(served: tuple[str, dict[str, Any]]) -> Iterator[Page]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=served[0])
        opened = context.new_page()
        cdp = context.new_cdp_session(opened)
        cdp.send("WebAuthn.enable")
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
        yield opened
        browser.close()


def _activated(base: str, town: dict[str, Any]) -> str:
    """The resident's access token, after staff printed a letter and it was activated."""
    with httpx.Client(base_url=base) as api:
        staff = api.post("/v1/auth/login", json={"username": town["staff"], "password": PASSWORD})
        auth = {"Authorization": f"Bearer {staff.json()['access_token']}"}
        letter = api.post(f"/v1/staff/residents/{town['number']}/activation-letter", headers=auth)
        assert letter.status_code == 201, letter.text
        body = {"resident_number": town["number"], "activation_code": letter.json()["code"],
                "pin": "5830"}  # fmt: skip
        tokens = api.post("/v1/auth/activate", json=body)
        assert tokens.status_code == 200, tokens.text
        return str(tokens.json()["access_token"])


def test_a_resident_registers_a_passkey_in_the_browser_and_signs_in_with_it(
    page: Page, served: tuple[str, dict[str, Any]]
) -> None:
    base, town = served
    token = _activated(base, town)
    page.goto("/")
    registered = page.evaluate(IN_PAGE, ["register", token])
    assert registered["name"] == "テスト端末"
    signed_in = page.evaluate(IN_PAGE, ["sign-in", None])
    assert signed_in == {"role": "resident", "wallet": 200, "balance": 0}
    with httpx.Client(base_url=base) as api:
        listed = api.get("/v1/me/passkeys", headers={"Authorization": f"Bearer {token}"})
    assert listed.json()[0]["last_used_at"] is not None
