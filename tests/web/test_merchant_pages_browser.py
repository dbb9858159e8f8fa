"""The shop app in a real browser: live sales without reload, a clerk's refund with the
owner's PIN, the till on a tablet and a phone, no script errors or CSP violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web import live
from tests.web.live import LiveApp
from tests.web.merchant_support import (
    OWNER_PIN,
    PHONE,
    TABLET,
    Watched,
    balance,
    customer,
    open_shop,
    pay_through_api,
    sign_in,
    type_digits,
)

pytestmark = [pytest.mark.browser, pytest.mark.committing]
live_app = live.live_app  # the fixtures
browser = live.browser
PAGES = ["start", "till", "live", "request", "sales", "poster", "settlements"]


def fits(page: Page) -> bool:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    return bool(width[0] <= width[1])


def test_a_payment_made_through_the_api_appears_in_live_sales_without_reload(
    live_app: LiveApp, browser: Browser
) -> None:
    shop = open_shop(live_app)
    payer = customer(live_app, 5_000)
    page = browser.new_page(viewport=TABLET)
    watched = Watched(page)
    sign_in(page, live_app, shop.owner)
    page.goto(f"{live_app.base_url}/merchant/live")
    expect(page.locator("#live-connection")).to_contain_text("自動更新中")
    paid = pay_through_api(live_app, shop, payer, 1_500)
    row = page.locator(f'#live-sales [data-operation-id="{paid}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("1,500")
    expect(row).to_contain_text(f"{paid % 10_000:04d}")
    expect(page.locator("#today-total")).to_contain_text("1,500")
    expect(page.locator("#live-announcer")).to_contain_text("1,500")
    page.reload()  # the same payment once, not twice, after a reload
    expect(page.locator(f'#live-sales [data-operation-id="{paid}"]')).to_have_count(1)
    assert watched.problems == []


def test_a_clerk_refunds_part_of_a_payment_with_the_owners_pin(
    live_app: LiveApp, browser: Browser
) -> None:
    shop = open_shop(live_app)
    payer = customer(live_app, 5_000)
    paid = pay_through_api(live_app, shop, payer, 1_000)
    page = browser.new_page(viewport=PHONE)
    watched = Watched(page)
    sign_in(page, live_app, shop.clerk)
    page.goto(f"{live_app.base_url}/merchant/payments/{paid}")
    expect(page.locator("#payment-refundable")).to_contain_text("1,000")
    page.fill("#amount", "400")
    page.fill("#owner_pin", "000000")
    page.click("#refund-form button[type=submit]")
    expect(page.locator("#status")).to_contain_text("暗証番号")
    assert balance(live_app, payer.wallet) == 4_000
    page.fill("#owner_pin", OWNER_PIN)
    page.click("#refund-form button[type=submit]")
    expect(page.locator("#status")).to_contain_text("返金しました")
    expect(page.locator("#payment-refundable")).to_contain_text("600")
    assert balance(live_app, payer.wallet) == 4_400
    assert watched.problems == []


def test_a_clerk_does_not_see_settlements(live_app: LiveApp, browser: Browser) -> None:
    shop = open_shop(live_app)
    page = browser.new_page(viewport=PHONE)
    sign_in(page, live_app, shop.clerk)
    response = page.goto(f"{live_app.base_url}/merchant/settlements")
    assert response is not None and response.status == 403
    expect(page.locator("#status")).to_contain_text("店主の方だけ")


@pytest.mark.parametrize("size", [TABLET, PHONE], ids=["tablet", "phone"])
def test_every_shop_page_fits_the_screen_without_script_errors(
    live_app: LiveApp, browser: Browser, size: dict[str, int]
) -> None:
    shop = open_shop(live_app)
    page = browser.new_page(viewport=size)  # type: ignore[arg-type]
    watched = Watched(page)
    sign_in(page, live_app, shop.owner)
    for name in PAGES:
        page.goto(f"{live_app.base_url}/merchant/{name}")
        expect(page.locator("h1").first).to_be_attached()
        assert fits(page), name
    page.goto(f"{live_app.base_url}/merchant/till")
    type_digits(page, "amount-keypad", "2500")
    expect(page.locator("#amount-value")).to_have_text("2,500")
    expect(page.locator("#to-scan")).to_be_enabled()
    assert watched.problems == []


def test_signing_in_with_a_wrong_password_says_so_and_keeps_the_username(
    live_app: LiveApp, browser: Browser
) -> None:
    shop = open_shop(live_app)
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_app.base_url}/merchant/")
    page.fill("#username", shop.owner)
    page.fill("#password", "not-the-password")
    page.click("form button[type=submit]")
    expect(page.locator("#status")).not_to_be_empty()
    expect(page.locator("#username")).to_have_value(shop.owner)
    assert "/merchant/start" not in page.url
