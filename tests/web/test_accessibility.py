"""An accessibility scan (axe-core, run inside the page) of the main page of each app.

The landing page, each section's first page signed out, and the first page a resident, a
shopkeeper and a city staff member see once signed in: no serious or critical violations, in
the standard and the high-contrast theme, in Japanese and in English. axe-core is vendored
(tests/web/vendor/axe.min.js) and injected with `page.evaluate`, which the page's CSP does not
apply to; the app itself never serves it.
"""

from __future__ import annotations

# ruff: noqa: F811  (pytest fixtures imported from tests/web/live.py are parameters here)
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.currency.auth.support import PASSWORD, PIN, add_resident, add_user
from tests.factories import Books
from tests.web.live import LiveApp, browser, live_app  # noqa: F401  (the fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.committing]

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
# WCAG 2.1 A/AA and best practices; only what axe rates serious or critical fails the test.
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ` +
      v.nodes.slice(0, 4).map((n) => n.target.join(" ")).join(", "));
}"""
SIGN_IN_FIELDS = "input[name=password], input[name=pin]"
CHOICES = [("ja", "normal"), ("ja", "high"), ("en", "normal"), ("en", "high")]
SIGNED_OUT = ["/", "/wallet/", "/merchant/", "/admin/"]
SIGNED_IN = {"resident": "/wallet/", "shop": "/merchant/", "staff": "/admin/"}
# City staff for the session keeper's tests too (they wear their sessions out on purpose).
USERS = {
    "shop": "merchant_owner",
    "staff": "city_staff",
    "staff-stays": "city_staff",
    "staff-leaves": "city_staff",
}


@dataclass(frozen=True)
class People:
    """Sign-in bodies for POST /v1/auth/web-session, by who they are."""

    bodies: dict[str, dict[str, str]]
    principals: dict[str, str]  # "user:12", as the session table names them


class Sessions:
    """One sign-in per person per module (sign-ins are rate-limited: 5 per person per 15
    minutes); each test's browser gets a copy of that person's session cookie."""

    def __init__(self, browser: Browser, live_app: LiveApp, people: People) -> None:
        self.browser, self.live_app, self.people = browser, live_app, people
        self.cookies: dict[str, list[Any]] = {}

    def sign_in(self, page: Page, who: str) -> None:
        if who not in self.cookies:
            context = self.browser.new_context(base_url=self.live_app.base_url)
            answer = context.request.post("/v1/auth/web-session", data=self.people.bodies[who])
            assert answer.status == 200, answer.text()
            self.cookies[who] = context.storage_state()["cookies"]
            context.close()
        page.context.add_cookies(self.cookies[who])


@pytest.fixture(scope="module")
def people(live_app: LiveApp) -> People:
    async def user(books: Books, role: str) -> tuple[dict[str, str], str]:
        person = await add_user(books, role=role)
        return {"username": person.username, "password": PASSWORD}, person.principal

    async def make(books: Books) -> People:
        resident = await add_resident(books)
        await books.charge(resident.wallet, 12_000)
        await books.grant(resident.wallet, 350)
        bodies = {"resident": {"resident_number": resident.number, "pin": PIN}}
        principals = {"resident": f"resident:{resident.id}"}
        for who, role in USERS.items():
            bodies[who], principals[who] = await user(books, role)
        return People(bodies, principals)

    return live_app.books(make)


@pytest.fixture(scope="module")
def sessions(browser: Browser, live_app: LiveApp, people: People) -> Sessions:
    return Sessions(browser, live_app, people)


@pytest.fixture
def page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_app.base_url, viewport={"width": 390, "height": 844}
    )
    opened = context.new_page()
    yield opened
    context.close()


def scan(page: Page, path: str, locale: str, contrast: str) -> list[str]:
    page.goto(f"/?lang={locale}&contrast={contrast}")  # remembered (a section may redirect)
    response = page.goto(path)
    assert response is not None and response.status < 400, f"{path} answered {response}"
    assert page.locator("html").get_attribute("lang") == locale
    page.evaluate(AXE_SOURCE)
    violations: list[str] = page.evaluate(RUN_AXE)
    return violations


@pytest.mark.parametrize(("locale", "contrast"), CHOICES)
@pytest.mark.parametrize("path", SIGNED_OUT)
def test_first_pages_have_no_serious_accessibility_problems(
    page: Page, path: str, locale: str, contrast: str
) -> None:
    assert scan(page, path, locale, contrast) == []


@pytest.mark.parametrize(("locale", "contrast"), CHOICES)
@pytest.mark.parametrize("who", list(SIGNED_IN))
def test_signed_in_home_pages_have_no_serious_accessibility_problems(
    page: Page, sessions: Sessions, who: str, locale: str, contrast: str
) -> None:
    sessions.sign_in(page, who)
    path = SIGNED_IN[who]
    violations = scan(page, path, locale, contrast)
    assert page.locator(SIGN_IN_FIELDS).count() == 0, f"{path} still shows a sign-in form"
    assert violations == []
