"""A unit's figures, and the comparison of sub-units by them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from activities.meetings.compliance import CellStatus
from activities.meetings.selectors import Tally, format_rate
from resources.funds.selectors import per_member

DIRECT = 0  # the sub-unit key of branches that sit on the node itself (a street's functional ones)


def _percent(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class Figures:
    """Every number the dashboard shows for one unit (a sub-unit row or the total)."""

    residents: int = 0  # active members living here
    registered: int = 0  # ... of whom with an accepted community registration
    branches: int = 0  # branches active today
    pilots: int = 0
    dissolved: int = 0
    kinds: Counter = field(default_factory=Counter)
    cells: Counter = field(default_factory=Counter)  # compliance cells by status
    branches_in_period: int = 0
    branches_behind: int = 0
    tally: Tally = field(default_factory=Tally)
    home_members: int = 0  # active members whose home branch is here
    inactive: int = 0
    warned_branches: int = 0
    warnings: Counter = field(default_factory=Counter)
    care_needs: int = 0  # open care needs (关怀对象)
    care_covered: int = 0  # ... visited within their interval
    care_overdue: int = 0  # ... past their interval without a visit
    # Funds (经费) of the period's year, exact Decimals (resources.funds).
    funds_allocated: Decimal = Decimal("0.00")
    funds_spent: Decimal = Decimal("0.00")  # approved or counted spending
    funds_overspent: int = 0  # branches that spent more than they were granted
    funds_unspent: int = 0  # branches granted money that spent nothing yet

    @property
    def funds_balance(self) -> Decimal:
        return self.funds_allocated - self.funds_spent

    @property
    def funds_per_member(self) -> Decimal | None:
        """Spent per member placed in the branches here, to the fen (half up)."""
        return per_member(self.funds_spent, self.home_members)

    def add_funds(self, allocated: Decimal, spent: Decimal) -> None:
        self.funds_allocated += allocated
        self.funds_spent += spent
        self.funds_overspent += spent > allocated
        self.funds_unspent += allocated > 0 and spent == 0

    @property
    def care_coverage(self) -> float | None:
        return _percent(self.care_covered, self.care_needs)

    @property
    def unregistered(self) -> int:
        return self.residents - self.registered

    @property
    def coverage(self) -> float | None:
        return _percent(self.registered, self.residents)

    @property
    def cells_met(self) -> int:
        return self.cells[CellStatus.MET]

    @property
    def cells_behind(self) -> int:
        return self.cells[CellStatus.BEHIND]

    @property
    def cells_in_progress(self) -> int:
        return self.cells[CellStatus.IN_PROGRESS]

    @property
    def cells_excused(self) -> int:
        return self.cells[CellStatus.EXCUSED]

    @property
    def compliance(self) -> float | None:
        """Met / (met + behind): excused periods and unfinished ones are not judged."""
        return _percent(self.cells_met, self.cells_met + self.cells_behind)

    @property
    def attendance(self) -> float | None:
        return self.tally.rate

    def labels(self) -> dict[str, str]:
        return {
            "coverage": format_rate(self.coverage),
            "compliance": format_rate(self.compliance),
            "attendance": format_rate(self.attendance),
            "care": format_rate(self.care_coverage),
        }


def add_tally(total: Tally, other: Tally) -> None:
    for name in ("expected", "present", "remote", "excused", "absent", "made_up"):
        setattr(total, name, getattr(total, name) + getattr(other, name))


@dataclass
class UnitRow:
    """One sub-unit in the comparison: a child organisation, a branch (on a community's
    dashboard) or the branches sitting on the node itself (DIRECT)."""

    key: int
    name: str
    level: str  # an organisation Level, or "branch" / "direct"
    figures: Figures = field(default_factory=Figures)
    path: str = ""
    url: str = ""


SORT_KEYS = {
    "name": lambda u: u.path or u.name,
    "residents": lambda u: u.figures.residents,
    "coverage": lambda u: u.figures.coverage if u.figures.coverage is not None else -1,
    "branches": lambda u: u.figures.branches,
    "compliance": lambda u: u.figures.compliance if u.figures.compliance is not None else -1,
    "behind": lambda u: u.figures.branches_behind,
    "attendance": lambda u: u.figures.attendance if u.figures.attendance is not None else -1,
    "inactive": lambda u: u.figures.inactive,
    "warnings": lambda u: u.figures.warned_branches,
    "care": lambda u: u.figures.care_coverage if u.figures.care_coverage is not None else -1,
    "overdue": lambda u: u.figures.care_overdue,
}


def sort_units(units: list[UnitRow], sort: str) -> tuple[list[UnitRow], str]:
    """Server-side sort for ?sort=key or ?sort=-key (descending); unknown keys: by name."""
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        return units, "name"
    ordered = sorted(units, key=lambda u: (SORT_KEYS[key](u), u.path or u.name))
    if sort.startswith("-"):
        ordered.reverse()
    return ordered, sort
