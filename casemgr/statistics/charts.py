"""Server-side SVG bar charts for the statistics page.

Why our own small generator rather than a charting library: the app's Content Security
Policy allows no inline script or style (`script-src 'self'; style-src 'self'`) and no CDN,
and the pages must work without JavaScript, which rules out client-side chart libraries.
Python plotting libraries (matplotlib, pygal) would add a heavy dependency and emit
`<style>` elements or `style=""` attributes that the CSP blocks. Horizontal bars cover every
chart the spec asks for, and take ~150 lines: presentation attributes only (`fill`,
`font-size`…), `role="img"` with `<title>` and `<desc>`, and the page shows the same figures
as a table next to each chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")
TEXT = "#212529"
AXIS = "#6c757d"
WIDTH = 720
LABEL_WIDTH = 190
VALUE_WIDTH = 80
BAR_HEIGHT = 16
BAR_GAP = 2
GROUP_GAP = 10
LEGEND_HEIGHT = 26
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


@dataclass(frozen=True)
class Series:
    """One colour of bars: its name (for the legend) and a value per category (None: not
    published, drawn as no bar with the `missing` mark)."""

    name: str
    values: Sequence[float | int | None]


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: one group of bars per category, one bar per series."""

    chart_id: str
    title: str
    description: str
    categories: Sequence[str]
    series: Sequence[Series]

    @property
    def empty(self) -> bool:
        return not any(value for series in self.series for value in series.values)


def _text(x: float, y: float, content: str, *, anchor: str = "start",
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" fill="{TEXT}" font-size="12" '
            f'font-family="{escape(FONT)}" font-weight="{weight}" text-anchor="{anchor}" '
            f'dominant-baseline="middle">{escape(content)}</text>')


def render(chart: Chart, number: Callable[[float | int], str], missing: str = "[c]") -> Markup:
    """The chart as an inline `<svg>` element; `number` formats values for the user's locale."""
    series = list(chart.series)
    legend = LEGEND_HEIGHT if len(series) > 1 else 0
    group = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    height = legend + len(chart.categories) * (group + GROUP_GAP) + GROUP_GAP
    largest = max((float(v) for s in series for v in s.values if v), default=0.0) or 1.0
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    ident = escape(chart.chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="stat-chart" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(chart.description)}</desc>',
    ]
    if legend:
        x = float(LABEL_WIDTH)
        for index, item in enumerate(series):
            colour = PALETTE[index % len(PALETTE)]
            parts.append(f'<rect x="{x:.1f}" y="6" width="12" height="12" fill="{colour}"/>')
            parts.append(_text(x + 16, 12, item.name))
            x += 24 + 7.5 * len(item.name)
    y = float(legend + GROUP_GAP)
    for position, category in enumerate(chart.categories):
        parts.append(_text(LABEL_WIDTH - 8, y + group / 2, category, anchor="end"))
        for index, item in enumerate(series):
            value = item.values[position]
            top = y + index * (BAR_HEIGHT + BAR_GAP)
            width = 0.0 if not value else plot * float(value) / largest
            if width:
                colour = PALETTE[index % len(PALETTE)]
                parts.append(f'<rect x="{LABEL_WIDTH}" y="{top:.1f}" width="{width:.1f}" '
                             f'height="{BAR_HEIGHT}" fill="{colour}"/>')
            label = missing if value is None else number(value)
            parts.append(_text(LABEL_WIDTH + width + 4, top + BAR_HEIGHT / 2, label))
        y += group + GROUP_GAP
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="{legend}" x2="{LABEL_WIDTH}" y2="{height}" '
                 f'stroke="{AXIS}" stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped # nosec B704
