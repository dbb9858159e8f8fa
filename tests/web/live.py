"""The whole app served for a real browser: uvicorn on loopback, real commits.

`live_app` (module scope) serves `api.main.create_app` on http://localhost:<port>
(WebAuthn refuses IP addresses as its relying party, the camera needs a secure context:
localhost is both) against the worker's test database, in a currency of its own. Its data
is committed, so the module's tests share it; the database is emptied when the module ends.

The browser tests are synchronous (Playwright's sync API), so `LiveApp.run` gives them the
database the async way: it runs one coroutine in a thread with its own event loop and
commits what it did.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from currency.db.engine import make_engine
from currency.ledger.models import currency
from currency.settings import Settings
from tests.conftest import DatabaseUnderTest, wipe
from tests.factories import Books

T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass
class LiveApp:
    base_url: str
    settings: Settings
    db: DatabaseUnderTest
    currency_id: int

    def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work(session)`` to completion and commit it (from a synchronous test)."""
        return run_in_database(self.db, work)

    def books(self, work: Callable[[Books], Awaitable[T]]) -> T:
        """Like `run`, with the test builders bound to the served currency."""

        async def with_books(session: AsyncSession) -> T:
            return await work(Books(session, self.currency_id))

        return self.run(with_books)


def run_in_database(db: DatabaseUnderTest, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    outcome: dict[str, Any] = {}

    async def main() -> T:
        engine = make_engine(db.runtime_url, pool_size=2)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def serve(app: Any, port: int) -> Served:
    """Start ``app`` on 127.0.0.1:``port`` in a thread; returns once it accepts requests."""
    # log_config=None: uvicorn must not reconfigure the process's logging (other tests in
    # the same worker capture the app's log records, and the PII scan reads them all)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    return Served(server, thread)


@pytest.fixture(scope="module")
def live_app(
    test_db: DatabaseUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApp]:
    from api.main import create_app

    async def open_books(session: AsyncSession) -> tuple[int, str]:
        books = await Books.open(session)
        code = await session.scalar(
            sa.select(currency.c.code).where(currency.c.id == books.currency_id)
        )
        return books.currency_id, str(code)

    currency_id, code = run_in_database(test_db, open_books)
    port = free_port()
    base_url = f"http://localhost:{port}"
    settings = Settings(
        database_url=SecretStr(test_db.runtime_url),
        data_dir=tmp_path_factory.mktemp("live") / ".meguri",
        currency_code=code,
        webauthn_origins=[base_url],  # passkeys are made and used on these pages
    )
    served = serve(create_app(settings), port)
    try:
        yield LiveApp(base_url, settings, test_db, currency_id)
    finally:
        served.stop()
        _in_a_thread(wipe(test_db))  # pytest's own event loop may be running here


def _in_a_thread(work: Coroutine[Any, Any, None]) -> None:
    thread = threading.Thread(target=asyncio.run, args=(work,))
    thread.start()
    thread.join()


def watch(page: Page, problems: list[str] | None = None) -> list[str]:
    """What ``page`` must never log, collected in ``problems`` as it happens: script errors
    and CSP violations. A refused request's own status ("Failed to load resource: … 4xx")
    is not one: the tests assert what the page says about it."""
    found: list[str] = [] if problems is None else problems

    def on_console(message: ConsoleMessage) -> None:
        if message.text.startswith("Failed to load resource"):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (never a downloaded browser: these machines are offline)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
