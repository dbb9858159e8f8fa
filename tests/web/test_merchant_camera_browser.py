"""The till with a real camera feed (Chromium's fake camera playing a QR image): a resident's
one-time code as the wallet served it, and a printed card with its PIN."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from currency.payments import qr_render
from currency.residents import cards
from tests.currency.auth.support import PIN
from tests.factories import Books
from tests.web import live
from tests.web.live import LiveApp
from tests.web.merchant_support import (
    PHONE,
    TABLET,
    Customer,
    Watched,
    balance,
    camera_browser,
    customer,
    open_shop,
    payment_code,
    sign_in,
    type_digits,
    write_y4m,
)

pytestmark = [pytest.mark.browser, pytest.mark.committing]
live_app = live.live_app  # the fixtures
LOCKED_JA = "このカードはロックされています。市役所にお問い合わせください。"


def enter_amount_and_scan(page: Page, amount: str) -> None:
    page.goto(page.url.split("/merchant/")[0] + "/merchant/till")
    type_digits(page, "amount-keypad", amount)
    page.click("#to-scan")


def issue_card(live: LiveApp, who: Customer) -> str:
    async def issue(books: Books) -> str:
        staff = await books.staff()
        made = await cards.issue_card(
            books.session, currency_id=books.currency_id, resident_number=who.number,
            staff_id=staff, secret=live.settings.secret_key,
        )  # fmt: skip
        return made.qr

    return live.books(issue)


def test_a_residents_code_shown_to_the_camera_pays_and_their_balance_drops(
    live_app: LiveApp, tmp_path: Path
) -> None:
    shop = open_shop(live_app)
    payer = customer(live_app, 5_000)
    _, png = payment_code(live_app, payer)  # the QR image the wallet served
    with camera_browser(write_y4m(png, tmp_path / "code.y4m")) as browser:
        page = browser.new_page(viewport=TABLET)
        watched = Watched(page)
        sign_in(page, live_app, shop.clerk)
        enter_amount_and_scan(page, "1200")
        expect(page.locator("#result-title")).to_have_text("お支払いが完了しました", timeout=30_000)
        expect(page.locator("#result")).to_have_class("result result-ok")
        expect(page.locator("#result-amount")).to_contain_text("1,200")
        expect(page.locator("#result-reference")).to_contain_text("下4けた")
        expect(page.locator("#status")).to_contain_text("お支払いが完了しました")
        assert watched.problems == []
    assert balance(live_app, payer.wallet) == 3_800
    assert balance(live_app, shop.account_id) == 1_200


def test_a_card_pays_with_its_pin_and_five_wrong_pins_lock_it_without_a_count(
    live_app: LiveApp, tmp_path: Path
) -> None:
    shop = open_shop(live_app)
    holder = customer(live_app, 3_000)
    card_qr = issue_card(live_app, holder)
    png = qr_render.png(card_qr)
    with camera_browser(write_y4m(png, tmp_path / "card.y4m")) as browser:
        page = browser.new_page(viewport=PHONE)
        watched = Watched(page)
        sign_in(page, live_app, shop.owner)
        enter_amount_and_scan(page, "500")
        expect(page.locator("#pin-heading")).to_be_visible(timeout=30_000)
        assert page.locator(".pin-dot-on").count() == 0
        type_digits(page, "pin-keypad", PIN)
        expect(page.locator(".pin-dot-on")).to_have_count(4)
        assert PIN not in page.content()  # masked: dots, never the digits
        page.click("#pin-submit")
        expect(page.locator("#step-result")).to_be_visible()
        expect(page.locator("#result-title")).to_have_text("お支払いが完了しました")
        assert balance(live_app, holder.wallet) == 2_500

        page.click("#next-payment")
        type_digits(page, "amount-keypad", "300")
        page.click("#to-scan")
        expect(page.locator("#pin-heading")).to_be_visible(timeout=30_000)
        for _ in range(6):
            type_digits(page, "pin-keypad", "1357")
            page.click("#pin-submit")
            expect(page.locator("#step-result")).to_be_visible()
            expect(page.locator("#result-title")).to_have_text("お支払いができませんでした")
            if LOCKED_JA in page.locator("#result-detail").inner_text():
                break
            expect(page.locator("#result-detail")).to_contain_text("暗証番号がちがいます")
            page.click("#result-pin-again")
        detail = page.locator("#result-detail").inner_text()
        assert LOCKED_JA in detail
        assert not any(ch.isdigit() for ch in detail)  # no tries left, no count
        expect(page.locator("#result-pin-again")).to_be_hidden()
        assert watched.problems == []
    assert balance(live_app, holder.wallet) == 2_500
