"""Issue 6, browser test 2: a resident opens a shop's printed QR link (/m/{code}?s=…),
types the amount on the keypad, shows the confirm screen, pays, and sees the completion
screen; the shop's live sales page, open in another browser signed in as the shop's clerk,
shows the payment without a reload."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from currency.payments import codes
from tests.currency.auth.support import PASSWORD, PIN, add_resident, add_user
from tests.factories import Books
from tests.web.live import LiveApp, browser, live_app  # noqa: F401
from tests.web.test_wallet_browser import phone  # noqa: F401  (a phone-sized page, watched)

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def _town(live: LiveApp) -> dict[str, Any]:
    async def make(books: Books) -> dict[str, Any]:
        clerk = await add_user(books, role="merchant_clerk")
        shop = await _clerks_shop(books, clerk.id)
        who = await add_resident(books)
        await books.charge(who.wallet, 3000)
        link = codes.shop_link(
            base_url=live.base_url, merchant_code=shop, secret=live.settings.secret_key
        )
        return {"clerk": clerk.username, "number": who.number, "link": link}

    return live.books(make)


async def _clerks_shop(books: Books, user_id: int) -> str:
    import sqlalchemy as sa

    from currency.merchants.models import merchant
    from currency.users.models import user

    query = sa.select(merchant.c.code).join(user, user.c.merchant_id == merchant.c.id)
    code = await books.session.scalar(query.where(user.c.id == user_id))
    assert code is not None
    return str(code)


def test_a_resident_pays_a_shop_from_its_poster_and_the_shop_sees_it_live(
    live_app: LiveApp,  # noqa: F811
    browser: Browser,  # noqa: F811
    phone: tuple[Page, list[str]],  # noqa: F811
) -> None:
    town = _town(live_app)
    shop_side = browser.new_context(base_url=live_app.base_url)
    signed = shop_side.request.post(
        "/v1/auth/web-session", data={"username": town["clerk"], "password": PASSWORD}
    )
    assert signed.ok, signed.text()
    sales = shop_side.new_page()
    sales.goto("/merchant/live")
    live_sales = sales.locator("#live-sales")

    page, problems = phone
    page.goto(town["link"])
    page.get_by_role("link", name="このお店に支払う").click()
    # Not signed in yet: the wallet asks, then goes on to the same shop.
    page.fill("#resident_number", town["number"])
    page.fill("#pin", PIN)
    page.click("#pin-sign-in button[type=submit]")
    expect(page.locator("#shop-name")).to_contain_text("テスト商店")
    for key in ("1", "2", "00"):
        page.click(f"#keypad [data-key='{key}']")
    page.click("#keypad [data-key='back']")
    page.click("#keypad [data-key='0']")
    expect(page.locator("#amount")).to_have_value("1200")
    page.click("#to-confirm")
    expect(page.locator("#confirm-amount")).to_have_text("1,200\u00a0コイン")
    page.click("#pay-button")
    done = page.locator("#pay-done")
    expect(done).to_contain_text("お支払いができました")
    expect(page.locator("#live-clock")).to_contain_text(":")
    operation_id = done.get_attribute("data-operation-id")
    expect(live_sales.locator(f"[data-operation-id='{operation_id}']")).to_have_count(1)
    page.goto("/wallet/")
    expect(page.locator(".amount-hero")).to_have_text("1,800\u00a0コイン")
    assert problems == []
    shop_side.close()
