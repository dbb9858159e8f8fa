"""The staff console's money side in a real headless Chromium, as city staff use it: a premium
campaign drafted by one person and approved by another, then paid at the counter; a bulk
grant file with a bad row; a settlement run and its bank files; a reversal with a second
approval; the reports' charts and their tables; an auditor who can only read; phone and
tablet windows; no script errors or CSP violations anywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from currency import clock
from currency.clock import JAPAN
from currency.issuance import rulebook
from currency.issuance.rules import Activity, LocalizedName, PointProgramme, SettlementSchedule
from currency.issuance.schedule import settlement_period
from currency.payments import service as payments
from currency.settlement import zengin
from tests.currency.settlement.test_payouts import with_account
from tests.factories import Books, Resident, as_superuser
from tests.web.live import LiveApp, browser, live_app  # noqa: F401  (fixtures)
from tests.web.test_accessibility import AXE_SOURCE, RUN_AXE
from tests.web.test_admin_people_browser import (
    DESKTOP,
    PHONE,
    errors,  # noqa: F401  (fixture)
    main_buttons,
    open_page,
    page,  # noqa: F401  (fixture)
    resident,
    sign_in,
    staff,
)

pytestmark = [pytest.mark.browser, pytest.mark.committing]
READING = {"表示する", "報告を作る"}  # buttons that only choose what to read (GET forms)
MONEY_PAGES = ("/admin/rules", "/admin/rules/new", "/admin/programmes", "/admin/grants",
               "/admin/grants/bulk", "/admin/events", "/admin/settlements", "/admin/reversals",
               "/admin/reports")  # fmt: skip


@pytest.fixture
def second(
    live_app: LiveApp,  # noqa: F811
    browser: Browser,  # noqa: F811
    errors: list[str],  # noqa: F811
) -> Iterator[Page]:
    """Another staff member's own browser (a second context: its own cookies)."""
    opened = open_page(browser, live_app, errors)
    yield opened
    opened.context.close()


def csrf(on: Page) -> str:
    return on.locator("meta[name=csrf-token]").get_attribute("content") or ""


def minutes(moment: datetime) -> str:
    return moment.astimezone(JAPAN).strftime("%Y-%m-%dT%H:%M")


