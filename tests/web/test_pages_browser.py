"""The shell in a real headless Chromium, on a 360px phone, under the app's own CSP.

The whole app (tests/web/live.py): the landing page, each section's first page signed out,
and each section's home signed in — large text, large targets, enough contrast, no script or
CSP errors; the language and contrast chosen once stay chosen on every page; the session
keeper warns before a staff session ends and lets the person stay signed in.
"""

from __future__ import annotations

# ruff: noqa: F811  (pytest fixtures imported from tests/web/live.py are parameters here)
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import (
    Browser,
    Page,
    Response,
    expect,
)
from playwright.sync_api import (
    Request as BrowserRequest,
)
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth.models import web_session
from tests.web.live import LiveApp, browser, live_app, watch  # noqa: F401  (fixtures)
from tests.web.test_accessibility import (  # noqa: F401  (fixtures)
    SIGNED_IN,
    People,
    Sessions,
    people,
    sessions,
)

pytestmark = [pytest.mark.browser, pytest.mark.committing]

PAGES = ["/", "/wallet/", "/merchant/", "/admin/"]
WHO = list(SIGNED_IN)

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

# A link inside a sentence is exempt (WCAG 2.5.8's inline exception): its line is the target.
SMALL_TARGETS_JS = """() => [...document.querySelectorAll("a, button, input, select, textarea")]
  .filter((el) => el.getClientRects().length && !el.closest(".skip-link"))
  .filter((el) => !(el.tagName === "A" && getComputedStyle(el).display === "inline" &&
    [...el.parentElement.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())))
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


@pytest.fixture
def page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_app.base_url, viewport={"width": 360, "height": 780}
    )
    opened = context.new_page()
    errors = watch(opened)
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


def _is_missing_asset(response: Response) -> bool:
    return response.status >= 400 and response.request.resource_type not in ("document", "fetch")


def _assert_fits_a_phone(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    body_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body_size >= 18
    assert page.evaluate(SMALL_TARGETS_JS) == []


def _signed_in_home(page: Page, sessions: Sessions, who: str, query: str = "") -> str:
    """Sign in and open the section's first page; returns where it led (e.g. a start page)."""
    sessions.sign_in(page, who)
    page.goto(SIGNED_IN[who.split("-")[0]] + query)
    expect(page.locator("input[name=password], input[name=pin]")).to_have_count(0)
    return str(page.evaluate("location.pathname"))


class TestOnAPhone:
    @pytest.mark.parametrize("path", PAGES)
    def test_page_fits_360px_with_large_text_and_large_targets(self, page: Page, path: str) -> None:
        page.goto(path)
        _assert_fits_a_phone(page, 360)
        assert page.evaluate(AMOUNT_SIZE_JS) >= 32

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

    @pytest.mark.parametrize("who", WHO)
    def test_signed_in_home_fits_320px_with_large_targets(
        self, page: Page, sessions: Sessions, who: str
    ) -> None:
        page.set_viewport_size({"width": 320, "height": 640})
        _signed_in_home(page, sessions, who)
        _assert_fits_a_phone(page, 320)

    @pytest.mark.parametrize("contrast", ["normal", "high"])
    @pytest.mark.parametrize("who", WHO)
    def test_signed_in_home_text_contrast_is_at_least_4_5_to_1(
        self, page: Page, sessions: Sessions, who: str, contrast: str
    ) -> None:
        _signed_in_home(page, sessions, who, f"?contrast={contrast}")
        assert page.evaluate(LOW_CONTRAST_JS) == []


