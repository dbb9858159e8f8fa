"""The shared web shell and the three entry pages, as residents, shops and city staff see them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from fastapi import FastAPI

import admin.pages
import merchant_app.pages
import wallet.pages
from api import landing, web

ROOT = Path(__file__).resolve().parents[2]
SIGN_IN_JA = "サインインはまだご利用いただけません。市役所の窓口でご案内しています。"
SIGN_IN_EN = "Sign-in is not available yet. Please ask at the city office counter."
ENTRY_PAGES = {
    "/wallet/": ("お財布", ["resident_number", "pin"]),
    "/merchant/": ("お店の方", ["username", "password"]),
    "/admin/": ("市の職員の方", ["username", "password"]),
}
ALL_PAGES = ["/", *ENTRY_PAGES]


def build_app() -> FastAPI:
    app = FastAPI()
    app.include_router(landing.router)
    app.include_router(wallet.pages.router, prefix="/wallet")
    app.include_router(merchant_app.pages.router, prefix="/merchant")
    app.include_router(admin.pages.router, prefix="/admin")
    app.mount("/static", web.static_files(), name="static")
    return app


def client(app: FastAPI | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app or build_app())
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


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


# ---- landing --------------------------------------------------------------------------------


class TestLanding:
    @pytest.mark.asyncio
    async def test_landing_speaks_japanese_and_offers_the_three_ways_in(self) -> None:
        async with client() as http:
            response = await http.get("/")
        page = parse(response.text)
        assert response.status_code == 200
        assert page.find("html").attrs["lang"] == "ja"
        links = {a.attrs["href"]: a.text() for a in page.find("main").find_all("a")}
        assert "お財布（住民の方）" in links["/wallet/"]
        assert "お店の方" in links["/merchant/"]
        assert "市の職員の方" in links["/admin/"]
        assert "/docs" in links
        assert "デジタル地域通貨" in page.find("main").text()

    @pytest.mark.asyncio
    async def test_english_chosen_once_is_kept_by_a_cookie_on_every_page(self) -> None:
        async with client() as http:
            first = await http.get("/?lang=en")
            later = await http.get("/wallet/")
            back = await http.get("/merchant/?lang=ja")
        assert parse(first.text).find("html").attrs["lang"] == "en"
        assert "Welcome to Meguri" in first.text
        assert "meguri_lang=en" in first.headers["set-cookie"]
        assert parse(later.text).find("html").attrs["lang"] == "en"
        assert "Your Meguri wallet" in later.text
        assert parse(back.text).find("html").attrs["lang"] == "ja"

    @pytest.mark.asyncio
    async def test_an_unknown_language_falls_back_to_japanese_without_a_cookie(self) -> None:
        async with client() as http:
            response = await http.get("/?lang=fr")
        assert parse(response.text).find("html").attrs["lang"] == "ja"
        assert "set-cookie" not in response.headers

    @pytest.mark.asyncio
    async def test_the_default_language_comes_from_the_app_settings(self) -> None:
        app = build_app()
        app.state.settings = SimpleNamespace(locale="en")
        async with client(app) as http:
            response = await http.get("/")
        assert parse(response.text).find("html").attrs["lang"] == "en"

    @pytest.mark.asyncio
    async def test_the_language_switch_leads_to_the_same_page_in_the_other_language(self) -> None:
        async with client() as http:
            response = await http.get("/wallet/")
        switch = parse(response.text).find("a", hreflang="en")
        assert switch.attrs["href"] == "/wallet/?lang=en"
        assert switch.attrs["lang"] == "en"
        assert switch.text() == "English"


class TestContrast:
    @pytest.mark.asyncio
    async def test_high_contrast_is_chosen_by_a_plain_link_and_remembered(self) -> None:
        async with client() as http:
            start = parse((await http.get("/")).text)
            toggle = start.find("a", **{"data-contrast-toggle": ""})
            chosen = await http.get(toggle.attrs["href"])
            later = parse((await http.get("/admin/")).text)
        assert "くっきり表示にする" in toggle.text()
        assert "meguri_contrast=high" in chosen.headers["set-cookie"]
        assert later.find("body").attrs["class"] == "theme-high"
        assert "ふつうの表示にもどす" in later.find("a", **{"data-contrast-toggle": ""}).text()

    @pytest.mark.asyncio
    async def test_standard_colours_can_be_chosen_back(self) -> None:
        async with client() as http:
            await http.get("/?contrast=high")
            response = await http.get("/?contrast=normal")
        assert parse(response.text).find("body").attrs["class"] == "theme-normal"


# ---- entry pages --------------------------------------------------------------------------------


class TestEntryPages:
    @pytest.mark.asyncio
    @pytest.mark.parametrize("path", list(ENTRY_PAGES))
    async def test_entry_page_names_its_section_and_has_a_labelled_sign_in_form(
        self, path: str
    ) -> None:
        section, field_names = ENTRY_PAGES[path]
        async with client() as http:
            response = await http.get(path)
        page = parse(response.text)
        assert response.status_code == 200
        assert page.find("p", **{"class": "site-section"}).text() == section
        form = page.find("form")
        assert (form.attrs["method"], form.attrs["action"]) == ("post", path)
        labels = {label.attrs["for"]: label.text() for label in form.find_all("label")}
        inputs = form.find_all("input")
        assert [i.attrs["name"] for i in inputs] == field_names
        assert all(labels.get(i.attrs["id"]) for i in inputs), labels
        assert form.find("button", type="submit").text() == "サインイン"

    @pytest.mark.asyncio
    @pytest.mark.parametrize("path", list(ENTRY_PAGES))
    async def test_signing_in_says_plainly_it_is_not_available_yet(self, path: str) -> None:
        form = {"username": "someone", "password": "secret", "resident_number": "1", "pin": "1"}
        async with client() as http:
            response = await http.post(path, data=form)
        page = parse(response.text)
        assert response.status_code == 503
        assert live_region(page).text() == SIGN_IN_JA
        assert page.find("title").text().startswith("お知らせ")
        assert "secret" not in response.text

    @pytest.mark.asyncio
    async def test_the_sign_in_message_follows_the_chosen_language(self) -> None:
        async with client() as http:
            await http.get("/?lang=en")
            response = await http.post("/wallet/")
        assert response.status_code == 503
        assert live_region(parse(response.text)).text() == SIGN_IN_EN

    @pytest.mark.asyncio
    async def test_the_live_region_is_empty_until_there_is_something_to_say(self) -> None:
        async with client() as http:
            response = await http.get("/wallet/")
        assert live_region(parse(response.text)).children == []


# ---- the shell: assets, strict CSP, skip link -------------------------------------------------


class TestShell:
    @pytest.mark.asyncio
    async def test_the_stylesheet_and_script_are_served_from_the_app(self) -> None:
        async with client() as http:
            page = parse((await http.get("/")).text)
            css = await http.get(page.find("link", rel="stylesheet").attrs["href"])
            js = await http.get(page.find("script").attrs["src"])
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert "--font-size-base" in css.text
        assert js.status_code == 200
        assert "javascript" in js.headers["content-type"]

    @pytest.mark.asyncio
    @pytest.mark.parametrize("path", ALL_PAGES)
    async def test_pages_work_under_a_strict_same_origin_csp(self, path: str) -> None:
        async with client() as http:
            page = parse((await http.get(path)).text)
        nodes = list(page.walk())
        assert not [n for n in nodes if "style" in n.attrs or n.tag == "style"]
        assert not [n for n in nodes if any(a.startswith("on") for a in n.attrs)]
        for script in page.find_all("script"):
            assert script.attrs["src"].startswith("/static/") and not script.text()
        urls = [n.attrs.get("href") or n.attrs.get("src") or "" for n in nodes]
        assert not [u for u in urls if u.startswith(("http:", "https:", "//"))]

    @pytest.mark.asyncio
    @pytest.mark.parametrize("path", ALL_PAGES)
    async def test_every_page_starts_with_a_skip_link_to_main(self, path: str) -> None:
        async with client() as http:
            page = parse((await http.get(path)).text)
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


def _catalogue(locale: str) -> dict[str, str]:
    """The shell's catalogue and every page set's own, as the app merges them."""
    merged: dict[str, str] = {}
    for path in web.catalogue_files(locale):
        with path.open("rb") as po:
            merged |= {m.id: m.string for m in read_po(po) if m.id}
    return merged


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
