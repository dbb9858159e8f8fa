"""The resident wallet in a real headless Chromium on a 360 px phone, under the app's CSP:
signing in (PIN, lockout, the enrolment letter), the balance and its expiry in words, my
code (a QR that decodes to a payment token), history filters, sending over the limit and
stopping a lost card."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from currency.auth import activation
from currency.residents import cards
from tests.currency.auth.support import PIN, add_resident, add_user
from tests.factories import Books
from tests.web.live import LiveApp, browser, live_app, watch  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.committing]
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(live_app: LiveApp, browser: Browser) -> Iterator[tuple[Page, list[str]]]:  # noqa: F811
    """A fresh phone-sized browser; every console error and CSP report is collected."""
    context = browser.new_context(base_url=live_app.base_url, viewport=PHONE)
    page = context.new_page()
    yield page, watch(page)
    context.close()


def resident_with_money(live: LiveApp, coins: int = 5000, points: int = 0) -> Any:
    async def make(books: Books) -> Any:
        who = await add_resident(books)
        if coins:
            await books.charge(who.wallet, coins)
        if points:
            await books.grant(who.wallet, points, days=20)
        return who

    return live.books(make)


def sign_in(page: Page, number: str, pin: str = PIN) -> None:
    page.goto("/wallet/")
    page.fill("#resident_number", number)
    page.fill("#pin", pin)
    page.click("#pin-sign-in button[type=submit]")


def fits_the_phone(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= 360"))


def test_a_wrong_pin_is_said_plainly_and_five_lock_the_pin(
    phone: tuple[Page, list[str]],
    live_app: LiveApp,  # noqa: F811
) -> None:
    page, problems = phone
    who = resident_with_money(live_app)
    sign_in(page, who.number, "9071")
    expect(page.locator("#status")).to_contain_text("住民番号か暗証番号がちがいます")
    expect(page.locator("#resident_number")).to_have_value(who.number)
    for _ in range(4):
        sign_in(page, who.number, "9071")
    expect(page.locator("#status")).to_contain_text("ロックされました。市役所の窓口に")
    sign_in(page, who.number, PIN)
    expect(page.locator("#status")).to_contain_text("分たってから、もう一度お試しください")
    assert problems == []


def test_a_resident_signs_in_and_sees_the_balance_and_when_points_end(
    phone: tuple[Page, list[str]],
    live_app: LiveApp,  # noqa: F811
) -> None:
    page, problems = phone
    who = resident_with_money(live_app, coins=5000, points=120)
    sign_in(page, who.number)
    expect(page.locator(".amount-hero")).to_have_text("5,120\u00a0コイン")
    expect(page.locator("#expiry")).to_contain_text("120\u00a0pt は")
    expect(page.locator("#expiry")).to_contain_text("まで使えます")
    expect(page.locator("#status")).to_contain_text("までしか使えません")
    assert fits_the_phone(page)
    assert problems == []


def test_activation_with_the_letter_refuses_a_weak_pin_then_opens_the_wallet(
    phone: tuple[Page, list[str]],
    live_app: LiveApp,  # noqa: F811
) -> None:
    page, problems = phone

    async def letter(books: Books) -> tuple[str, str]:
        who = await books.resident()
        staff = await add_user(books)
        made = await activation.create(
            books.session, currency_id=books.currency_id, resident_number=who.number,
            staff_user_id=staff.id, now=datetime.now(UTC), secret=live_app.settings.secret_key,
        )  # fmt: skip
        return who.number, made.code

    number, code = live_app.books(letter)
    page.goto("/wallet/")
    page.click("#activate-link")
    page.fill("#resident_number", number)
    page.fill("#activation_code", code.lower())
    for field in ("#pin", "#pin_again"):
        page.fill(field, "1234")
    page.click("#activate-form button[type=submit]")
    expect(page.locator("#status")).to_contain_text("当てられやすい")
    for field in ("#pin", "#pin_again"):
        page.fill(field, "5830")
    page.click("#activate-form button[type=submit]")
    expect(page.locator("#activated")).to_contain_text("お財布の準備ができました")
    page.click("#go-home")
    expect(page.locator(".amount-hero")).to_have_text("0\u00a0コイン")
    assert problems == []


def test_my_code_is_a_qr_that_decodes_to_a_one_time_payment_token(
    phone: tuple[Page, list[str]],
    live_app: LiveApp,  # noqa: F811
) -> None:
    page, problems = phone
    who = resident_with_money(live_app)
    sign_in(page, who.number)
    page.click("#go-code")
    code = page.locator("#payment-code")
    expect(code).to_be_visible()
    expect(page.locator(".countdown")).to_contain_text("秒")
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())))
    assert [r.text[:5] for r in found] == ["MGP1."]
    expect(page.locator("#code-balance")).to_have_text("5,000\u00a0コイン")
    assert fits_the_phone(page)
    assert problems == []


def test_history_filters_show_only_what_was_asked(
    phone: tuple[Page, list[str]],
    live_app: LiveApp,  # noqa: F811
) -> None:
    page, problems = phone
    who = resident_with_money(live_app, coins=3000, points=200)
    sign_in(page, who.number)
    page.goto("/wallet/history")
    expect(page.locator("#history-list li")).to_have_count(2)
    page.click("[data-filter=points]")
    expect(page.locator("#history-list li")).to_have_count(1)
    expect(page.locator("#history-list")).to_contain_text("+200\u00a0pt")
    page.click("[data-filter=payments]")
    expect(page.locator("#history-empty")).to_be_visible()
    assert problems == []


def test_sending_over_the_limit_is_refused_plainly_and_nothing_moves(
    phone: tuple[Page, list[str]],
    live_app: LiveApp,  # noqa: F811
) -> None:
    page, problems = phone
    who = resident_with_money(live_app, coins=50_000)
    friend = resident_with_money(live_app, coins=0)
    sign_in(page, who.number)
    page.click("#go-send")
    page.fill("#to", friend.number)
    page.fill("#send-amount", "20000")
    page.click("#send-form button[type=submit]")
    expect(page.locator("#status")).to_contain_text("1回に送れるのは 10,000 までです")
    page.fill("#send-amount", "500")
    page.click("#send-form button[type=submit]")
    expect(page.locator("#send-amount-check")).to_have_text("500\u00a0コイン")
    page.click("#send-button")
    expect(page.locator("#send-done")).to_contain_text("送りました")
    page.goto("/wallet/")
    expect(page.locator(".amount-hero")).to_have_text("49,500\u00a0コイン")
    assert problems == []


def test_a_lost_card_is_stopped_after_a_confirmation_and_the_page_says_what_next(
    phone: tuple[Page, list[str]],
    live_app: LiveApp,  # noqa: F811
) -> None:
    page, problems = phone

    async def with_card(books: Books) -> Any:
        who = await add_resident(books)
        staff = await books.staff()
        await cards.issue_card(
            books.session, currency_id=books.currency_id, resident_number=who.number,
            staff_id=staff, secret=live_app.settings.secret_key,
        )  # fmt: skip
        return who

    who = live_app.books(with_card)
    sign_in(page, who.number)
    page.click("#go-card")
    expect(page.locator("#card-status")).to_contain_text("使えます")
    page.click("#block-card")
    page.click("#block-confirm")
    expect(page.locator("#card-blocked")).to_contain_text("カードを止めました")
    expect(page.locator("#card-status")).to_have_attribute("data-status", "blocked")
    expect(page.locator("#card-next-steps")).to_contain_text("市役所の窓口")
    assert problems == []
