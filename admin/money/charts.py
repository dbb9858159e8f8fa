"""Charts as SVG drawn on the server: no script, no library, readable without colour.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (what it shows,
in words: the range and the latest figure), and the page puts a table of the same figures
beside it. Lines differ by dash pattern as well as colour; bars carry their figure as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 640, 240, 40
DASHES = ("", "8 4", "2 4", "12 4 2 4")
CLASSES = ("series-1", "series-2", "series-3", "series-4")


@dataclass(frozen=True)
class Line:
    name: str
    values: Sequence[int]


def line_chart(chart_id: str, title: str, desc: str, lines: Sequence[Line]) -> Markup:
    """Daily figures as lines over the same days; each line's name is written at its end."""
    top = max([1, *(v for line in lines for v in line.values)])
    count = max(len(line.values) for line in lines) if lines else 0
    step = (WIDTH - 2 * PAD) / max(1, count - 1)
    parts = [_frame(chart_id, title, desc), _axis(top)]
    for n, line in enumerate(lines):
        points = " ".join(
            f"{PAD + i * step:.1f},{_y(v, top):.1f}" for i, v in enumerate(line.values)
        )
        dash = f' stroke-dasharray="{DASHES[n % 4]}"' if DASHES[n % 4] else ""
        parts.append(
            f'<polyline class="chart-line {CLASSES[n % 4]}" fill="none" stroke-width="2"'
            f'{dash} points="{points}"><title>{escape(line.name)}</title></polyline>'
        )
    parts.append(_legend([line.name for line in lines]))
    return Markup("".join(parts) + "</svg>")  # noqa: S704  (every text is escaped above)


def bar_chart(chart_id: str, title: str, desc: str, bars: Sequence[tuple[str, int]]) -> Markup:
    """One horizontal bar per item, its label on the left and its figure written beside it."""
    top = max([1, *(v for _, v in bars)])
    row = 28
    height = max(row * len(bars) + 16, 48)
    parts = [_frame(chart_id, title, desc, height)]
    for n, (label, value) in enumerate(bars):
        y = 8 + n * row
        length = (WIDTH - 260) * value / top
        parts.append(
            f'<text class="chart-text" x="0" y="{y + 17}">{escape(label)}</text>'
            f'<rect class="chart-bar {CLASSES[n % 4]}" x="160" y="{y}" width="{length:.1f}" '
            f'height="20"></rect>'
            f'<text class="chart-text" x="{166 + length:.1f}" y="{y + 17}">{value:,}</text>'
        )
    return Markup("".join(parts) + "</svg>")  # noqa: S704  (every text is escaped above)


def _frame(chart_id: str, title: str, desc: str, height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
    )


def _y(value: int, top: int) -> float:
    return HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top


def _axis(top: int) -> str:
    base, peak = HEIGHT - PAD, PAD
    return (
        f'<line class="chart-axis" x1="{PAD}" y1="{base}" x2="{WIDTH - PAD}" y2="{base}"></line>'
        f'<text class="chart-text" x="{PAD}" y="{peak - 8}">{top:,}</text>'
        f'<text class="chart-text" x="{PAD}" y="{base + 20}">0</text>'
    )


def _legend(names: Sequence[str]) -> str:
    items = []
    for n, name in enumerate(names):
        x = PAD + n * 150
        dash = f' stroke-dasharray="{DASHES[n % 4]}"' if DASHES[n % 4] else ""
        items.append(
            f'<line class="chart-line {CLASSES[n % 4]}" x1="{x}" y1="{HEIGHT - 8}" '
            f'x2="{x + 30}" y2="{HEIGHT - 8}" stroke-width="3"{dash}></line>'
            f'<text class="chart-text" x="{x + 36}" y="{HEIGHT - 3}">{escape(name)}</text>'
        )
    return "".join(items)
