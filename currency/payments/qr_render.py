"""QR codes as images: SVG and PNG for screens, and printable sheets (a resident's card on
A6, a shop's poster on A4).

Everything is self-contained: no external fonts, images, scripts or links (the only URL
in an SVG is its XML namespace), generic font families only, black on white for the
cheapest printer and the weakest eyes. The symbols come from ``qrcode``; the SVG draws
each row's runs of dark modules as one path, which prints crisply at any size.
"""

from __future__ import annotations

import base64
import io
import unicodedata
from typing import Literal
from xml.sax.saxutils import escape

import qrcode  # no stubs
import qrcode.constants

ErrorCorrection = Literal["L", "M", "Q", "H"]
QUIET_ZONE = 4  # modules of white around the symbol, as the standard asks
_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
_SVG_NS = "http://www.w3.org/2000/svg"
_FONT = 'font-family="sans-serif"'


def _symbol(text: str, error_correction: ErrorCorrection, border: int = 0) -> qrcode.QRCode:
    """The smallest symbol that holds ``text``; qrcode picks the compact mode per chunk."""
    if error_correction not in _LEVELS:
        raise ValueError(f"error correction must be one of {', '.join(_LEVELS)}")
    code = qrcode.QRCode(error_correction=_LEVELS[error_correction], border=border)
    code.add_data(text)
    code.make(fit=True)
    return code


def version(text: str, *, error_correction: ErrorCorrection = "M") -> int:
    """The QR version (1–40) ``text`` needs: the higher, the denser the print."""
    return int(_symbol(text, error_correction).version)


def _modules(text: str, error_correction: ErrorCorrection) -> list[list[bool]]:
    return [[bool(m) for m in row] for row in _symbol(text, error_correction).get_matrix()]


def _path(modules: list[list[bool]], offset: int) -> str:
    """One subpath per run of dark modules in a row, in module units."""
    runs: list[str] = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start + offset} {y + offset}h{x - start}v1h{start - x}z")
    return "".join(runs)


def _symbol_group(text: str, *, x: float, y: float, size: float, ec: ErrorCorrection) -> str:
    """The symbol with its quiet zone, scaled to ``size`` user units at (x, y)."""
    modules = _modules(text, ec)
    span = len(modules) + 2 * QUIET_ZONE
    return (
        f'<g transform="translate({x:g} {y:g}) scale({size / span:.6g})">'
        f'<rect width="{span}" height="{span}" fill="#fff"/>'
        f'<path d="{_path(modules, QUIET_ZONE)}" fill="#000"/></g>'
    )


def svg(text: str, *, error_correction: ErrorCorrection = "M", scale: int = 8) -> str:
    """A standalone SVG of the QR code, ``scale`` pixels a module (it scales freely)."""
    modules = _modules(text, error_correction)
    span = len(modules) + 2 * QUIET_ZONE
    return (
        f'<svg xmlns="{_SVG_NS}" width="{span * scale}" height="{span * scale}" '
        f'viewBox="0 0 {span} {span}" shape-rendering="crispEdges">'
        f'<rect width="{span}" height="{span}" fill="#fff"/>'
        f'<path d="{_path(modules, QUIET_ZONE)}" fill="#000"/></svg>'
    )


def png(text: str, *, scale: int = 8, error_correction: ErrorCorrection = "M") -> bytes:
    """A black-on-white PNG, ``scale`` pixels a module, with the quiet zone."""
    code = _symbol(text, error_correction, border=QUIET_ZONE)
    code.box_size = scale
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


def data_url_png(text: str, *, scale: int = 8, error_correction: ErrorCorrection = "M") -> str:
    data = png(text, scale=scale, error_correction=error_correction)
    return "data:image/png;base64," + base64.b64encode(data).decode()


def data_url_svg(text: str, *, error_correction: ErrorCorrection = "M") -> str:
    data = svg(text, error_correction=error_correction).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode()


# Printable sheets. Sizes are in millimetres (the viewBox unit).