class TestChoicesPersist:
    def test_english_and_high_contrast_stay_chosen_from_page_to_page(
        self, page: Page, live_app: LiveApp
    ) -> None:
        page.goto("/")
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Meguri")
        expect(page).to_have_url(f"{live_app.base_url}/")  # the choice is a cookie, not the URL
        page.get_by_role("link", name="High contrast").click()
        expect(page.locator("body")).to_have_class("theme-high")
        page.get_by_role("link", name="Wallet (residents)").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("body")).to_have_class("theme-high")
        page.get_by_role("link", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        expect(page.locator("body")).to_have_class("theme-high")

    def test_the_choices_also_work_without_javascript(
        self, browser: Browser, live_app: LiveApp
    ) -> None:
        context = browser.new_context(base_url=live_app.base_url, java_script_enabled=False)
        page = context.new_page()
        page.goto("/admin/")
        page.get_by_role("link", name="くっきり表示にする").click()
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("body")).to_have_class("theme-high")
        expect(page.get_by_role("link", name="Standard colours")).to_be_visible()
        context.close()

    @pytest.mark.parametrize("who", WHO)
    def test_choices_made_before_signing_in_stay_on_every_signed_in_page(
        self, page: Page, sessions: Sessions, who: str
    ) -> None:
        page.goto("/")
        page.get_by_role("link", name="English").click()
        page.get_by_role("link", name="High contrast").click()
        expect(page.locator("body")).to_have_class("theme-high")
        _signed_in_home(page, sessions, who)
        links = page.locator(".nav-section a[href]")
        targets = [links.nth(i).get_attribute("href") for i in range(min(links.count(), 4))]
        for target in [SIGNED_IN[who], *targets]:
            page.goto(str(target))
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.locator("body")).to_have_class("theme-high")
            expect(page.get_by_role("link", name="Standard colours")).to_be_visible()

    @pytest.mark.parametrize("who", WHO)
    def test_switching_language_on_a_signed_in_page_keeps_the_person_signed_in(
        self, page: Page, sessions: Sessions, who: str
    ) -> None:
        path = _signed_in_home(page, sessions, who)
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("input[name=password], input[name=pin]")).to_have_count(0)
        assert page.evaluate("location.pathname") == path  # the same page, still signed in
        page.get_by_role("link", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")


class TestSignIn:
    @pytest.mark.parametrize("contrast", ["normal", "high"])
    @pytest.mark.parametrize(
        ("path", "fields"),
        [("/wallet/", ("resident_number", "pin")), ("/admin/", ("username", "password"))],
    )
    def test_a_wrong_sign_in_is_answered_in_plain_words(
        self, page: Page, path: str, fields: tuple[str, str], contrast: str
    ) -> None:
        page.goto(f"{path}?contrast={contrast}")
        page.locator(f"input[name={fields[0]}]").fill("99999999")
        page.locator(f"input[name={fields[1]}]").fill("0000")
        page.locator(f"input[name={fields[1]}]").press("Enter")
        expect(page.get_by_role("status")).not_to_be_empty()
        assert len(page.get_by_role("status").inner_text()) > 10  # a sentence, not a code
        assert page.evaluate(LOW_CONTRAST_JS) == []


def _idle_left(live_app: LiveApp, username_id: str, seconds: int) -> None:
    """Make the person's browser session look unused until ``seconds`` before it ends."""

    async def backdate(session: AsyncSession) -> None:
        idle = timedelta(minutes=30)  # a staff session's idle time (web_sessions.LIFETIMES)
        await session.execute(
            sa.update(web_session)
            .where(web_session.c.principal == username_id)
            .values(last_seen_at=sa.func.now() - idle + timedelta(seconds=seconds))
        )

    live_app.run(backdate)


class TestSessionKeeper:
    """A staff session ends after 30 minutes unused; the page asks every minute how long is
    left (asking is not use). The clock is Playwright's, so a minute passes at once."""

    def _home_then_idle(
        self, page: Page, sessions: Sessions, live_app: LiveApp, who: str, left: int
    ) -> None:
        page.clock.install()
        with page.expect_response(lambda answer: answer.url.endswith("/v1/auth/web-session")):
            _signed_in_home(page, sessions, who)  # and its first look at the time left
        _idle_left(live_app, sessions.people.principals[who], left)
        page.clock.run_for(61_000)

    def test_staff_are_warned_before_being_signed_out_and_can_stay(
        self, page: Page, sessions: Sessions, live_app: LiveApp
    ) -> None:
        self._home_then_idle(page, sessions, live_app, "staff-stays", 90)
        warning = page.get_by_role("alertdialog", name="まもなく自動でサインアウトします")
        expect(warning).to_be_visible()
        stay = warning.get_by_role("button", name="続けて使う")
        expect(stay).to_be_focused()
        stay.click()
        expect(warning).to_have_count(0)
        expect(page.get_by_role("status")).to_have_text("このまま続けて使えます。")
        state = page.request.get("/v1/auth/web-session").json()
        assert state["idle_seconds_left"] > 25 * 60

    def test_a_session_that_ended_says_so_and_offers_to_sign_in_again(
        self, page: Page, sessions: Sessions, live_app: LiveApp
    ) -> None:
        self._home_then_idle(page, sessions, live_app, "staff-leaves", -5)
        warning = page.get_by_role("alertdialog")
        expect(warning).to_contain_text("もう一度サインインしてください")
        expect(warning.get_by_role("link", name="もう一度サインインする")).to_be_focused()
