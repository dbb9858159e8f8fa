"""The shared web shell and the three entry pages, as residents, shops and city staff see
them: the whole app (api.main.create_app) over the test database, through the `client`
fixture of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api import web
from currency.settings import Settings
from tests.currency.auth.support import PASSWORD, add_resident, add_user, currency_code
from tests.factories import Books

ROOT = Path(__file__).resolve().parents[2]
ENTRY_PAGES = {
    "/wallet/": ("お財布", ["resident_number", "pin"]),
    "/merchant/": ("お店の方", ["username", "password"]),
    "/admin/": ("市の職員の方", ["username", "password"]),
}
ALL_PAGES = ["/", *ENTRY_PAGES]
WRONG_PIN_JA = "住民番号か暗証番号がちがいます。"  # the start of the wallet's refusal
WRONG_PIN_EN = "The resident number or PIN is not right."
WRONG_PASSWORD_EN = "The username or password is not right. Please check them and try again."


# ---- a small HTML tree, enough to ask what a screen reader would find -------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.walk()
            if node.tag == tag and all(node.attrs.get(k) == v for k, v in attrs.items())
        ]

    def find(self, tag: str, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    return builder.root


def live_region(page: Node) -> Node:
    return page.find("div", role="status", **{"aria-live": "polite"})


def visible_inputs(form: Node) -> list[Node]:
    return [i for i in form.find_all("input") if i.attrs.get("type") != "hidden"]


async def open_books(session: AsyncSession, settings: Settings) -> Books:
    """A currency for the app to sign people in to (the app serves the one in its settings)."""
    books = await Books.open(session)
    settings.currency_code = await currency_code(books)
    return books


async def sign_in_wrongly(client: AsyncClient, path: str, books: Books) -> tuple[Response, str]:
    """A real person of the section with a wrong secret; returns the answer and what they typed."""
    if path == "/wallet/":
        person = await add_resident(books)
        form = {"resident_number": person.number, "pin": "0000"}
        typed = person.number
    else:
        role = "merchant_owner" if path == "/merchant/" else "city_staff"
        user = await add_user(books, role=role)
        form = {"username": user.username, "password": PASSWORD + "-wrong"}
        typed = user.username
    return await client.post(path, data=form), typed


async def section_assets(client: AsyncClient, path: str, folder: str) -> None:
    """A section's own CSS and JS are linked in <head> (none in the body) and served."""
    response = await client.get(path)
    assert response.status_code == 200
    page = parse(response.text)
    head = page.find("head")
    links = [n.attrs["href"] for n in head.find_all("link", rel="stylesheet")]
    scripts = [n.attrs["src"] for n in head.find_all("script")]
    own = [u for u in links + scripts if u.startswith(folder)]
    assert {u.split("?")[0].rsplit(".", 1)[1] for u in own} == {"css", "js"}, own
    assert not page.find("body").find_all("link") and not page.find("body").find_all("script")
    for url in own:
        served = await client.get(url)
        assert served.status_code == 200 and served.text


async def shop_signed_in(client: AsyncClient, session: AsyncSession, settings: Settings) -> None:
    """A shop owner signed in on this client (the cookie session of the shop app)."""
    books = await open_books(session, settings)
    owner = await add_user(books, role="merchant_owner")
    form = {"username": owner.username, "password": PASSWORD}
    assert (await client.post("/merchant/", data=form)).status_code == 303


# ---- landing --------------------------------------------------------------------------------


