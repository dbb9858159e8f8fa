"""The browser session in a real headless Chromium: the whole app on a committing database,
signed in from a page with fetch; another origin's form cannot use the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Browser, Page
from sqlalchemy.ext.asyncio import AsyncSession

from currency.payments.models import payment_token
from tests.currency.auth.support import PIN, add_resident
from tests.factories import Books
from tests.web.live import LiveApp, browser, free_port, live_app, serve  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.committing]

SIGN_IN_JS = """async ([number, pin]) => {
  const r = await fetch("/v1/auth/web-session", {method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({resident_number: number, pin: pin})});
  return [r.status, await r.json()];
}"""
POST_JS = """async (headers) => {
  const r = await fetch("/v1/me/payment-token", {method: "POST", headers: headers});
  return r.status;
}"""


@pytest.fixture(scope="module")
def number(live_app: LiveApp) -> str:  # noqa: F811
    """A resident of the served currency (PIN ``PIN``)."""

    async def enrol(books: Books) -> str:
        return (await add_resident(books)).number

    return live_app.books(enrol)


def _tokens_issued(live_app: LiveApp) -> int:  # noqa: F811
    async def count(session: AsyncSession) -> int:
        found = await session.scalar(sa.select(sa.func.count()).select_from(payment_token))
        return int(found or 0)

    return live_app.run(count)


@pytest.fixture
def page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(base_url=live_app.base_url)
    yield context.new_page()
    context.close()


def _signed_in(page: Page, number: str) -> str:
    page.goto("/wallet/")
    status, body = page.evaluate(SIGN_IN_JS, [number, PIN])
    assert status == 200, body
    return str(body["csrf_token"])


def test_a_page_signs_in_with_fetch_and_scripts_cannot_read_the_cookie(
    page: Page, number: str
) -> None:
    _signed_in(page, number)
    assert "meguri_session" not in page.evaluate("document.cookie")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["meguri_session"]["httpOnly"] and cookies["meguri_session"]["sameSite"] == (
        "Strict"
    )
    wallet = page.evaluate("async () => (await fetch('/v1/me/wallet')).status")
    assert wallet == 200


def test_a_change_from_the_page_needs_its_csrf_token(
    page: Page,
    number: str,
    live_app: LiveApp,  # noqa: F811
) -> None:
    csrf = _signed_in(page, number)
    before = _tokens_issued(live_app)
    assert page.evaluate(POST_JS, {}) == 403
    assert _tokens_issued(live_app) == before
    assert page.evaluate(POST_JS, {"X-CSRF-Token": csrf}) == 201
    assert _tokens_issued(live_app) == before + 1


def test_a_form_on_another_origin_cannot_use_the_session(
    page: Page,
    number: str,
    live_app: LiveApp,  # noqa: F811
) -> None:
    _signed_in(page, number)
    other = FastAPI()
    form = (
        f'<form method="post" action="{live_app.base_url}/v1/me/payment-token">'
        '<input name="csrf_token" value="guessed"><button>Win a prize</button></form>'
    )
    other.get("/", response_class=HTMLResponse)(lambda: form)
    port = free_port()
    served = serve(other, port)
    try:
        before = _tokens_issued(live_app)
        page.goto(f"http://localhost:{port}/")
        with page.expect_navigation() as landed:
            page.get_by_role("button", name="Win a prize").click()
        answer = landed.value
        assert answer is not None
        # Another port is another origin but the same site: the Strict cookie is sent, and
        # the browser's Sec-Fetch-Site (and the missing CSRF token) refuse it.
        assert answer.status == 403 and answer.json()["type"].endswith("/csrf")
        assert _tokens_issued(live_app) == before, "nothing was issued"
    finally:
        served.stop()
