"""QR images and printable sheets: what a phone camera or a till's scanner reads back, and
what a printer gets (self-contained SVG, no external references)."""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from currency.payments import qr_render
from currency.payments.codes import text
from currency.residents import card_codes

NS = "http://www.w3.org/2000/svg"
SVG_NS = f'xmlns="{NS}"'
SECRET = b"test-render-secret"
LINK = text.shop_link(base_url="https://saiki.example.jp", merchant_code="M0042", secret=SECRET)
CARD = card_codes.qr_payload(SECRET, 1, card_codes.new_card_number())


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output, not untrusted input)


def read_back(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image)]


def raster(svg: str, *, module_px: int = 6) -> Image.Image:
    """Draw a QR SVG's path (runs of ``M x y h n v1 h -n z``) as a camera would see it."""
    span = int(re.search(r'viewBox="0 0 (\d+) \1"', svg)[1])  # type: ignore[index]
    image = Image.new("L", (span * module_px, span * module_px), 255)
    draw = ImageDraw.Draw(image)
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x0, y0 = int(x) * module_px, int(y) * module_px
        draw.rectangle([x0, y0, x0 + int(n) * module_px - 1, y0 + module_px - 1], fill=0)
    return image


def external_references(svg: str) -> list[str]:
    """Anything that would fetch from elsewhere when printed or shown."""
    rest = svg.replace(SVG_NS, "")
    patterns = [r"https?:", r"<image\b", r"<script\b", r"url\(", r"@import", r"href="]
    return [p for p in patterns if re.search(p, rest, re.IGNORECASE)]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(text.new_token()[0], id="customer-code"),
        pytest.param("MGR1.123456.ABCDEFGHIJKLMNOP.QRSTUVWXYZ234567", id="shop-request"),
        pytest.param(LINK, id="shop-link"),
        pytest.param(CARD, id="card"),
    ],
)
def test_a_png_reads_back_as_the_same_text(payload: str) -> None:
    image = Image.open(io.BytesIO(qr_render.png(payload)))
    assert read_back(image) == [payload]


def test_the_svg_draws_the_same_symbol_as_the_png() -> None:
    token = text.new_token()[0]
    assert read_back(raster(qr_render.svg(token))) == [token]


def test_data_urls_carry_the_images_inline() -> None:
    token = text.new_token()[0]
    png_url, svg_url = qr_render.data_url_png(token), qr_render.data_url_svg(token)
    assert png_url.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(png_url.split(",", 1)[1])))
    assert read_back(image) == [token]
    assert svg_url.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(svg_url.split(",", 1)[1]).decode() == qr_render.svg(token)


def test_a_card_payload_fits_a_small_code_that_survives_scuffs() -> None:
    assert len(CARD) <= 40
    assert qr_render.version(CARD, error_correction="Q") <= 4


def test_a_customer_code_stays_a_small_code_for_a_phone_screen() -> None:
    assert qr_render.version(text.new_token()[0], error_correction="M") <= 3


@pytest.mark.parametrize(
    "svg",
    [
        pytest.param(qr_render.svg(LINK), id="qr"),
        pytest.param(qr_render.card_sheet_svg(CARD, "佐伯 花子", "4000 1234 5678 9010"), id="card"),
        pytest.param(qr_render.shop_poster_svg(LINK, "やまもと青果店", "鶴見"), id="poster"),
    ],
)
def test_svgs_are_well_formed_and_fetch_nothing_from_elsewhere(svg: str) -> None:
    parse(svg)
    assert svg.count("http") == 1  # the namespace only: the link itself is in the path
    assert external_references(svg) == []


def test_the_card_sheet_is_a6_and_shows_the_holder_and_number() -> None:
    svg = qr_render.card_sheet_svg(CARD, "佐伯 花子", "4000 1234 5678 9010")
    root = parse(svg)
    assert (root.get("width"), root.get("height")) == ("105mm", "148mm")
    shown = "".join(root.itertext())
    for words in ("佐伯 花子 様", "4000 1234 5678 9010", "暗証番号", "さいきコイン カード"):
        assert words in shown
    assert 'font-family="sans-serif"' in svg


def test_the_shop_poster_is_a4_and_tells_residents_to_check_the_shop_name() -> None:
    svg = qr_render.shop_poster_svg(LINK, "やまもと青果店", "鶴見")
    root = parse(svg)
    assert (root.get("width"), root.get("height")) == ("210mm", "297mm")
    shown = "".join(root.itertext())
    for words in (
        "さいきコインで お支払いできます",
        "やまもと青果店",
        "鶴見",
        "QRコードを読み取ってください",
        "画面の店名が「やまもと青果店」か確かめる",
        "シール",
    ):
        assert words in shown


def test_names_with_markup_characters_are_printed_as_written() -> None:
    svg = qr_render.shop_poster_svg(LINK, 'Café <Ōita> & "Sons"', "蒲江")
    assert 'Café <Ōita> & "Sons"' in "".join(parse(svg).itertext())


def test_a_very_long_shop_name_is_set_on_two_lines_inside_the_page() -> None:
    name = "有限会社やまもと青果店 佐伯駅前本店 鮮魚・精肉部門"
    short = text_sizes(qr_render.shop_poster_svg(LINK, "青果店", "鶴見"))
    long = text_sizes(qr_render.shop_poster_svg(LINK, name, "鶴見"))
    assert short["青果店"] == 18
    first, second = "有限会社やまもと青果店", "佐伯駅前本店 鮮魚・精肉部門"
    assert first in long and second in long and name not in long
    assert 9 < long[second] < 18  # readable across the counter
    assert "② 画面の店名が この紙の店名と同じか確かめる" in long
    assert long[second] * 13.6 <= 190  # 13 wide characters and a blank fit the page


def text_sizes(svg: str) -> dict[str, float]:
    return {t.text or "": float(t.get("font-size", 0)) for t in parse(svg).iter(f"{{{NS}}}text")}
