"""Server-rendered SVG bar charts (no JavaScript: works under the strict CSP, prints and
goes into the PDF as vectors). Each chart is drawn next to a table holding the same data,
so nothing is told by the picture alone.

A chart is plain geometry in a fixed viewBox; CSS sizes it (reports.css), so no element
carries a style attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from activities.meetings.selectors import format_rate

# Fills are presentation attributes (allowed by the CSP, read by WeasyPrint too), picked
# for contrast >= 3:1 on white; every bar also carries its value as text.
BAR_FILL = "#a8101a"
EMPTY_FILL = "#ffffff"
AXIS = "#404040"


@dataclass
class Bar:
    label: str
    value: float | None  # 0..1 (a rate)
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    text_x: float = 0
    text_y: float = 0
    label_x: float = 0
    label_y: float = 0
    href: str = ""
    track: float = 0  # the full length of a horizontal bar's 100%

    @property
    def value_label(self) -> str:
        return format_rate(self.value)


@dataclass
class Gridline:
    y: float
    label: str
    x1: float
    x2: float

    @property
    def label_x(self) -> float:
        return self.x1 - 6

    @property
    def label_y(self) -> float:
        return self.y + 5


@dataclass
class Chart:
    title: str
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    horizontal: bool = False
    gridlines: list[Gridline] = field(default_factory=list)
    fill: str = BAR_FILL
    axis: str = AXIS


def column_chart(title: str, points: list[tuple[str, float | None, str]]) -> Chart:
    """Vertical bars, one per point (label, rate 0..1 or None, link): e.g. months."""
    plot_left, plot_top, plot_height, slot = 48, 24, 180, 56
    width = plot_left + slot * max(len(points), 1) + 8
    chart = Chart(title, width, plot_top + plot_height + 40)
    for pct in (0, 50, 100):
        y = plot_top + plot_height * (1 - pct / 100)
        chart.gridlines.append(Gridline(y, f"{pct}%", plot_left, width - 8))
    for index, (label, value, href) in enumerate(points):
        height = plot_height * max(0.0, min(1.0, value or 0.0))
        x = plot_left + slot * index + 10
        bar = Bar(label, value, href=href)
        bar.x, bar.width = x, slot - 20
        bar.y, bar.height = plot_top + plot_height - height, height
        bar.text_x, bar.text_y = x + (slot - 20) / 2, bar.y - 6
        bar.label_x, bar.label_y = bar.text_x, plot_top + plot_height + 22
        chart.bars.append(bar)
    return chart


def bar_chart(title: str, points: list[tuple[str, float | None, str]]) -> Chart:
    """Horizontal bars, one per point: e.g. the sub-units of a node."""
    label_width, plot_width, row, top = 130, 230, 30, 6
    chart = Chart(title, label_width + plot_width + 80, top + row * max(len(points), 1) + 8)
    chart.horizontal = True
    for index, (label, value, href) in enumerate(points):
        y = top + row * index
        bar = Bar(label[:8] + ("…" if len(label) > 8 else ""), value, href=href)
        bar.x, bar.y, bar.height = label_width, y + 4, row - 8
        bar.track = plot_width
        bar.width = plot_width * max(0.0, min(1.0, value or 0.0))
        # The value stands after the 100% track, never on a bar or inside the track.
        bar.text_x, bar.text_y = label_width + plot_width + 6, y + row / 2 + 6
        bar.label_x, bar.label_y = label_width - 8, y + row / 2 + 6
        chart.bars.append(bar)
    return chart
