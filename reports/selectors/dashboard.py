"""What a dashboard shows: its figures, sub-units, branch lines and trend (pickled by
reports.cache: moving a class here means bumping its KEY_PREFIX).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from activities.meetings.compliance import CellStatus
from activities.meetings.periods import Span
from activities.meetings.selectors import Tally
from branches.models import Branch, BranchKind

from .figures import Figures, UnitRow
from .heatmap import HeatKind, heat_kinds
from .periods import PeriodChoice
from .structure import WARNING_TEXTS, warning_label

BEHIND_SHOWN = 20  # the dashboard lists this many branches behind; the drill-down all


@dataclass
class BranchLine:
    """A branch in the heat map, the behind list and the warnings list."""

    branch: Branch
    unit: str
    statuses: Counter = field(default_factory=Counter)
    behind_kinds: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    members: int = 0
    full_members: int = 0

    in_period: bool = False
    cells: dict = field(default_factory=dict)  # kind -> [Cell] from compliance()
    months: list = field(default_factory=list)
    kinds_shown: set = field(default_factory=set)
    _kinds: list | None = None

    @property
    def kinds(self) -> list[HeatKind]:
        """The heat map rows of this branch, built when first shown (a page of the heat
        map builds only its own branches')."""
        if self._kinds is None:
            self._kinds = (
                heat_kinds(self.cells, self.months, self.kinds_shown) if self.in_period else []
            )
        return self._kinds

    @property
    def is_behind(self) -> bool:
        return self.statuses.get(CellStatus.BEHIND, 0) > 0

    @property
    def warning_labels(self) -> list[str]:
        return [warning_label(code) for code in self.warnings]


@dataclass
class TrendPoint:
    month: Span
    tally: Tally
    url: str = ""

    @property
    def rate(self) -> float | None:
        return self.tally.rate


LINE_VIEWS = {
    "all": lambda line: True,
    "heat": lambda line: line.in_period,
    "behind": lambda line: line.is_behind,
    "warned": lambda line: bool(line.warnings),
}


@dataclass
class Dashboard:
    subject: object  # Organization or Branch
    choice: PeriodChoice
    today: datetime.date
    total: Figures
    units: list[UnitRow]
    lines: list[BranchLine]  # every branch of the period (heat map order)
    months: list[Span]  # the period's months (heat map columns)
    trend: list[TrendPoint]
    unit_label: str = ""
    kinds_shown: set = field(default_factory=set)  # meeting kinds some rule asks for here

    @property
    def span(self) -> Span:
        return self.choice.span

    def view(self, which: str) -> list[BranchLine]:
        """The lines of the heat map ("heat"), of the branches behind ("behind"), with
        a warning ("warned"), or all of them."""
        keep = LINE_VIEWS[which]
        return [line for line in self.lines if keep(line)]

    @property
    def behind(self) -> list[BranchLine]:
        return self.view("behind")

    @property
    def behind_first(self) -> list[BranchLine]:
        """The BEHIND_SHOWN branches furthest behind (the page links to all of them)."""
        return ranked_behind(self.behind)[:BEHIND_SHOWN]

    @property
    def warned(self) -> list[BranchLine]:
        return self.view("warned")

    @property
    def warning_rows(self) -> list[tuple[str, str, int]]:
        return [(code, warning_label(code), self.total.warnings[code]) for code in WARNING_TEXTS]

    @property
    def kind_rows(self) -> list[tuple[str, str, int]]:
        return [(value, label, self.total.kinds[value]) for value, label in BranchKind.choices]

    @property
    def excusals(self) -> list:
        return excusals_of(self.heat_lines)

    @property
    def quorum_notes(self) -> list[tuple[str, str]]:
        return quorum_notes_of(self.heat_lines)

    @property
    def heat_lines(self) -> list[BranchLine]:
        return self.view("heat")


def quorum_notes_of(lines: list[BranchLine]) -> list[tuple[str, str]]:
    """(branch name, why a meeting was not counted) for the failed quorums in these heat
    map lines' cells (no query)."""
    return [
        (line.branch.name, text)
        for line in lines
        for kind in line.kinds
        for cell in kind.cells
        if cell.cell is not None
        for text in cell.cell.quorum_notes
    ]


def ranked_behind(lines) -> list[BranchLine]:
    """Branches behind, furthest behind first (the order the dashboard lists them in, and
    so its export and PDF); a stable sort keeps path order between equals."""
    return sorted(lines, key=lambda line: -line.statuses.get(CellStatus.BEHIND, 0))


def excusals_of(lines: list[BranchLine]) -> list:
    """The excusals behind the excused cells of these heat map lines (no query)."""
    found = {}
    for line in lines:
        for kind in line.kinds:
            for cell in kind.cells:
                if cell.cell is not None and cell.cell.excusal is not None:
                    excusal = cell.cell.excusal
                    excusal.branch = line.branch
                    found[excusal.pk] = excusal
    return sorted(found.values(), key=lambda e: (e.branch.name, e.period_start, e.pk))