def _width_in_em(line: str) -> float:
    """Roughly how wide a line sets: full-width characters 1 em, the rest about 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in line) or 1.0


def _line(
    content: str, *, x: float, y: float, size: float, fit: float = 0, bold: bool = False
) -> str:
    """One centred line; with ``fit`` it shrinks so a long name stays inside that width."""
    if fit:
        size = min(size, fit / _width_in_em(content))
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size:.3g}"{weight} text-anchor="middle" '
        f'{_FONT} fill="#000">{escape(content)}</text>'
    )


def _two_lines(name: str) -> tuple[str, str]:
    """Split a long name at the blank nearest its middle (or at the middle itself)."""
    middle = len(name) // 2
    blanks = [i for i, ch in enumerate(name) if ch in " 　"]
    cut = min(blanks, key=lambda i: abs(i - middle)) if blanks else middle
    return name[:cut].strip(), name[cut:].strip()


def _shop_name(name: str, *, x: float, y: float, size: float, width: float) -> list[str]:
    """The shop name as large as fits, its last baseline at ``y``; on two lines if one
    would set it too small to read from across the counter."""
    if size * _width_in_em(name) <= width * 1.6 or len(name) < 2:
        return [_line(name, x=x, y=y, size=size, fit=width, bold=True)]
    first, second = _two_lines(name)
    small = min(size * 0.6, width / max(_width_in_em(first), _width_in_em(second)))
    return [
        _line(first, x=x, y=y - small * 1.2, size=small, bold=True),
        _line(second, x=x, y=y, size=small, bold=True),
    ]


def _check_name_step(shop_name: str) -> str:
    if _width_in_em(shop_name) > 10:  # the name is printed large just above
        return "② 画面の店名が この紙の店名と同じか確かめる"
    return f"② 画面の店名が「{shop_name}」か確かめる"


def _page(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="{_SVG_NS}" xml:lang="ja" width="{width}mm" height="{height}mm" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>' + "".join(body) + "</svg>"
    )


def card_sheet_svg(
    card_qr_text: str,
    resident_name: str,
    card_number_printed: str,
    *,
    currency_name: str = "さいきコイン",
    issuer: str = "佐伯市",
) -> str:
    """A resident's payment card, A6 portrait, to print and laminate at the city office.

    Error correction Q: a card lives in a purse and gets scuffed."""
    mid = 52.5
    body = [
        '<rect x="3" y="3" width="99" height="142" rx="4" fill="none" stroke="#000" '
        'stroke-width="0.8"/>',
        _line(f"{currency_name} カード", x=mid, y=16, size=8, fit=90, bold=True),
        _symbol_group(card_qr_text, x=mid - 28, y=22, size=56, ec="Q"),
        _line(f"{resident_name} 様", x=mid, y=89, size=7, fit=90, bold=True),
        _line("カード番号", x=mid, y=96, size=3.5),
        f'<text x="{mid}" y="103" font-size="6" text-anchor="middle" font-family="monospace" '
        f'fill="#000">{escape(card_number_printed)}</text>',
        _line("お店でこのカードを見せて、", x=mid, y=113, size=4.6),
        _line("暗証番号（4けた）を入力してください。", x=mid, y=119, size=4.6, fit=92),
        _line("暗証番号はカードに書かないでください。", x=mid, y=126, size=4, fit=92),
        _line("なくしたときは、すぐに市役所へご連絡ください。", x=mid, y=131, size=4, fit=92),
        _line(issuer, x=mid, y=140, size=4.2, bold=True),
    ]
    return _page(105, 148, f"{currency_name} カード", body)


def shop_poster_svg(
    link: str,
    shop_name: str,
    district: str,
    *,
    currency_name: str = "さいきコイン",
    issuer: str = "佐伯市",
) -> str:
    """A shop's counter poster, A4 portrait: the printed code for paying by scan (MPM).

    It tells residents to check the shop name their phone shows, and to report a sticker
    over the code: the two defences against a swapped code."""
    mid = 105
    body = [
        '<rect x="0" y="0" width="210" height="30" fill="#000"/>',
        f'<text x="{mid}" y="20" font-size="13" font-weight="bold" text-anchor="middle" '
        f'{_FONT} fill="#fff">{escape(f"{currency_name}で お支払いできます")}</text>',
        *_shop_name(shop_name, x=mid, y=55, size=18, width=186),
        _line(district, x=mid, y=67, size=8, fit=186),
        _symbol_group(link, x=mid - 65, y=74, size=130, ec="Q"),
        _line("QRコードを読み取ってください", x=mid, y=220, size=11, fit=190, bold=True),
        _line("① スマートフォンで QRコードを読み取る", x=mid, y=236, size=7, fit=190),
        _line(_check_name_step(shop_name), x=mid, y=247, size=7, fit=190),
        _line("③ 金額を入れて、お店の人に画面を見せる", x=mid, y=258, size=7, fit=190),
        _line(
            "このQRコードの上にシールが貼られていたら、使わずにお店の人にお知らせください。",
            x=mid,
            y=273,
            size=5,
            fit=194,
        ),
        _line(f"{issuer}　{currency_name}", x=mid, y=288, size=5, bold=True),
    ]
    return _page(210, 297, f"{shop_name} — {currency_name}", body)
