"""The overview's chart: per area two horizontal bars, the registered share and the
attendance rate, drawn as SVG on the server (the house way of reports.charts, which sits
above this room: no JavaScript, fine under the strict CSP, sized by CSS). The table next
to it holds the same figures, and every bar carries its value as text; the two bars
differ by fill and by a text label, never by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from activities.meetings.selectors import format_rate

# Presentation attributes (allowed by the CSP), contrast >= 3:1 on white.
FILLS = ("#a8101a", "#1f4e79")
LABEL_WIDTH, PLOT_WIDTH, BAR, GAP, TOP = 96, 170, 18, 16, 8


@dataclass
class Bar:
    series: str
    value: float | None
    y: float
    width: float
    fill: str
    text_y: float

    @property
    def value_label(self) -> str:
        return f"{self.series} {format_rate(self.value)}"


@dataclass
class Group:
    label: str
    label_y: float
    bars: list[Bar] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    width: int
    height: int
    groups: list[Group] = field(default_factory=list)
    x: int = LABEL_WIDTH
    track: int = PLOT_WIDTH
    bar_height: int = BAR
    text_x: int = LABEL_WIDTH + PLOT_WIDTH + 6


def area_chart(title: str, series: tuple[str, ...], points) -> Chart:
    """`points`: (label, (value of each series, 0..1 or None)) per area."""
    points = list(points)
    step = BAR * len(series) + 4 * (len(series) - 1) + GAP
    chart = Chart(title, LABEL_WIDTH + PLOT_WIDTH + 112, TOP + step * max(len(points), 1))
    for index, (label, values) in enumerate(points):
        top = TOP + step * index
        short = label[:5] + ("…" if len(label) > 5 else "")
        group = Group(short, top + BAR - 3)
        for n, (name, value) in enumerate(zip(series, values, strict=True)):
            y = top + n * (BAR + 4)
            width = PLOT_WIDTH * max(0.0, min(1.0, value or 0.0))
            group.bars.append(Bar(name, value, y, width, FILLS[n % len(FILLS)], y + BAR - 4))
        chart.groups.append(group)
    return chart