class TestLanding:
    async def test_landing_speaks_japanese_and_offers_the_three_ways_in(
        self, client: AsyncClient
    ) -> None:
        response = await client.get("/")
        page = parse(response.text)
        assert response.status_code == 200
        assert page.find("html").attrs["lang"] == "ja"
        links = {a.attrs["href"]: a.text() for a in page.find("main").find_all("a")}
        assert "お財布（住民の方）" in links["/wallet/"]
        assert "お店の方" in links["/merchant/"]
        assert "市の職員の方" in links["/admin/"]
        assert "/docs" in links
        assert "デジタル地域通貨" in page.find("main").text()

    async def test_english_chosen_once_is_kept_by_a_cookie_on_every_page(
        self, client: AsyncClient
    ) -> None:
        first = await client.get("/?lang=en")
        later = await client.get("/wallet/")
        back = await client.get("/merchant/?lang=ja")
        assert parse(first.text).find("html").attrs["lang"] == "en"
        assert "Welcome to Meguri" in first.text
        assert "meguri_lang=en" in first.headers["set-cookie"]
        assert parse(later.text).find("html").attrs["lang"] == "en"
        assert "Your Meguri wallet" in later.text
        assert parse(back.text).find("html").attrs["lang"] == "ja"

    async def test_an_unknown_language_falls_back_to_japanese_without_a_cookie(
        self, client: AsyncClient
    ) -> None:
        response = await client.get("/?lang=fr")
        assert parse(response.text).find("html").attrs["lang"] == "ja"
        assert "meguri_lang" not in response.headers.get("set-cookie", "")

    async def test_the_default_language_comes_from_the_app_settings(
        self, client: AsyncClient, settings: Settings
    ) -> None:
        settings.locale = "en"
        response = await client.get("/")
        assert parse(response.text).find("html").attrs["lang"] == "en"

    async def test_the_language_switch_leads_to_the_same_page_in_the_other_language(
        self, client: AsyncClient
    ) -> None:
        response = await client.get("/wallet/")
        switch = parse(response.text).find("a", hreflang="en")
        assert switch.attrs["href"] == "/wallet/?lang=en"
        assert switch.attrs["lang"] == "en"
        assert switch.text() == "English"


class TestContrast:
    async def test_high_contrast_is_chosen_by_a_plain_link_and_remembered(
        self, client: AsyncClient
    ) -> None:
        start = parse((await client.get("/")).text)
        toggle = start.find("a", **{"data-contrast-toggle": ""})
        chosen = await client.get(toggle.attrs["href"])
        later = parse((await client.get("/admin/")).text)
        assert "くっきり表示にする" in toggle.text()
        assert "meguri_contrast=high" in chosen.headers["set-cookie"]
        assert later.find("body").attrs["class"] == "theme-high"
        assert "ふつうの表示にもどす" in later.find("a", **{"data-contrast-toggle": ""}).text()

    async def test_standard_colours_can_be_chosen_back(self, client: AsyncClient) -> None:
        await client.get("/?contrast=high")
        response = await client.get("/?contrast=normal")
        assert parse(response.text).find("body").attrs["class"] == "theme-normal"


# ---- entry pages --------------------------------------------------------------------------------


