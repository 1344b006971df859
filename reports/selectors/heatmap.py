"""The heat map: one row of cells per meeting kind, a cell per compliance period."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from activities.meetings.compliance import CellStatus
from activities.meetings.models import MeetingKind
from activities.meetings.periods import Span


@dataclass
class HeatCell:
    cell: object  # activities.meetings.compliance.Cell, or None for "no rule"
    colspan: int

    @property
    def status(self) -> str:
        return self.cell.status if self.cell else CellStatus.NOT_REQUIRED


@dataclass
class HeatKind:
    kind: str
    label: str
    cells: list[HeatCell]

    @property
    def cells_html(self) -> str:
        """The row's cells as HTML: built here rather than in the template, which is
        several times slower per cell and the heat map has thousands of them."""
        words = (
            gettext("Not required"),
            gettext("Excused from the cadence"),
            gettext("Quorum not met"),
        )
        return mark_safe("".join(_heat_cell_html(hc, words) for hc in self.cells))  # noqa: S308 (escaped below)


def _heat_cell_html(hc: HeatCell, words: tuple[str, str]) -> str:
    """One cell; every text in it escaped (an excusal's reason is typed by users).
    f-strings rather than format_html: the page builds a few hundred of these."""
    not_required, excused, no_quorum = words
    c = hc.cell
    if c is None:
        return (
            f'<td colspan="{int(hc.colspan)}" class="hm hm-{escape(hc.status)}">'
            f'<span aria-hidden="true">—</span>'
            f'<span class="visually-hidden">{escape(not_required)}</span></td>'
        )
    title = f"{c.span.label} · {c.status_label}"
    if c.excusal:
        title += f" · {excused}：{c.excusal.reason}"
    # A meeting that failed its quorum is named in the cell: the count alone hides it.
    note = ""
    if c.quorum_missed:
        title += "".join(f" · {text}" for text in c.quorum_notes)
        note = f'<span class="hm-note">{escape(no_quorum)}</span>'

    if c.excusal and c.required:
        figure = f"<sup>{int(c.excusal.pk)}</sup>" + (
            f" {int(c.held)}/{int(c.required)}" if c.held else ""
        )
    elif c.required:
        figure = f" {int(c.counted)}/{int(c.required)}"
    else:
        figure = f" {int(c.held)}" if c.held else ""
    return (
        f'<td colspan="{int(hc.colspan)}" class="hm hm-{escape(hc.status)}"'
        f' title="{escape(title)}"><span aria-hidden="true">{escape(c.symbol)}</span>{figure}'
        f'<span class="visually-hidden"> {escape(c.status_label)}</span>{note}</td>'
    )


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month


def heat_kinds(cells_by_kind, months: list[Span], kinds_shown) -> list[HeatKind]:
    # Cells cover whole months: a cell spans as many heat map columns as its months
    # inside the shown window (index arithmetic, not a scan of the months per cell).
    first, last = _month_index(months[0].start), _month_index(months[-1].start)
    kinds = []
    for value, label in MeetingKind.choices:
        if value not in kinds_shown:
            continue
        cells = []
        for cell in cells_by_kind.get(value, []):
            start = _month_index(cell.span.start)
            overlap = min(start + cell.span.months - 1, last) - max(start, first) + 1
            if overlap > 0:
                cells.append(HeatCell(cell, overlap))
        if not cells:
            cells = [HeatCell(None, len(months))]
        kinds.append(HeatKind(value, str(label), cells))
    return kinds
