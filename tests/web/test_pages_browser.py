"""The shell in a real headless Chromium, on a 360px phone, under the production CSP."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi import Response as HTTPResponse
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Response,
    expect,
    sync_playwright,
)
from playwright.sync_api import (
    Request as BrowserRequest,
)

import admin.pages
import merchant_app.pages
import wallet.pages
from api import landing, web

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGES = ["/", "/wallet/", "/merchant/", "/admin/"]

# Every element with its own text: the ratio of its colour to the first opaque background
# behind it. Returns the ones under 4.5:1.
LOW_CONTRAST_JS = """() => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  return [...document.body.querySelectorAll("*")]
    .filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
    .filter((el) => el.getClientRects().length && !el.closest(".skip-link"))
    .map((el) => [el.tagName, el.className, ratio(rgb(getComputedStyle(el).color), background(el))])
    .filter(([, , r]) => r < 4.5);
}"""

SMALL_TARGETS_JS = """() => [...document.querySelectorAll("a, button, input, select, textarea")]
  .filter((el) => el.getClientRects().length && !el.closest(".skip-link"))
  .map((el) => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
  .filter(([, h]) => h < 44)"""

AMOUNT_SIZE_JS = """() => {
  const el = Object.assign(document.createElement("span"), {className: "amount"});
  el.textContent = "1,200";
  document.querySelector("main").append(el);
  const size = parseFloat(getComputedStyle(el).fontSize);
  el.remove();
  return size;
}"""


def build_app() -> FastAPI:
    app = FastAPI()
    app.include_router(landing.router)
    app.include_router(wallet.pages.router, prefix="/wallet")
    app.include_router(merchant_app.pages.router, prefix="/merchant")
    app.include_router(admin.pages.router, prefix="/admin")
    app.mount("/static", web.static_files(), name="static")

    @app.middleware("http")
    async def strict_csp(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: HTTPResponse = await call_next(request)
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        return response

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(build_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport={"width": 360, "height": 780})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda msg: _is_script_or_csp_error(msg) and errors.append(msg.text))
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on(
        "requestfailed", lambda req: _really_failed(req) and errors.append(f"failed: {req.url}")
    )
    opened.on("response", lambda resp: _is_missing_asset(resp) and errors.append(resp.url))
    yield opened
    context.close()
    assert errors == [], "the page logged errors (a missing file or a CSP violation?)"


def _really_failed(request: BrowserRequest) -> bool:
    # A load the browser abandoned because the test navigated on (ERR_ABORTED, common on a
    # busy machine) is not a missing file; anything else is.
    return "ERR_ABORTED" not in (request.failure or "")


def _is_script_or_csp_error(message: ConsoleMessage) -> bool:
    # A page's own status (the 503 of a refused sign-in) is asserted by the tests themselves.
    return message.type == "error" and not message.text.startswith("Failed to load resource")


def _is_missing_asset(response: Response) -> bool:
    return response.status >= 400 and response.request.resource_type != "document"


def _assert_fits_a_phone(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    body_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body_size >= 18
    assert page.evaluate(SMALL_TARGETS_JS) == []


class TestOnAPhone:
    @pytest.mark.parametrize("path", PAGES)
    def test_page_fits_360px_with_large_text_and_large_targets(self, page: Page, path: str) -> None:
        page.goto(path)
        _assert_fits_a_phone(page, 360)
        assert page.evaluate(AMOUNT_SIZE_JS) >= 32
        if path == "/":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "landing.png"), full_page=True)

    @pytest.mark.parametrize("path", PAGES)
    def test_page_reflows_at_320px_like_a_desktop_at_400_percent_zoom(
        self, page: Page, path: str
    ) -> None:
        page.set_viewport_size({"width": 320, "height": 640})
        page.goto(path)
        _assert_fits_a_phone(page, 320)

    @pytest.mark.parametrize("contrast", ["normal", "high"])
    @pytest.mark.parametrize("path", PAGES)
    def test_text_contrast_is_at_least_4_5_to_1(self, page: Page, path: str, contrast: str) -> None:
        page.goto(f"{path}?contrast={contrast}")
        assert page.evaluate(LOW_CONTRAST_JS) == []


class TestChoicesPersist:
    def test_english_and_high_contrast_stay_chosen_from_page_to_page(
        self, page: Page, base_url: str
    ) -> None:
        page.goto("/")
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Meguri")
        expect(page).to_have_url(f"{base_url}/")  # the choice lives in a cookie, not the address
        page.get_by_role("link", name="High contrast").click()
        expect(page.locator("body")).to_have_class("theme-high")
        page.get_by_role("link", name="Wallet (residents)").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("body")).to_have_class("theme-high")
        page.get_by_role("link", name="日本語").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("めぐりのお財布")
        expect(page.locator("body")).to_have_class("theme-high")

    def test_the_choices_also_work_without_javascript(
        self, browser: Browser, base_url: str
    ) -> None:
        context = browser.new_context(base_url=base_url, java_script_enabled=False)
        page = context.new_page()
        page.goto("/admin/")
        page.get_by_role("link", name="くっきり表示にする").click()
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("body")).to_have_class("theme-high")
        expect(page.get_by_role("link", name="Standard colours")).to_be_visible()
        context.close()


class TestSignIn:
    @pytest.mark.parametrize("contrast", ["normal", "high"])
    def test_signing_in_is_answered_in_plain_words(self, page: Page, contrast: str) -> None:
        page.goto(f"/wallet/?contrast={contrast}")
        page.get_by_label("利用者番号").fill("12345678")
        page.get_by_label("暗証番号").fill("1234")
        page.get_by_role("button", name="サインイン").click()
        expect(page.get_by_role("status")).to_have_text(
            "サインインはまだご利用いただけません。市役所の窓口でご案内しています。"
        )
        assert page.evaluate(LOW_CONTRAST_JS) == []
