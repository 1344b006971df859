"""Cadence compliance: meetings held against what the rules require, per branch, kind and
period (with excusals and quorum misses). A fixed number of queries for any number of
branches (the docstrings say how many)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from branches.models import Branch, Organization, PartyGroup
from members.models import CommitteeTerm

from .models import (
    Attendance,
    CadenceRule,
    Excusal,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from .periods import Period, Span, spans_between
from .quorum import FOUR_FIFTHS
from .selectors import (
    tally_annotations,
    tally_from,
)

# --- Compliance (held vs required) -----------------------------------------------------


class CellStatus:
    MET = "met"
    BEHIND = "behind"
    IN_PROGRESS = "in_progress"
    EXCUSED = "excused"
    NOT_REQUIRED = "not_required"


# Symbol + words: status is never told by colour alone.
CELL_LABELS = {
    CellStatus.MET: ("✓", gettext_lazy("Met")),
    CellStatus.BEHIND: ("✗", gettext_lazy("Behind")),
    CellStatus.IN_PROGRESS: ("…", gettext_lazy("In progress")),
    CellStatus.EXCUSED: ("免", pgettext_lazy("compliance", "Excused")),
    CellStatus.NOT_REQUIRED: ("—", gettext_lazy("Not required")),
}
STATUS_WEIGHT = {
    CellStatus.BEHIND: 4,
    CellStatus.IN_PROGRESS: 3,
    CellStatus.MET: 2,
    CellStatus.EXCUSED: 1,
    CellStatus.NOT_REQUIRED: 0,
}


@dataclass(frozen=True)
class QuorumMiss:
    """Held meetings of one day that failed their quorum (`rule`: activities.meetings.quorum)."""

    day: datetime.date
    rule: str

    def label(self, kind: str) -> str:
        """E.g. "3月 支部党员大会 到会不足法定人数（选举需4/5），不计入"."""
        values = {"month": f"{self.day.month}月", "kind": MeetingKind(kind).label}
        if self.rule == FOUR_FIFTHS:
            text = _(
                "%(month)s %(kind)s: too few attended for the quorum (an election needs "
                "four fifths), not counted"
            )
        else:
            text = _(
                "%(month)s %(kind)s: too few attended for the quorum (more than half "
                "needed), not counted"
            )
        return text % values


@dataclass
class Cell:
    """One branch, one kind of meeting, one period of its rule."""

    kind: str
    span: Span
    rule: CadenceRule | None = None
    required: int = 0
    held: int = 0  # held meetings that count (a failed quorum does not)
    counted: int = 0  # held meetings that count towards `required` (capped per group)
    status: str = CellStatus.NOT_REQUIRED
    excusal: Excusal | None = None
    quorum_missed: list[QuorumMiss] = field(default_factory=list)

    @property
    def quorum_notes(self) -> list[str]:
        return [miss.label(self.kind) for miss in self.quorum_missed]

    @property
    def symbol(self) -> str:
        return CELL_LABELS[self.status][0]

    @property
    def status_label(self) -> str:
        return str(CELL_LABELS[self.status][1])


@dataclass
class Summary:
    """Several cells of one branch and kind added up (e.g. a quarter's three months)."""

    kind: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(MeetingKind(self.kind).label)

    @property
    def required(self) -> int:
        return sum(c.required for c in self.cells if c.status != CellStatus.EXCUSED)

    @property
    def counted(self) -> int:
        return sum(c.counted for c in self.cells if c.status != CellStatus.EXCUSED)

    @property
    def held(self) -> int:
        return sum(c.held for c in self.cells)

    @property
    def quorum_notes(self) -> list[str]:
        return [note for c in self.cells for note in c.quorum_notes]

    @property
    def status(self) -> str:
        if not self.cells:
            return CellStatus.NOT_REQUIRED
        return max((c.status for c in self.cells), key=STATUS_WEIGHT.__getitem__)

    @property
    def symbol(self) -> str:
        return CELL_LABELS[self.status][0]

    @property
    def status_label(self) -> str:
        return str(CELL_LABELS[self.status][1])


def _prorate(minimum: int, months: int, span_months: int) -> int:
    """minimum x months / span_months, rounded half up (integers only)."""
    return (2 * minimum * months + span_months) // (2 * span_months)


def _district_path(branch: Branch) -> str:
    # "city/district/..." -> "city/district/": the branch's district node.
    prefixes = Organization.path_prefixes(branch.organization.path)
    return prefixes[1] if len(prefixes) > 1 else prefixes[0]


def _governing_rule(rules, district_path: str, kind: str, day: datetime.date):
    """The rule for `kind` in force on `day`: the district's own rule wins over the
    default; among several, the one in force from the latest date."""
    own = [
        r
        for r in rules
        if r.kind == kind and r.district_id and r.district.path == district_path
        if r.in_force_on(day)
    ]
    if own:
        return max(own, key=lambda r: (r.valid_from, r.pk))
    default = [r for r in rules if r.kind == kind and not r.district_id and r.in_force_on(day)]
    return max(default, key=lambda r: (r.valid_from, r.pk)) if default else None


def compliance(
    branches: list[Branch],
    start: datetime.date,
    end: datetime.date,
    *,
    today: datetime.date,
    area: Q | None = None,
) -> dict[int, dict[str, list[Cell]]]:
    """Held vs required for every branch x kind x rule period overlapping [start, end].

    `area`, a filter on Branch that selects at least these branches (e.g. a node's
    subtree), lets the queries name the area instead of listing thousands of ids.

    Five queries whatever the number of branches: the rules, one aggregate of held
    meetings (branch, kind, party group, month), the excusals, the party groups and the
    committee terms. `branches` must come with their organisation loaded.

    How the awkward cases are decided:
    - A rule applies to a period if it governs the period's last day (a district's own
      rule for the kind replaces the default).
    - A branch owes a period's minimum in proportion to the whole months it existed in
      that period (founded on or before the 1st, not dissolved before the month's end),
      rounded half up: founded mid-quarter with two whole months left still owes the
      quarter's meeting; one month left owes nothing. Nothing is owed after dissolution.
    - Committee meetings are owed only in months whose latest committee term (started by
      the month's end) has a committee; a branch led by a secretary alone owes none.
    - Party group meetings are owed per group: each group's meetings count up to the
      group's own minimum, so one busy group does not cover a silent one.
    - A general assembly or committee meeting that failed its quorum (Meeting.
      quorum_missed, see activities.meetings.quorum) was not validly held: it does not count, and
      the cell lists it (`Cell.quorum_missed`) so the page can say why.
    - An excusal covering the whole period (all kinds or this kind) marks it excused.
    - A period not yet over is "in progress", never "behind".
    """
    by_pk = {b.pk: b for b in branches}
    cells: dict[int, dict[str, list[Cell]]] = {pk: defaultdict(list) for pk in by_pk}
    if not by_pk:
        return cells
    rules = list(CadenceRule.objects.in_force(start, end).select_related("district"))
    # Which rule governs which period depends on the district only: plan once per district.
    plans_by_district: dict[str, list] = {}
    for branch in branches:
        district_path = _district_path(branch)
        if district_path in plans_by_district:
            continue
        plans = plans_by_district[district_path] = []
        for kind in MeetingKind.values:
            for rule in rules:
                if rule.kind != kind or (rule.district_id and rule.district.path != district_path):
                    continue
                for span in spans_between(rule.period, start, end):
                    if _governing_rule(rules, district_path, kind, span.end) is rule:
                        plans.append((kind, rule, span, span.end, span.month_starts))
    all_plans = [plan for plans in plans_by_district.values() for plan in plans]
    if not all_plans:
        return cells
    lo = min(plan[2].start for plan in all_plans)
    hi = max(plan[3] for plan in all_plans)
    ids = list(by_pk)
    of_branches = (
        Q(branch__in=Branch.objects.filter(area)) if area is not None else Q(branch_id__in=ids)
    )

    # Months are numbered from `lo` (every rule period starts on a 1st and ends on a
    # month's last day), so a period is a range of indices and sums are slices.
    month_ends = [m.end for m in spans_between(Period.MONTH, lo, hi)]
    n_months = len(month_ends)

    def index(day: datetime.date) -> int:
        return (day.year - lo.year) * 12 + day.month - lo.month

    plan_ranges = {
        district_path: [
            (kind, rule, span, span_end, index(span.start), index(span.start) + len(starts))
            for kind, rule, span, span_end, starts in plans
        ]
        for district_path, plans in plans_by_district.items()
    }

    # branch -> kind -> group (None: not a group meeting) -> meetings held per month
    # index. Grouped by day in SQL (a plain date column loads much faster than a
    # truncated timestamp).
    held: dict[int, dict[str, dict]] = defaultdict(dict)
    # Each kind only over its own periods: a quarter's page needs a year of meetings only
    # for the kinds with yearly rules.
    windows: dict[str, tuple[datetime.date, datetime.date]] = {}
    for kind, _rule, span, span_end, _starts in all_plans:
        low, high = windows.get(kind, (span.start, span_end))
        windows[kind] = (min(low, span.start), max(high, span_end))
    in_window = Q()
    for kind, (low, high) in windows.items():
        in_window |= Q(kind=kind, held_on__gte=low, held_on__lte=high)
    rows = (
        Meeting.objects.filter(
            in_window,
            of_branches,
            status=MeetingStatus.HELD,
            held_on__gte=lo,  # implied by the windows; lets the index bound the scan
            held_on__lte=hi,
        )
        .values_list("branch_id", "kind", "party_group_id", "held_on", "quorum_missed")
        .annotate(n=Count("*"))
        .order_by()
    )
    # branch -> kind -> [(day, rule)] of meetings that failed their quorum.
    missed: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for branch_id, kind, group_id, held_on, quorum_missed, n in rows:
        if quorum_missed:
            missed[branch_id][kind].append((held_on, quorum_missed))
            continue
        by_group = held[branch_id].setdefault(kind, {})
        by_month = by_group.get(group_id)
        if by_month is None:
            by_month = by_group[group_id] = [0] * n_months
        by_month[index(held_on)] += n

    excusals = defaultdict(list)
    # (Explicit orders: the models' default ones join the branches only to sort.)
    for excusal in Excusal.objects.filter(
        of_branches, period_start__lte=hi, period_start__gt=lo - datetime.timedelta(366)
    ).order_by("-period_start", "pk"):
        excusals[excusal.branch_id].append(excusal)
    groups = defaultdict(list)
    for branch_id, group_id in (
        PartyGroup.objects.filter(of_branches).values_list("branch_id", "pk").order_by()
    ):
        groups[branch_id].append(group_id)
    terms = defaultdict(list)  # branch -> [(starts_on, has_committee)] ascending
    for branch_id, starts_on, has_committee in (
        CommitteeTerm.objects.filter(of_branches, starts_on__lte=hi)
        .order_by("starts_on", "pk")
        .values_list("branch_id", "starts_on", "has_committee")
    ):
        terms[branch_id].append((starts_on, has_committee))

    district_of = {b.organization_id: _district_path(b) for b in branches}

    for branch in branches:
        pk = branch.pk
        # The whole months the branch existed (founded on or before the 1st, not dissolved
        # before the month's end): one range of indices [first, stop).
        established, dissolved = branch.established_on, branch.dissolved_on
        first = 0 if established is None else max(0, index(established) + (established.day > 1))
        # Dissolved on day d: gone before the end of d's month, so its months stop there.
        stop = n_months if dissolved is None else min(n_months, max(0, index(dissolved)))
        # Months whose latest committee term (started by the month's end) has a committee.
        sat = [0] * n_months
        branch_terms, t, latest = terms[pk], 0, None
        for i in range(first, stop):
            while t < len(branch_terms) and branch_terms[t][0] <= month_ends[i]:
                latest = branch_terms[t][1]
                t += 1
            sat[i] = 1 if latest else 0
        branch_groups = groups[pk]
        group_set = set(branch_groups)
        branch_held = held.get(pk, {})
        branch_missed = missed.get(pk, {})
        branch_excusals = excusals[pk]
        branch_cells = cells[pk]
        for kind, rule, span, span_end, a, b in plan_ranges[district_of[branch.organization_id]]:
            if kind == MeetingKind.COMMITTEE:
                whole = sum(sat[a:b])
            else:
                whole = max(0, min(b, stop) - max(a, first))
            share = _prorate(rule.minimum_count, whole, b - a)
            # Meetings of this kind by group (None: not a group meeting), in the period.
            by_group = {
                g: sum(counts[a:b])
                for g, counts in branch_held.get(kind, {}).items()
                if g is None or g in group_set
            }
            held_n = sum(by_group.values())
            if rule.per_group:
                required = share * len(branch_groups)
                counted = sum(min(by_group.get(g, 0), share) for g in branch_groups)
            else:
                required = share
                counted = min(held_n, share)
            excusal = None
            if branch_excusals:
                excusal = next((e for e in branch_excusals if e.covers(span, kind)), None)
            if required == 0:
                status = CellStatus.NOT_REQUIRED
            elif excusal is not None:
                status = CellStatus.EXCUSED
            elif counted >= required:
                status = CellStatus.MET
            elif span_end >= today:
                status = CellStatus.IN_PROGRESS
            else:
                status = CellStatus.BEHIND
            failed = [
                QuorumMiss(day, quorum_rule)
                for day, quorum_rule in branch_missed.get(kind, ())
                if span.start <= day <= span_end
            ]
            failed.sort(key=lambda miss: miss.day)
            branch_cells[kind].append(
                Cell(kind, span, rule, required, held_n, counted, status, excusal, failed)
            )
    for by_kind in cells.values():
        for kind_cells in by_kind.values():
            kind_cells.sort(key=lambda c: c.span)
    return cells


def branch_rates(branch_ids: list[int], start: datetime.date, end: datetime.date):
    """Attendance tallies per branch for held meetings in [start, end] (one query)."""
    rows = (
        Attendance.objects.filter(
            meeting__branch_id__in=branch_ids,
            meeting__status=MeetingStatus.HELD,
            meeting__held_on__gte=start,
            meeting__held_on__lte=end,
        )
        .values("meeting__branch_id")
        .annotate(**tally_annotations())
        .order_by()
    )
    return {row["meeting__branch_id"]: tally_from(row) for row in rows}
