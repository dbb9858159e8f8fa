"""Screenshots of the main pages for docs/screenshots/ (`make screenshots`).

Starts a database of its own (embedded PostgreSQL in a fresh temporary folder, so the
pictures always show the same demo town and your .meguri is left alone), loads the demo
data, serves the app on a free local port, signs in as the demo resident, the demo shop's
owner and a demo staff member (the sign-ins the demo writes to
<data dir>/demo-credentials.json), and saves a phone-sized (390×844) and a tablet-sized
(1024×768) PNG of each page: docs/screenshots/<page>-<phone|tablet>.png. A page that is
missing (404) or broken (5xx) is skipped and named at the end.

    .venv/bin/python scripts/screenshots.py [--only wallet-home,admin-rules]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.cli import database  # noqa: E402
from api.main import create_app  # noqa: E402
from currency import demo  # noqa: E402
from currency.payments.codes import text as code_text  # noqa: E402
from currency.settings import Settings  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# A camera for the shop's scan page: Chromium's own moving test pattern, no prompt.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
                 "--use-fake-device-for-media-stream"]  # fmt: skip
SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 1024, "height": 768}}
Step = Callable[[Page, dict[str, Any]], str]  # opens the page; returns the path it shows


def goto(path: str) -> Step:
    def step(page: Page, creds: dict[str, Any]) -> str:
        page.goto(path.format(code=creds["merchant"]["code"]))
        return path

    return step


def pay_confirm(page: Page, creds: dict[str, Any]) -> str:
    """The shop's printed link → the wallet's keypad → the confirm screen shown to the clerk."""
    page.goto(creds["shop_link"])
    page.locator("a[href*='/wallet/pay']").first.click()
    page.wait_for_load_state()
    page.evaluate("""() => {
      const form = document.querySelector("form[action$='/pay/confirm']");
      form.elements.amount.value = "500";
      form.requestSubmit();
    }""")
    page.wait_for_url("**/pay/confirm")
    return "/wallet/pay/confirm"


# name → (who signs in, how to get there)
PAGES: dict[str, tuple[str, Step]] = {
    "wallet-home": ("resident", goto("/wallet/")),
    "wallet-code": ("resident", goto("/wallet/code")),
    "wallet-pay-confirm": ("resident", pay_confirm),
    "merchant-live": ("shop", goto("/merchant/live")),
    "merchant-scan": ("shop", goto("/merchant/till")),
    "admin-dashboard": ("staff", goto("/admin/")),
    "admin-rules": ("staff", goto("/admin/rules")),
}


def sign_in_body(creds: dict[str, Any], who: str) -> dict[str, str]:
    if who == "resident":
        phone = creds["residents"]["phone"]
        return {"resident_number": phone["resident_number"], "pin": phone["pin"]}
    person = creds["merchant"]["owner"] if who == "shop" else creds["staff"][0]
    return {"username": person["username"], "password": person["password"]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=settings.port,
                            log_level="warning")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("the app did not start")
        time.sleep(0.1)
    try:
        yield f"http://localhost:{settings.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def shoot(browser: Browser, base: str, creds: dict[str, Any], only: set[str]) -> list[str]:
    skipped: list[str] = []
    for name, (who, step) in PAGES.items():
        if only and name not in only:
            continue
        for size, viewport in SIZES.items():
            context = browser.new_context(base_url=base, viewport=viewport, device_scale_factor=1)
            context.request.post("/v1/auth/web-session", data=sign_in_body(creds, who))
            page = context.new_page()
            try:
                path = step(page, creds)
                status = page.evaluate("performance.getEntriesByType('navigation')[0]"
                                       "?.responseStatus ?? 200")  # fmt: skip
                if status in (404,) or status >= 500:
                    raise RuntimeError(f"{path} answered {status}")
                page.wait_for_timeout(700)  # let live parts (codes, clocks) draw
                page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=size == "phone")
                print(f"  {name}-{size}.png")
            except Exception as error:  # a page not built yet: say which, go on
                skipped.append(f"{name} ({size}): {str(error).splitlines()[0]}")
            finally:
                context.close()
    return skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated page names")
    only = {n for n in parser.parse_args().only.split(",") if n}
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="meguri-shots-") as folder:
        settings = Settings(data_dir=Path(folder) / ".meguri", port=free_port())
        with database(settings) as handle:
            asyncio.run(demo.load_if_empty(handle.runtime_url, settings=settings))
            creds = json.loads(demo.credentials_path(settings).read_text(encoding="utf-8"))
            live = settings.model_copy(update={"database_url": SecretStr(handle.runtime_url)})
            with served(live) as base, sync_playwright() as playwright:
                creds["shop_link"] = code_text.shop_link(
                    base_url=base, merchant_code=creds["merchant"]["code"], secret=live.secret_key
                )
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                skipped = shoot(browser, base, creds, only)
                browser.close()
    for line in skipped:
        print(f"  skipped {line}")


if __name__ == "__main__":
    main()
