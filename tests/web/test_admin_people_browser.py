"""The staff console's people side in a real headless Chromium: a clerk signs in, enrols a
resident and prints the letter, issues, blocks and reissues cards, charges at the counter,
registers a shop; an auditor reads but cannot act; the audit log filters and downloads."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth import activation
from currency.clock import JAPAN
from currency.issuance import rulebook
from currency.issuance.rules import ChargePremium, LocalizedName
from currency.residents import card_codes
from tests.currency.auth.support import PASSWORD, Person, add_user
from tests.factories import Books, Resident
from tests.web.live import LiveApp, browser, live_app, watch  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.committing]
DESKTOP = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def errors() -> list[str]:
    return []


@pytest.fixture
def page(live_app: LiveApp, browser: Browser, errors: list[str]) -> Iterator[Page]:  # noqa: F811
    opened = open_page(browser, live_app, errors)
    yield opened
    opened.context.close()
    assert errors == [], "a console page logged a script error or a CSP violation"


def open_page(browser: Browser, live_app: LiveApp, errors: list[str]) -> Page:  # noqa: F811
    """A desktop-sized page of its own (own cookies) whose script errors land in ``errors``."""
    context = browser.new_context(
        base_url=live_app.base_url, viewport=DESKTOP, accept_downloads=True
    )
    opened = context.new_page()
    watch(opened, errors)
    return opened


def staff(live_app: LiveApp, role: str = "city_staff") -> Person:  # noqa: F811
    return live_app.books(lambda books: add_user(books, role=role))


def sign_in(page: Page, person: Person) -> None:
    page.goto("/admin/")
    page.get_by_label("ログインID").fill(person.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="サインイン").click()
    expect(page.get_by_role("heading", name="職員用コンソール", level=1)).to_be_visible()


def resident(live_app: LiveApp, **kwargs: object) -> Resident:  # noqa: F811
    return live_app.books(lambda books: books.resident(**kwargs))  # type: ignore[arg-type]


def main_buttons(page: Page) -> list[str]:
    return page.locator("main button, main a.button").all_inner_texts()


class TestSignIn:
    def test_staff_sign_in_and_see_the_menu_with_their_name_and_role(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        clerk = staff(live_app)
        sign_in(page, clerk)
        nav = page.get_by_role("navigation", name="職員用メニュー")
        for label in ("ホーム", "住民", "カード", "お店", "ルール", "ポイント事業", "付与",
                      "イベント", "精算", "取消の承認", "監査ログ", "レポート"):  # fmt: skip
            expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
        expect(nav.get_by_role("link", name="ルール", exact=True)).to_have_attribute(
            "href", "/admin/rules"
        )
        expect(page.locator("[data-role]")).to_have_text("職員")
        expect(page.get_by_text("今日（")).to_be_visible()

    def test_a_wrong_password_is_refused_in_plain_words(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        clerk = staff(live_app)
        page.goto("/admin/")
        page.get_by_label("ログインID").fill(clerk.username)
        page.get_by_label("パスワード").fill("not-the-password")
        page.locator("main").get_by_role("button", name="サインイン").click()
        expect(page.locator("#status")).not_to_be_empty()
        expect(page.get_by_label("ログインID")).to_have_value(clerk.username)

    def test_a_shop_user_is_sent_to_the_shop_pages(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        owner = staff(live_app, role="merchant_owner")
        page.goto("/admin/")
        page.get_by_label("ログインID").fill(owner.username)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="サインイン").click()
        expect(page.locator("#status")).to_contain_text("/merchant/")


class TestResidents:
    def test_enrol_then_the_letter_code_activates_the_wallet(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        sign_in(page, staff(live_app))
        page.goto("/admin/residents/new")
        page.get_by_role("button", name="登録する").click()  # empty: each field says so
        expect(page.locator("#resident_number-error")).to_have_text("入力してください。")
        number = f"S{id(page) % 10**8:08d}"
        page.get_by_label("住民番号").fill(number)
        page.get_by_label("名前", exact=True).fill("佐伯 花子")
        page.get_by_label("フリガナ").fill("サイキ ハナコ")
        page.get_by_label("地区").fill("上浦")
        page.get_by_label("生まれた年").fill("19４8")
        page.get_by_role("button", name="登録する").click()
        expect(page.locator("#status")).to_contain_text("住民を登録しました")
        expect(page.locator(".resident-number")).to_have_text(number)
        page.get_by_role("button", name="利用開始の手紙を印刷する").click()
        expect(page.get_by_role("heading", name="めぐり 利用開始のご案内")).to_be_visible()
        code = page.locator(".code").inner_text().strip()

        async def activate(session: AsyncSession) -> str:
            who = await activation.activate(
                session, currency_id=live_app.currency_id, resident_number=number, code=code,
                new_pin="4827", now=_now(), ip="127.0.0.1", secret=live_app.settings.secret_key,
            )  # fmt: skip
            return who.role

        assert live_app.run(activate) == "resident"

    def test_search_finds_by_kana_in_hiragana(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        sign_in(page, staff(live_app))
        found = resident(live_app)
        page.goto(f"/admin/residents?q={found.number}")
        row = page.locator(".data-table tbody tr")
        expect(row).to_have_count(1)
        row.get_by_role("link", name=found.number).click()
        expect(page.locator(".resident-number")).to_have_text(found.number)

    def test_issue_a_card_and_its_sheet_qr_decodes(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        sign_in(page, staff(live_app))
        holder = resident(live_app, has_smartphone=False)
        page.goto(f"/admin/residents/{holder.number}")
        page.get_by_role("button", name="カードを発行する").click()
        expect(page.locator("#status")).to_contain_text("カードを発行しました")
        printed = page.locator(".card-number").inner_text()
        with page.context.expect_page() as opened:
            page.get_by_role("link", name="カードを印刷する").click()
        sheet = opened.value
        expect(sheet.locator(".number")).to_have_text(printed)
        image = Image.open(io.BytesIO(sheet.locator(".qr svg").screenshot()))
        decoded = [r.text for r in zxingcpp.read_barcodes(image)]
        assert len(decoded) == 1
        assert card_codes.parse_payload(decoded[0]).card_number == printed.replace(" ", "")

    def test_block_then_reissue_a_lost_card(self, page: Page, live_app: LiveApp) -> None:  # noqa: F811
        sign_in(page, staff(live_app))
        holder = resident(live_app, has_smartphone=False)
        page.goto(f"/admin/residents/{holder.number}")
        page.get_by_role("button", name="カードを発行する").click()
        first = page.locator(".card-number").inner_text()
        page.get_by_role("button", name="カードを利用停止にする").click()
        expect(page.locator("#block_reason-error")).to_be_visible()
        page.get_by_label("利用停止の理由（例: 紛失）").fill("紛失（本人から電話）")
        page.get_by_role("button", name="カードを利用停止にする").click()
        expect(page.locator("#status")).to_contain_text("利用停止にしました")
        expect(page.get_by_text("カード利用停止", exact=True)).to_be_visible()
        page.get_by_label("再発行の理由（例: 紛失、破損）").fill("紛失")
        page.get_by_role("button", name="カードを再発行する").click()
        expect(page.locator("#status")).to_contain_text("再発行しました")
        expect(page.get_by_text("カード利用中", exact=True)).to_be_visible()
        assert page.locator(".card-number").inner_text() != first

    def test_a_counter_charge_shows_the_premium_and_charges_once(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        live_app.books(premium_campaign)
        sign_in(page, staff(live_app))
        payer = resident(live_app)
        page.goto(f"/admin/residents/{payer.number}/charge")
        page.get_by_label("受け取った金額（円）").fill("１０,０００")
        sent = {name: page.locator(f"main input[name={name}]").input_value()
                for name in ("csrf_token", "key", "yen", "reference")}  # fmt: skip
        page.get_by_role("button", name="チャージする").click()
        expect(page.locator("#charged-coins")).to_contain_text("10,000")
        expect(page.locator("#charged-premium")).to_contain_text("2,000")
        again = page.request.post(f"/admin/residents/{payer.number}/charge", form=sent)
        assert again.status == 200  # the same form (same key) sent twice: charged once
        assert "チャージは1回だけ行われています" in again.text()
        assert live_app.books(lambda b: b.balance(payer.wallet)) == 12_000


async def premium_campaign(books: Books) -> None:
    """A 20% premium (in points) drafted by one staff member and approved by another."""
    now = _now()
    rule = ChargePremium(
        code=f"counter{books.currency_id}", name=LocalizedName(ja="窓口応援", en="Counter bonus"),
        rate_bp=2000, premium_kind="point", cap_per_resident=5_000, budget=1_000_000,
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
        channels=("counter",),
    )  # fmt: skip
    alice, bob = await books.staff(), await books.staff()
    drafted = await rulebook.draft(
        books.session, currency_id=books.currency_id, staff_id=alice, rule=rule,
        starts_at=now - timedelta(days=1),
    )  # fmt: skip
    await rulebook.approve(books.session, currency_id=books.currency_id, staff_id=bob,
                           rule_id=drafted.id)  # fmt: skip


def _now():  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.now(JAPAN)


class TestAuditor:
    def test_an_auditor_sees_no_actions_and_a_direct_post_is_refused(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        sign_in(page, staff(live_app, role="city_auditor"))
        expect(page.locator("[data-role]")).to_have_text("監査（閲覧のみ）")
        holder = resident(live_app)
        for path in (f"/admin/residents/{holder.number}", "/admin/residents", "/admin/",
                     "/admin/merchants", "/admin/audit"):  # fmt: skip
            page.goto(path)
            assert page.locator("main form[method=post]").count() == 0, path
            assert not any(b in main_buttons(page) for b in ("住民を登録する", "チャージする",
                           "カードを発行する", "お店を登録する", "利用停止にする"))  # fmt: skip
        token = page.locator("meta[name=csrf-token]").get_attribute("content")
        refused = page.request.post(
            f"/admin/residents/{holder.number}/cards", form={"csrf_token": token or ""}
        )
        assert refused.status == 403
        assert "閲覧のみ" in refused.text()
        page.goto(f"/admin/residents/{holder.number}")
        expect(page.get_by_text("カードはまだ発行されていません。")).to_be_visible()


class TestShops:
    def test_onboard_a_shop_and_its_bank_account_is_shown_masked(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        sign_in(page, staff(live_app))
        page.goto("/admin/merchants/new")
        page.get_by_label("お店の名前", exact=True).fill("佐伯鮮魚店")
        page.get_by_label("お店の名前のフリガナ").fill("サイキセンギョテン")
        page.get_by_label("地区").fill("佐伯")
        page.get_by_label("業種").fill("food")
        page.get_by_label("タグ").fill("small-business, food")
        page.get_by_role("button", name="登録する").click()
        expect(page.locator("#status")).to_contain_text("お店を登録しました")
        page.get_by_text("振込口座を登録する").click()
        fill_bank(page, holder="佐伯鮮魚店")
        expect(page.locator("#holder_kana-error")).to_contain_text("カタカナ")
        expect(page.get_by_label("口座番号（7けた）")).to_have_value("1234567")
        fill_bank(page, holder="ｻｲｷｾﾝｷﾞｮﾃﾝ")
        expect(page.locator("#status")).to_contain_text("振込口座を保存しました")
        expect(page.locator(".masked")).to_have_text("***4567")
        assert "1234567" not in page.content()
        page.get_by_label("利用者の名前").fill("佐伯 一郎")
        page.get_by_role("button", name="利用者を追加する").click()
        expect(page.locator(".initial-password")).to_have_text(
            re.compile(r"^\S{4}-\S{4}-\S{4}-\S{4}$")
        )


def fill_bank(page: Page, *, holder: str) -> None:
    page.get_by_label("金融機関コード（4けた）").fill("0183")
    page.get_by_label("金融機関名（カタカナ）").fill("オオイタギンコウ")
    page.get_by_label("支店コード（3けた）").fill("101")
    page.get_by_label("支店名（カタカナ）").fill("サイキ")
    page.get_by_label("預金の種類").select_option("1")
    page.get_by_label("口座番号（7けた）").fill("1234567")
    page.get_by_label("口座名義（カタカナ）").fill(holder)
    page.get_by_role("button", name="振込口座を保存する").click()


class TestAuditLog:
    def test_filter_by_action_and_download_the_csv(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        sign_in(page, staff(live_app))
        holder = resident(live_app)
        page.goto(f"/admin/residents/{holder.number}")  # audited: resident.viewed
        page.goto("/admin/audit")
        page.get_by_label("対象（例: resident:S0001、merchant:）").fill(f"resident:{holder.number}")
        page.get_by_role("button", name="絞り込む").click()
        rows = page.locator(".data-table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("resident.viewed")
        with page.expect_download() as downloading:
            page.get_by_role("link", name="CSVをダウンロード").click()
        data = open(downloading.value.path(), "rb").read()
        assert data.startswith(b"\xef\xbb\xbf")
        lines = data.decode("utf-8-sig").strip().splitlines()
        assert lines[0].startswith("id,created_at,actor")
        assert len(lines) == 2 and f"resident:{holder.number}" in lines[1]


class TestLayout:
    @pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1024x768", "390x844"])
    def test_console_pages_fit_the_window(
        self,
        page: Page,
        live_app: LiveApp,  # noqa: F811
        size: dict[str, int],
    ) -> None:
        page.set_viewport_size(size)
        sign_in(page, staff(live_app))
        holder = resident(live_app)
        for path in ("/admin/", "/admin/residents?q=a", f"/admin/residents/{holder.number}",
                     "/admin/merchants", "/admin/audit", "/admin/residents/new"):  # fmt: skip
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], path