class TestEntryPages:
    @pytest.mark.parametrize("path", list(ENTRY_PAGES))
    async def test_entry_page_names_its_section_and_has_a_labelled_sign_in_form(
        self, client: AsyncClient, path: str
    ) -> None:
        section, field_names = ENTRY_PAGES[path]
        response = await client.get(path)
        page = parse(response.text)
        assert response.status_code == 200
        assert page.find("p", **{"class": "site-section"}).text() == section
        form = page.find("main").find("form")
        assert form.attrs["method"] == "post"
        assert form.attrs["action"].split("?")[0] == path
        labels = {label.attrs["for"]: label.text() for label in form.find_all("label")}
        inputs = visible_inputs(form)
        assert [i.attrs["name"] for i in inputs] == field_names
        assert all(labels.get(i.attrs["id"]) for i in inputs), labels
        assert form.find("button", type="submit").text() == "サインイン"

    @pytest.mark.parametrize("path", list(ENTRY_PAGES))
    async def test_a_wrong_sign_in_is_refused_in_a_sentence_keeping_what_was_typed(
        self, client: AsyncClient, session: AsyncSession, settings: Settings, path: str
    ) -> None:
        books = await open_books(session, settings)
        response, typed = await sign_in_wrongly(client, path, books)
        page = parse(response.text)
        said = live_region(page).text()
        assert response.status_code == 401
        assert said.endswith("。") and len(said) > 20, said  # a sentence, not a code
        assert page.find("title").text().startswith("お知らせ")
        kept = visible_inputs(page.find("main").find("form"))[0]
        assert kept.attrs["value"] == typed
        secret = visible_inputs(page.find("main").find("form"))[1]
        assert "value" not in secret.attrs
        assert PASSWORD not in response.text

    async def test_the_wallet_says_which_two_things_may_be_wrong(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        response, _ = await sign_in_wrongly(client, "/wallet/", books)
        assert live_region(parse(response.text)).text().startswith(WRONG_PIN_JA)

    @pytest.mark.parametrize(
        ("path", "sentence"),
        [("/wallet/", WRONG_PIN_EN), ("/merchant/", WRONG_PASSWORD_EN)],
    )
    async def test_the_refusal_follows_the_chosen_language(
        self,
        client: AsyncClient,
        session: AsyncSession,
        settings: Settings,
        path: str,
        sentence: str,
    ) -> None:
        books = await open_books(session, settings)
        await client.get("/?lang=en")
        response, _ = await sign_in_wrongly(client, path, books)
        page = parse(response.text)
        assert response.status_code == 401
        assert page.find("html").attrs["lang"] == "en"
        assert live_region(page).text().startswith(sentence)

    @pytest.mark.parametrize("path", list(ENTRY_PAGES))
    async def test_the_live_region_is_empty_until_there_is_something_to_say(
        self, client: AsyncClient, path: str
    ) -> None:
        response = await client.get(path)
        assert live_region(parse(response.text)).children == []
        assert not parse(response.text).find("title").text().startswith("お知らせ")


# ---- the shell: assets, strict CSP, skip link -------------------------------------------------


class TestShell:
    async def test_the_stylesheet_and_script_are_served_from_the_app(
        self, client: AsyncClient
    ) -> None:
        page = parse((await client.get("/")).text)
        css = await client.get(page.find("link", rel="stylesheet").attrs["href"])
        js = await client.get(page.find("script").attrs["src"])
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert "--font-size-base" in css.text
        assert js.status_code == 200
        assert "javascript" in js.headers["content-type"]

    async def test_the_wallets_own_stylesheet_and_script_are_in_the_head_and_served(
        self, client: AsyncClient
    ) -> None:
        await section_assets(client, "/wallet/", "/static/wallet/")

    async def test_the_shop_apps_own_stylesheet_and_script_are_in_the_head_and_served(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        await shop_signed_in(client, session, settings)
        await section_assets(client, "/merchant/till", "/static/merchant/")


class TestShopPages:
    async def test_who_is_signed_in_and_the_sign_out_button_appear_once(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        await shop_signed_in(client, session, settings)
        page = parse((await client.get("/merchant/till")).text)
        sign_outs = [
            f for f in page.find_all("form") if f.attrs.get("action") == "/merchant/sign-out"
        ]
        assert len(sign_outs) == 1
        assert len(page.find_all("p", **{"class": "signed-in-name"})) == 1

    async def test_every_table_cell_is_labelled_so_rows_read_as_cards_on_a_phone(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        await shop_signed_in(client, session, settings)
        page = parse((await client.get("/merchant/sales")).text)
        tables = page.find_all("table", **{"class": "data-table"})
        cells = [td for table in tables for td in table.find_all("td")]
        assert tables and cells
        assert all(td.attrs.get("data-label") for td in cells)
        assert {td.attrs["data-label"] for td in cells} >= {"金額", "返金", "合計"}

    @pytest.mark.parametrize("path", ALL_PAGES)
    async def test_pages_work_under_a_strict_same_origin_csp(
        self, client: AsyncClient, path: str
    ) -> None:
        response = await client.get(path)
        page = parse(response.text)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        nodes = list(page.walk())
        assert not [n for n in nodes if "style" in n.attrs or n.tag == "style"]
        assert not [n for n in nodes if any(a.startswith("on") for a in n.attrs)]
        for script in page.find_all("script"):
            assert script.attrs["src"].startswith("/static/") and not script.text()
        urls = [n.attrs.get("href") or n.attrs.get("src") or "" for n in nodes]
        assert not [u for u in urls if u.startswith(("http:", "https:", "//"))]

    @pytest.mark.parametrize("path", ALL_PAGES)
    async def test_every_page_starts_with_a_skip_link_to_main(
        self, client: AsyncClient, path: str
    ) -> None:
        page = parse((await client.get(path)).text)
        first_link = page.find("body").find_all("a")[0]
        assert first_link.attrs["href"] == "#main"
        assert first_link.text() == "本文へ移動"
        assert page.find("main").attrs["id"] == "main"


# ---- catalogues and filters ---------------------------------------------------------------------


JINJA_EXTRACT = ("jinja2.ext:babel_extract", {"trimmed": "true", "extensions": "jinja2.ext.i18n"})


def _used_messages() -> set[str]:
    """Every msgid in a template (`_()`, `{% trans %}`) or marked with `N_()` in the code."""
    method, options = JINJA_EXTRACT
    templates = [path for d in web.TEMPLATE_DIRS for path in d.glob("**/*.html")]
    code = [path for p in ("api", *web.PAGE_PACKAGES) for path in (ROOT / p).glob("**/*.py")]
    found = {m[1] for t in templates for m in extract_from_file(method, t, options=options)}
    return found | {
        m[1] for c in code for m in extract_from_file("python", c, keywords={"N_": None})
    }


def _entries(locale: str) -> list[tuple[str, str, str]]:
    """(file, msgid, translation) for every message of every catalogue file of a locale."""
    found: list[tuple[str, str, str]] = []
    for path in web.catalogue_files(locale):
        with path.open("rb") as po:
            name = str(path.relative_to(ROOT))
            found += [
                (name, m.id, str(m.string)) for m in read_po(po) if m.id and isinstance(m.id, str)
            ]
    return found


def _catalogue(locale: str) -> dict[str, str]:
    """The shell's catalogue and every page set's own, as the app merges them."""
    return {msgid: text for _, msgid, text in _entries(locale)}


class TestCatalogues:
    def test_every_message_shown_has_a_japanese_translation(self) -> None:
        japanese = _catalogue("ja")
        missing = sorted(m for m in _used_messages() if not japanese.get(m))
        assert missing == []

    def test_the_catalogues_hold_exactly_the_messages_in_use(self) -> None:
        used = _used_messages()
        assert set(_catalogue("ja")) == used
        assert set(_catalogue("en")) == used
        assert all(_catalogue("en").values())

    @pytest.mark.parametrize("locale", web.LOCALES)
    def test_each_message_lives_in_exactly_one_catalogue_file(self, locale: str) -> None:
        """A word two sections share is in the shell's catalogue, so no section's page can
        show another section's translation of it (the merge would let the last file win)."""
        homes: dict[str, list[str]] = {}
        for name, msgid, _ in _entries(locale):
            homes.setdefault(msgid, []).append(name)
        assert {m: files for m, files in homes.items() if len(files) > 1} == {}

    @pytest.mark.parametrize("locale", web.LOCALES)
    def test_every_page_shows_a_message_as_its_own_catalogue_translates_it(
        self, locale: str
    ) -> None:
        shown = web.CATALOGUES[locale]
        wrong = [
            (name, msgid, text, shown.gettext(msgid))
            for name, msgid, text in _entries(locale)
            if text and shown.gettext(msgid) != text
        ]
        assert wrong == []


class TestAmount:
    def test_amounts_are_grouped_by_thousands(self) -> None:
        assert web.amount(1234567) == "1,234,567"
        assert web.amount(-1200) == "-1,200"

    def test_the_unit_stays_on_the_same_line_as_its_number(self) -> None:
        assert web.amount(1200, "pt") == "1,200\u00a0pt"
        template = web.templates.env.from_string("{{ 1200 | amount('コイン') }}")
        assert template.render() == "1,200\u00a0コイン"

    def test_an_amount_is_never_a_float(self) -> None:
        with pytest.raises(TypeError):
            web.amount(12.5)  # type: ignore[arg-type]
