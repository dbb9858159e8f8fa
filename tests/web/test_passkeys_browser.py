"""Passkeys in a real headless Chromium with a CDP virtual authenticator: a resident
activated through the API registers a passkey from the page (api/static/passkey.js),
signs in with it, and opens the wallet with the token it gives."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.currency.auth.support import PASSWORD, add_user
from tests.factories import Books
from tests.web.live import LiveApp, browser, live_app  # noqa: F401  (the fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.committing]

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


@dataclass(frozen=True)
class Town:
    staff: str  # a staff member's username (password PASSWORD)
    number: str  # a resident enrolled but not activated


@pytest.fixture
def town(live_app: LiveApp) -> Town:  # noqa: F811
    async def make(books: Books) -> Town:
        staff = await add_user(books)
        return Town(staff.username, (await books.resident()).number)

    return live_app.books(make)


@pytest.fixture
def page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:  # noqa: F811
    """A page in a browser with a virtual authenticator (its passkeys stay with the page)."""
    context = browser.new_context(base_url=live_app.base_url)
    opened = context.new_page()
    cdp = context.new_cdp_session(opened)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    yield opened
    context.close()


def _activated(base: str, town: Town) -> str:
    """The resident's access token, after staff printed a letter and it was activated."""
    with httpx.Client(base_url=base) as api:
        staff = api.post("/v1/auth/login", json={"username": town.staff, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {staff.json()['access_token']}"}
        letter = api.post(f"/v1/staff/residents/{town.number}/activation-letter", headers=auth)
        assert letter.status_code == 201, letter.text
        body = {"resident_number": town.number, "activation_code": letter.json()["code"],
                "pin": "5830"}  # fmt: skip
        tokens = api.post("/v1/auth/activate", json=body)
        assert tokens.status_code == 200, tokens.text
        return str(tokens.json()["access_token"])


def test_a_resident_registers_a_passkey_in_the_browser_and_signs_in_with_it(
    page: Page,
    live_app: LiveApp,  # noqa: F811
    town: Town,
) -> None:
    base = live_app.base_url
    token = _activated(base, town)
    page.goto("/")
    registered = page.evaluate(IN_PAGE, ["register", token])
    assert registered["name"] == "テスト端末"
    signed_in = page.evaluate(IN_PAGE, ["sign-in", None])
    assert signed_in == {"role": "resident", "wallet": 200, "balance": 0}
    with httpx.Client(base_url=base) as api:
        listed = api.get("/v1/me/passkeys", headers={"Authorization": f"Bearer {token}"})
    assert listed.json()[0]["last_used_at"] is not None
