"""The browser session in a real headless Chromium: the whole app on a committing database,
signed in from a page with fetch; another origin's form cannot use the session."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Browser, Page
from pydantic import SecretStr

from api.main import create_app
from currency.db.engine import make_engine
from currency.payments.models import payment_token
from currency.settings import Settings
from tests.conftest import DatabaseUnderTest, wipe
from tests.currency.auth.support import PIN, add_resident, currency_code
from tests.factories import Books
from tests.web.test_pages_browser import _free_port, browser  # noqa: F401  (the fixture)

T = TypeVar("T")
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


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Database work from a sync test: in a thread of its own (pytest's loop may be running)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


@dataclass(frozen=True)
class Town:
    url: str
    number: str
    db: DatabaseUnderTest


def _serve(app: FastAPI) -> tuple[str, uvicorn.Server, threading.Thread]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


async def _resident(db: DatabaseUnderTest) -> tuple[str, str]:
    engine = make_engine(db.runtime_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            session = sa.ext.asyncio.AsyncSession(bind=conn)
            books = await Books.open(session)
            person = await add_resident(books)
            code = await currency_code(books)
            await session.commit()
            await conn.commit()
            return code, person.number
    finally:
        await engine.dispose()


async def _tokens_issued(db: DatabaseUnderTest) -> int:
    engine = make_engine(db.runtime_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            count = await conn.scalar(sa.select(sa.func.count()).select_from(payment_token))
            return int(count or 0)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def town(test_db: DatabaseUnderTest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    code, number = _run(_resident(test_db))
    data_dir: Path = tmp_path_factory.mktemp("meguri") / ".meguri"
    settings = Settings(
        database_url=SecretStr(test_db.runtime_url), data_dir=data_dir, currency_code=code
    )
    url, server, thread = _serve(create_app(settings))
    yield Town(url, number, test_db)
    server.should_exit = True
    thread.join(timeout=10)
    _run(wipe(test_db))


@pytest.fixture
def page(browser: Browser, town: Town) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(base_url=town.url)
    yield context.new_page()
    context.close()


def _signed_in(page: Page, town: Town) -> str:
    page.goto("/wallet/")
    status, body = page.evaluate(SIGN_IN_JS, [town.number, PIN])
    assert status == 200, body
    return str(body["csrf_token"])


def test_a_page_signs_in_with_fetch_and_scripts_cannot_read_the_cookie(
    page: Page, town: Town
) -> None:
    _signed_in(page, town)
    assert "meguri_session" not in page.evaluate("document.cookie")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["meguri_session"]["httpOnly"] and cookies["meguri_session"]["sameSite"] == (
        "Strict"
    )
    wallet = page.evaluate("async () => (await fetch('/v1/me/wallet')).status")
    assert wallet == 200


def test_a_change_from_the_page_needs_its_csrf_token(page: Page, town: Town) -> None:
    csrf = _signed_in(page, town)
    before = _run(_tokens_issued(town.db))
    assert page.evaluate(POST_JS, {}) == 403
    assert _run(_tokens_issued(town.db)) == before
    assert page.evaluate(POST_JS, {"X-CSRF-Token": csrf}) == 201
    assert _run(_tokens_issued(town.db)) == before + 1


def test_a_form_on_another_origin_cannot_use_the_session(
    page: Page,
    town: Town,
    browser: Browser,  # noqa: F811
) -> None:
    _signed_in(page, town)
    other = FastAPI()
    form = (
        f'<form method="post" action="{town.url}/v1/me/payment-token">'
        '<input name="csrf_token" value="guessed"><button>Win a prize</button></form>'
    )
    other.get("/", response_class=HTMLResponse)(lambda: form)
    url, server, thread = _serve(other)
    try:
        before = _run(_tokens_issued(town.db))
        page.goto(url)
        with page.expect_navigation() as landed:
            page.get_by_role("button", name="Win a prize").click()
        answer = landed.value
        assert answer is not None
        # Another port is another origin but the same site: the Strict cookie is sent, and
        # the browser's Sec-Fetch-Site (and the missing CSRF token) refuse it.
        assert answer.status == 403 and answer.json()["type"].endswith("/csrf")
        assert _run(_tokens_issued(town.db)) == before, "nothing was issued"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