class TestPremiumCampaign:
    def test_drafted_by_one_approved_by_another_then_a_counter_charge_gets_the_premium(
        self,
        page: Page,  # noqa: F811
        second: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        alice, bob = staff(live_app), staff(live_app)
        sign_in(page, alice)
        page.goto("/admin/rules/new?kind=charge_premium")
        fields = {"#code": f"winter-{live_app.currency_id}", "#name_ja": "冬のプレミアム",
                  "#name_en": "Winter premium", "#rate": "20", "#cap_per_resident": "5000",
                  "#budget": "100000",
                  "#ends_at": minutes(datetime.now(UTC) + timedelta(days=30))}  # fmt: skip
        for selector, value in fields.items():
            page.locator(selector).fill(value)
        page.get_by_role("button", name="下書きを保存する").click()
        expect(page.locator("#rule-status")).to_have_text("承認待ち")
        expect(page.locator("#rule-diff")).to_contain_text("20")
        expect(page.locator("#own-draft")).to_be_visible()
        expect(page.locator("#approve")).to_have_count(0)
        approve = re.sub(r"\?.*$", "", page.url) + "/approve"
        forged = page.request.post(approve, form={"csrf_token": csrf(page)})
        assert forged.status == 403
        assert "別の職員" in forged.text()

        sign_in(second, bob)
        second.goto(approve.removesuffix("/approve"))
        second.locator("#approve").click()
        expect(second.locator("#rule-status")).to_have_text("承認済み")
        expect(second.locator("#status")).to_contain_text("承認しました")
        payer = resident(live_app)
        second.goto(f"/admin/residents/{payer.number}/charge")
        second.get_by_label("受け取った金額（円）").fill("10000")
        second.get_by_role("button", name="チャージする").click()
        expect(second.locator("#charged-premium")).to_contain_text("2,000")
        assert live_app.books(lambda b: b.balance(payer.wallet)) == 12_000


def volunteering(live_app: LiveApp) -> str:  # noqa: F811
    """A point programme in force (beach clean-up, 500 pt), approved by two staff."""
    code = f"volunteer-{live_app.currency_id}"

    async def adopt(books: Books) -> None:
        rule = PointProgramme(
            code=code, name=LocalizedName(ja="ボランティア", en="Volunteering"),
            activities=(Activity(code="beach", name=LocalizedName(ja="海岸清掃", en="Beach"),
                                 points=500),),
            budget=100_000,
        )  # fmt: skip
        a, b = await books.staff(), await books.staff()
        starts = datetime.now(UTC) - timedelta(days=1)
        drafted = await rulebook.draft(books.session, currency_id=books.currency_id,
                                       staff_id=a, rule=rule, starts_at=starts)  # fmt: skip
        await rulebook.approve(books.session, currency_id=books.currency_id, staff_id=b,
                               rule_id=drafted.id)  # fmt: skip

    live_app.books(adopt)
    return code


def upload(on: Page, programme: str, rows: list[str]) -> None:
    body = "住民番号,活動,ポイント\n" + "\n".join(rows) + "\n"
    on.goto("/admin/grants/bulk")
    on.locator("#programme").select_option(programme)
    on.locator("#file").set_input_files(
        files=[{"name": "grants.csv", "mimeType": "text/csv", "buffer": body.encode()}]
    )
    on.get_by_role("button", name="ファイルを確認する").click()


class TestBulkGrants:
    def test_a_bad_row_is_marked_and_blocks_the_commit_until_the_fixed_file_grants_once(
        self,
        page: Page,  # noqa: F811
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        programme = volunteering(live_app)
        people = [resident(live_app) for _ in range(2)]
        sign_in(page, staff(live_app))
        rows = [f"{p.number},beach,500" for p in people]
        upload(page, programme, [*rows, "S99999999,beach,500"])
        bad = page.locator("#preview-table tr[data-line='4']")
        expect(bad).to_have_class(re.compile("row-bad"))
        expect(bad.locator(".row-problem")).not_to_be_empty()
        expect(bad).to_contain_text("✗")
        expect(page.locator("#bad-rows")).to_have_text("1")
        expect(page.locator("#commit")).to_be_disabled()
        forced = page.request.post("/admin/grants/bulk/commit", form={
            "csrf_token": csrf(page), "programme": programme,
            "data": page.locator("input[name=data]").input_value(),
        })  # fmt: skip
        assert forced.status == 422
        assert balances(live_app, people) == [0, 0]

        upload(page, programme, rows)
        expect(page.locator("#bad-rows")).to_have_text("0")
        sent = {"csrf_token": csrf(page), "programme": programme,
                "data": page.locator("input[name=data]").input_value()}  # fmt: skip
        page.locator("#commit").click()
        expect(page.locator("#bulk-result")).to_contain_text("2")
        again = page.request.post("/admin/grants/bulk/commit", form=sent)
        assert again.status == 200 and "このファイルは付与済みです" in again.text()
        assert balances(live_app, people) == [500, 500]  # each row granted once


def balances(live_app: LiveApp, people: list[Resident]) -> list[int]:  # noqa: F811
    return [live_app.books(lambda b, p=p: b.balance(p.wallet)) for p in people]  # type: ignore[misc]


class TestSettlements:
    def test_a_period_is_settled_and_both_files_download_the_bank_file_parsing_back(
        self,
        page: Page,  # noqa: F811
        live_app: LiveApp,  # noqa: F811
        tmp_path: Path,
    ) -> None:
        period = sales_before_a_cut_off(live_app)
        sign_in(page, staff(live_app))
        page.goto(f"/admin/settlements?period={period}")
        page.get_by_role("button", name="精算を実行する").click()
        expect(page.locator("#status")).to_contain_text("精算")
        expect(page.locator("#payout-total")).to_contain_text("7,880")  # 8,000 less 1.5%
        with page.expect_download() as bank_file:
            page.locator("#zengin").click()
        records = zengin.parse(Path(bank_file.value.path()).read_bytes())
        zengin.check(records)
        assert [r.number("amount") for r in records if r.data_kind == "2"] == [7_880]
        with page.expect_download() as table:
            page.locator("#csv").click()
        text = Path(table.value.path()).read_bytes().decode("utf-8-sig")
        assert "7880" in text.replace(",", "")


def sales_before_a_cut_off(live_app: LiveApp) -> str:  # noqa: F811
    """A shop with a bank account sold 3,000 and 5,000 twenty days ago (a closed period)."""

    async def sell(books: Books) -> tuple[list[int], int]:
        shop = await books.shop()
        await with_account(books, shop, live_app.settings, "1000001")
        wallet = await books.wallet()
        await books.charge(wallet, 8_000)
        paid = [await payments.pay(
            books.session, currency_id=books.currency_id, wallet_account_id=wallet,
            merchant_id=shop.id, amount=amount, actor=f"wallet:{wallet}", today=books.today,
        ) for amount in (3_000, 5_000)]  # fmt: skip
        return [p.operation_id for p in paid], shop.account_id

    operations, _ = live_app.books(sell)
    ids = ",".join(map(str, operations))
    shift = "SET created_at = created_at - interval '20 days'"
    live_app.run(lambda _: as_superuser(live_app.db, (
        f"UPDATE ledger_transfer {shift} WHERE operation_id IN ({ids}); "
        f"UPDATE ledger_operation {shift} WHERE id IN ({ids});"
    )))  # fmt: skip
    day = (datetime.now(JAPAN) - timedelta(days=20)).date()
    return settlement_period(SettlementSchedule(), day=day).ends_on.isoformat()


class TestReversals:
    def test_one_asks_with_a_reason_another_approves_and_the_charge_is_undone(
        self,
        page: Page,  # noqa: F811
        second: Page,
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        payer = resident(live_app)
        charged = live_app.books(lambda b: b.charge(payer.wallet, 3_000))
        sign_in(page, staff(live_app))
        page.goto("/admin/reversals")
        page.get_by_label("取引番号").fill(str(charged.operation_id))
        page.get_by_label("理由").fill("金額の入力まちがい")
        page.get_by_role("button", name="承認を依頼する").click()
        mine = page.locator(f"section:has-text('{charged.operation_id}')").last
        expect(mine.locator(".notice")).to_be_visible()
        expect(mine.get_by_role("button", name="取り消しを承認する")).to_have_count(0)

        sign_in(second, staff(live_app))
        second.goto("/admin/reversals")
        theirs = second.locator(f"section:has-text('{charged.operation_id}')").last
        theirs.get_by_role("button", name="取り消しを承認する").click()
        expect(second.locator("#status")).to_contain_text(str(charged.operation_id))
        assert live_app.books(lambda b: b.balance(payer.wallet)) == 0


class TestReports:
    def test_each_chart_has_a_name_a_description_and_its_figures_in_a_table(
        self,
        page: Page,  # noqa: F811
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        sign_in(page, staff(live_app))
        page.goto("/admin/reports")
        charts = page.locator("svg.chart[role=img]")
        expect(charts).to_have_count(4)
        for n in range(4):
            chart = charts.nth(n)
            assert chart.get_attribute("aria-labelledby") or chart.get_attribute("aria-label")
            expect(chart.locator("title").first).not_to_be_empty()
            expect(chart.locator("desc")).not_to_be_empty()
        for table in ("#table-held", "#table-top", "#table-budgets"):
            expect(page.locator(table)).to_be_visible()
        page.get_by_text("数字を表で見る").click()
        expect(page.locator("#table-flows")).to_be_visible()
        today = clock.today().isoformat()
        expect(page.locator("#table-flows tbody tr").first).to_contain_text(today)
        expect(page.get_by_role("link", name="どなたでも見られるオープンデータ")).to_be_visible()


class TestAuditor:
    def test_an_auditor_reads_every_money_page_without_actions_and_a_post_is_refused(
        self,
        page: Page,  # noqa: F811
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        sign_in(page, staff(live_app, role="city_auditor"))
        for path in MONEY_PAGES:
            page.goto(path)
            expect(page.locator("[data-role]")).to_have_text("監査（閲覧のみ）")
            assert page.locator("main form[method=post]").count() == 0, path
            assert set(main_buttons(page)) <= READING, path  # "show", "make the report"
        refused = page.request.post("/admin/reversals", form={
            "csrf_token": csrf(page), "operation_id": "1", "reason": "test"})  # fmt: skip
        assert refused.status == 403 and "閲覧のみ" in refused.text()


def menu(on: Page) -> list[tuple[str, str]]:
    # the words in the page, folded or not (inner_text is empty while admin.js has not yet
    # unfolded the menu on a wide window: that race made this test flaky)
    links = on.locator("nav.admin-nav a")
    return [(a.get_attribute("href") or "", (a.text_content() or "").strip()) for a in links.all()]


class TestLayout:
    def test_the_menu_is_the_same_on_people_and_money_pages(
        self,
        page: Page,  # noqa: F811
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        sign_in(page, staff(live_app))
        first = menu(page)
        assert len(first) == 12
        for path in ("/admin/residents", *MONEY_PAGES):
            page.goto(path)
            assert menu(page) == first, path
            expect(page.locator("nav.admin-nav [aria-current=page]")).to_have_count(1)
            expect(page.locator("[data-role]")).to_have_text("職員")
            expect(page.locator(".signed-in-name")).to_be_visible()

    @pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1024x768", "390x844"])
    def test_money_pages_fit_the_window_and_every_table_cell_is_labelled(
        self,
        page: Page,  # noqa: F811
        live_app: LiveApp,  # noqa: F811
        size: dict[str, int],
    ) -> None:
        page.set_viewport_size(size)
        sign_in(page, staff(live_app))
        for path in MONEY_PAGES:
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], path
            unlabelled = page.locator(".data-table td:not([data-label]), "
                                      ".data-table tbody th:not([data-label])")  # fmt: skip
            assert unlabelled.count() == 0, path

    def test_on_a_phone_the_menu_folds_into_one_line_above_a_long_page(
        self,
        page: Page,  # noqa: F811
        live_app: LiveApp,  # noqa: F811
    ) -> None:
        page.set_viewport_size(PHONE)
        sign_in(page, staff(live_app))
        page.goto("/admin/rules")
        summary = page.locator("nav.admin-nav summary")
        expect(summary).to_have_text("メニュー: ルール")
        expect(page.get_by_role("link", name="精算", exact=True)).to_be_hidden()
        top = page.get_by_role("heading", level=1).bounding_box()
        assert top is not None and top["y"] < PHONE["height"] / 2
        summary.click()
        page.get_by_role("link", name="精算", exact=True).click()
        expect(page).to_have_url(re.compile("/admin/settlements$"))

    @pytest.mark.parametrize("path", ["/admin/rules", "/admin/reports", "/admin/grants/bulk"])
    def test_high_contrast_money_pages_have_no_serious_accessibility_problems(
        self,
        page: Page,  # noqa: F811
        live_app: LiveApp,  # noqa: F811
        path: str,
    ) -> None:
        sign_in(page, staff(live_app))
        page.goto("/?contrast=high")
        page.goto(path)
        page.evaluate(AXE_SOURCE)
        assert page.evaluate(RUN_AXE) == []
