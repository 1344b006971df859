"""Dashboard figures for an organisation node (city, district, street, community) or one
branch, for a chosen month, quarter or year.

Each widget is one aggregate query over the node's subtree (materialized path prefix),
grouped by branch or community and rolled up to the sub-units in Python; cadence
compliance reuses `activities.selectors.compliance` (five queries for any number of
branches). So a dashboard runs the same number of queries whatever the data size:
`node_dashboard` runs NODE_QUERIES, `branch_dashboard` BRANCH_QUERIES (pinned by
tests/reports/test_query_counts.py). The queries' rows (`area_rows`) are keyed by
organisation or branch, so every node inside an area can be assembled from one set of
them with no further query (reports.cache computes a district's streets that way).
The pages read these figures through reports.cache.

Reports never write: everything here is a read.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.query import query_int
from activities.care.models import CareNeed
from activities.care.selectors import COVERED, OVERDUE, with_visit_state
from activities.meetings.compliance import CellStatus, compliance
from activities.meetings.models import BranchMonthTally, Meeting, MeetingKind, MeetingStatus
from activities.meetings.periods import (
    Period,
    Span,
    quarter_span,
    span_of,
    spans_between,
    year_span,
)
from activities.meetings.selectors import Tally, format_rate, tally_annotations
from activities.meetings.summaries import TALLY_FIELDS
from branches.models import Branch, BranchKind, Level, Organization
from members.models import (
    BranchMembership,
    CommitteeTerm,
    CommunityRegistration,
    Member,
    MemberStatus,
    Post,
    RegistrationStatus,
)
from members.selectors import COMMITTEE_FROM, MAX_MEMBERS, MIN_FULL_MEMBERS, TERM_WARNING_DAYS

# Registration statuses that count as "registered" (accepted, and possibly notified).
REGISTERED = (RegistrationStatus.ACCEPTED, RegistrationStatus.NOTIFIED)
TREND_MONTHS = 6  # the attendance trend shows at least this many months
INACTIVE_MONTHS = 3  # "no participation for three months"
BEHIND_SHOWN = 20  # the dashboard lists this many branches behind; the drill-down all
DIRECT = 0  # the sub-unit key of branches that sit on the node itself (a street's functional ones)

# Queries each dashboard runs (besides the request's own: session, user, scope, node).
# node: organisations, branches, registration coverage, attendance, inactive members,
#   home-member counts, functional memberships, current terms, care, + compliance (5).
NODE_QUERIES = 14
# branch: the same without the organisation list, the branch list and coverage.
BRANCH_QUERIES = 11


# --- Periods ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodChoice:
    span: Span
    year: int
    month: int
    quarter: int

    @property
    def period(self) -> str:
        return self.span.period

    def query(self, span: Span | None = None) -> str:
        """The query string that chooses `span` (this period by default)."""
        span = span or self.span
        params = f"period={span.period}&year={span.start.year}"
        if span.period == Period.MONTH:
            params += f"&month={span.start.month}"
        elif span.period == Period.QUARTER:
            params += f"&quarter={span.quarter}"
        return params

    @property
    def previous(self) -> Span:
        return span_of(self.span.period, self.span.start - datetime.timedelta(days=1))

    @property
    def next(self) -> Span:
        return span_of(self.span.period, self.span.end + datetime.timedelta(days=1))


def choose_period(params, *, today: datetime.date) -> PeriodChoice:
    """?period=month|quarter|year&year=2026&month=5&quarter=2; the current quarter by
    default. Anything invalid falls back to the default rather than failing."""
    period = params.get("period")
    if period not in Period.values:
        period = Period.QUARTER
    year = query_int(params.get("year"), 2000, 2100) or today.year
    month = query_int(params.get("month"), 1, 12) or today.month
    quarter = query_int(params.get("quarter"), 1, 4) or (today.month - 1) // 3 + 1
    if period == Period.MONTH:
        span = Span(datetime.date(year, month, 1), Period.MONTH)
    elif period == Period.QUARTER:
        span = quarter_span(year, quarter)
    else:
        span = year_span(year)
    return PeriodChoice(span, year, span.start.month if period == Period.MONTH else month, quarter)


def trend_months(span: Span) -> list[Span]:
    """The months the attendance trend covers: the period's own, and at least the
    TREND_MONTHS months that end with it."""
    count = max(span.months, TREND_MONTHS)
    first = span.start
    for _step in range(count - span.months):
        first = span_of(Period.MONTH, first - datetime.timedelta(days=1)).start
    return spans_between(Period.MONTH, first, span.end)


def months_before(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- Figures ---------------------------------------------------------------------------


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


# --- Structure warnings ----------------------------------------------------------------

WARNING_TEXTS = {
    "too_few": _("Fewer than %(n)d full members"),
    "too_many": _("More than %(n)d members"),
    "no_committee": _("%(n)d or more full members but no committee"),
    "no_term": _("No current committee term"),
    "vacant": _("Vacant post or no secretary"),
    "term_ending": _("Term ends within six months"),
}
WARNING_NUMBERS = {
    "too_few": MIN_FULL_MEMBERS,
    "too_many": MAX_MEMBERS,
    "no_committee": COMMITTEE_FROM,
}


def warning_label(code: str) -> str:
    """The warning's words in the active language (translated when called)."""
    text = str(WARNING_TEXTS[code])
    return text % {"n": WARNING_NUMBERS[code]} if code in WARNING_NUMBERS else text


@dataclass
class TermFacts:
    ends_on: datetime.date
    has_committee: bool
    secretaries: int
    vacant: int


def branch_warning_codes(
    *, members: int, full: int, term: TermFacts | None, today: datetime.date
) -> list[str]:
    """The structure rules of members.selectors.structure_warnings, from counts (pure)."""
    codes = []
    if full < MIN_FULL_MEMBERS:
        codes.append("too_few")
    if members > MAX_MEMBERS:
        codes.append("too_many")
    if full >= COMMITTEE_FROM and not (term and term.has_committee):
        codes.append("no_committee")
    if term is None:
        codes.append("no_term")
    else:
        if term.vacant or not term.secretaries:
            codes.append("vacant")
        if (term.ends_on - today).days <= TERM_WARNING_DAYS:
            codes.append("term_ending")
    return codes


# --- Rows of the dashboard -------------------------------------------------------------


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


@dataclass
class HeatCell:
    cell: object  # activities.selectors.Cell, or None for "no rule"
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
                _heat_kinds(self.cells, self.months, self.kinds_shown) if self.in_period else []
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


# --- The queries -----------------------------------------------------------------------


def period_branches(branches: list[Branch], span: Span) -> list[Branch]:
    """Branches that existed at some point in the span (as activities' overview)."""
    return [
        b
        for b in branches
        if (b.dissolved_on is None or b.dissolved_on > span.start)
        and (b.established_on is None or b.established_on <= span.end)
    ]


def _active_on(branch: Branch, day: datetime.date) -> bool:
    return branch.dissolved_on is None or branch.dissolved_on > day


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month


def _heat_kinds(cells_by_kind, months: list[Span], kinds_shown) -> list[HeatKind]:
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


def _attendance_rows(branch_filter: Q, months: list[Span]):
    """(branch id, month, Tally) of held meetings per branch and month, from the
    summary the meeting services keep (activities.summaries): one query."""
    rows = BranchMonthTally.objects.filter(
        branch_filter, month__gte=months[0].start, month__lte=months[-1].start
    ).values_list("branch_id", "month", *TALLY_FIELDS)
    for branch_id, month, *counts in rows.order_by():
        yield branch_id, month, Tally(*counts)


def inactive_members(members, today: datetime.date):
    """Active members placed in a home branch who took no part in the last three months:
    no held meeting attended (present or remote) and no make-up since then. Reads each
    member's latest participation (Member.last_participated_on, kept by
    activities.summaries): no join, so a district's count does not grow with the city."""
    since = months_before(today, INACTIVE_MONTHS)
    return members.filter(status=MemberStatus.ACTIVE, home_branch__isnull=False).filter(
        Q(last_participated_on__isnull=True) | Q(last_participated_on__lt=since)
    )


def _registered_exists():
    return Exists(
        CommunityRegistration.objects.filter(member=OuterRef("pk"), status__in=REGISTERED)
    )


def _care_rows(where: Q, today: datetime.date):
    """Open care needs, visited on time and overdue (activities.care_selectors' rule),
    by community of residence and home branch: one query, on the last visit the visit
    services store on each need (activities.summaries)."""
    return (
        with_visit_state(
            CareNeed.objects.open().filter(where), today, last_visit=F("last_visit_on")
        )
        .values("member__community_id", "member__home_branch_id")
        .annotate(
            n_needs=Count("pk"),
            n_covered=Count("pk", filter=COVERED),
            n_overdue=Count("pk", filter=OVERDUE),
        )
        .order_by()
    )


def _structure(branch_ids_q: Q, membership_q: Q, today: datetime.date):
    """(home-member counts, functional membership counts, current terms): 3 queries."""
    home = {
        row["home_branch_id"]: (row["n"], row["full"])
        for row in Member.objects.filter(branch_ids_q, status=MemberStatus.ACTIVE)
        .values("home_branch_id")
        .annotate(n=Count("*"), full=Count("pk", filter=Q(full_member_on__lte=today)))
        .order_by()
    }
    functional = {
        row["branch_id"]: (row["n"], row["full"])
        for row in BranchMembership.objects.filter(
            membership_q,
            branch__kind=BranchKind.FUNCTIONAL,
            left_on__isnull=True,
            member__status=MemberStatus.ACTIVE,
        )
        .values("branch_id")
        .annotate(n=Count("*"), full=Count("pk", filter=Q(member__full_member_on__lte=today)))
        .order_by()
    }
    terms: dict[int, TermFacts] = {}
    # A post nobody holds, or whose holder died or moved away (Position.is_vacant).
    vacant = Q(positions__member__isnull=True) | Q(
        positions__member__status__in=[MemberStatus.MOVED, MemberStatus.DECEASED]
    )
    rows = (
        CommitteeTerm.objects.current(today)
        .filter(membership_q)
        .values("branch_id", "pk", "starts_on", "ends_on", "has_committee")
        .annotate(
            secretaries=Count(
                "positions",
                filter=Q(
                    positions__post=Post.SECRETARY,
                    positions__member__status=MemberStatus.ACTIVE,
                ),
            ),
            vacant=Count("positions", filter=vacant),
        )
        .order_by("branch_id", "starts_on", "pk")
    )
    for row in rows:  # the latest current term of each branch wins
        terms[row["branch_id"]] = TermFacts(
            row["ends_on"], row["has_committee"], row["secretaries"], row["vacant"]
        )
    return home, functional, terms


def _fill_branch_lines(
    lines: dict[int, BranchLine],
    branches: list[Branch],
    cells,
    months: list[Span],
    structure,
    today: datetime.date,
) -> set[str]:
    """Fill the lines; returns the meeting kinds the heat map shows."""
    home, functional, terms = structure
    kind_labels = dict(MeetingKind.choices)
    # The heat map shows the kinds some rule asks for here (all seven by default).
    kinds_shown = {kind for by_kind in cells.values() for kind, found in by_kind.items() if found}
    for branch in branches:
        line = lines[branch.pk]
        if branch.pk in cells:
            line.in_period = True
            line.cells, line.months, line.kinds_shown = cells[branch.pk], months, kinds_shown
            for kind, kind_cells in cells[branch.pk].items():
                for cell in kind_cells:
                    line.statuses[cell.status] += 1
                if any(c.status == CellStatus.BEHIND for c in kind_cells):
                    line.behind_kinds.append(str(kind_labels[kind]))
        counts = functional if branch.kind == BranchKind.FUNCTIONAL else home
        line.members, line.full_members = counts.get(branch.pk, (0, 0))
        if _active_on(branch, today):
            line.warnings = branch_warning_codes(
                members=line.members,
                full=line.full_members,
                term=terms.get(branch.pk),
                today=today,
            )
    return kinds_shown


@dataclass
class Rows:
    """What the queries return for an area (a node's subtree) and a period: every row
    keyed by organisation or branch, so a node inside the area takes its own share of
    them (`within`) and a district's streets are assembled from one set of queries."""

    path: str
    choice: PeriodChoice
    today: datetime.date
    orgs: list  # (pk, name, level, path) in path order
    branches: list[Branch]  # with their organisation, in heat map order
    coverage: list[dict]  # residents and registered, by community
    care: list[dict]  # open care needs by community and home branch
    cells: dict  # branch pk -> kind -> [Cell] (activities.selectors.compliance)
    attendance: list  # (branch pk, month, Tally)
    inactive: list[dict]  # members without participation, by home branch
    structure: tuple  # (home counts, functional counts, current terms) by branch

    def within(self, node: Organization) -> Rows:
        if node.path == self.path:
            return self
        path = node.path
        orgs = [org for org in self.orgs if org[3].startswith(path)]
        org_ids = {org[0] for org in orgs}
        branches = [b for b in self.branches if b.organization.path.startswith(path)]
        ids = {b.pk for b in branches}
        home, functional, terms = self.structure
        return Rows(
            path=path,
            choice=self.choice,
            today=self.today,
            orgs=orgs,
            branches=branches,
            coverage=[row for row in self.coverage if row["community_id"] in org_ids],
            care=[row for row in self.care if row["member__community_id"] in org_ids],
            cells={pk: cells for pk, cells in self.cells.items() if pk in ids},
            attendance=[row for row in self.attendance if row[0] in ids],
            inactive=[row for row in self.inactive if row["home_branch_id"] in ids],
            structure=tuple(
                {pk: value for pk, value in rows.items() if pk in ids}
                for rows in (home, functional, terms)
            ),
        )


def area_rows(node: Organization, choice: PeriodChoice, *, today: datetime.date) -> Rows:
    """The rows of the node's subtree: NODE_QUERIES queries, whatever its size."""
    path = node.path
    orgs = list(
        Organization.objects.filter(path__startswith=path)
        .values_list("pk", "name", "level", "path")
        .order_by("path")
    )
    # Every branch of the subtree, dissolved ones included.
    branches = list(
        Branch.objects.filter(organization__path__startswith=path)
        .select_related("organization")
        .order_by("organization__path", "name", "pk")
    )
    # Registration coverage of the residents, by community. A join rather than EXISTS:
    # PostgreSQL hashes an EXISTS over every registration in the city, so the district's
    # figure would grow with the city.
    coverage = list(
        Member.objects.filter(community__path__startswith=path, status=MemberStatus.ACTIVE)
        .values("community_id")
        .annotate(
            n=Count("pk", distinct=True),
            registered=Count("pk", distinct=True, filter=Q(registrations__status__in=REGISTERED)),
        )
        .order_by()
    )
    care = list(_care_rows(Q(member__community__path__startswith=path), today))
    return Rows(
        path,
        choice,
        today,
        orgs,
        branches,
        coverage,
        care,
        **_branch_rows(
            choice,
            today,
            branches,
            attendance_q=Q(branch__organization__path__startswith=path),
            member_q=Q(home_branch__organization__path__startswith=path),
            structure_q=Q(branch__organization__path__startswith=path),
            area=Q(organization__path__startswith=path),
        ),
    )


def _branch_rows(choice, today, branches, *, attendance_q, member_q, structure_q, area=None):
    """Compliance (5 queries), attendance (1), inactive members (1), structure (3)."""
    span = choice.span
    cells = compliance(
        period_branches(branches, span), span.start, span.end, today=today, area=area
    )
    inactive = list(
        inactive_members(Member.objects.filter(member_q), today)
        .values("home_branch_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {
        "cells": cells,
        "attendance": list(_attendance_rows(attendance_q, trend_months(span))),
        "inactive": inactive,
        "structure": _structure(member_q, structure_q, today),
    }


def node_dashboard(
    node: Organization, choice: PeriodChoice, *, today: datetime.date, rows: Rows | None = None
) -> Dashboard:
    """The dashboard of an organisation node: NODE_QUERIES queries, whatever its size;
    none when given the rows of an area the node is in (`area_rows`)."""
    if rows is None:
        rows = area_rows(node, choice, today=today)
    if (rows.choice, rows.today) != (choice, today) or not node.path.startswith(rows.path):
        raise ValueError("rows of another period, day or area")
    rows = rows.within(node)
    span = choice.span
    months = spans_between(Period.MONTH, span.start, span.end)
    trend = trend_months(span)
    path = node.path
    depth = len(path.rstrip("/").split("/"))

    # The subtree's organisations: names of the sub-units and the roll-up map.
    orgs = rows.orgs
    by_path = {p: pk for pk, _name, _level, p in orgs}
    by_branch = node.level == Level.COMMUNITY
    units: dict[int, UnitRow] = {}
    org_unit: dict[int, int] = {}
    for pk, name, level, org_path in orgs:
        parts = org_path.rstrip("/").split("/")
        if len(parts) == depth:
            org_unit[pk] = DIRECT
        else:
            child = by_path.get("/".join(parts[: depth + 1]) + "/", DIRECT)
            org_unit[pk] = child
            if len(parts) == depth + 1 and not by_branch:
                units[pk] = UnitRow(pk, name, level, path=org_path)

    branches = rows.branches

    def unit_key(branch) -> int:
        return branch.pk if by_branch else org_unit.get(branch.organization_id, DIRECT)

    def unit_row(key) -> UnitRow:
        if key not in units and key == DIRECT:
            units[key] = UnitRow(DIRECT, "", "direct")
        return units[key]

    if by_branch:
        for branch in branches:
            units[branch.pk] = UnitRow(branch.pk, branch.name, "branch")
    branch_unit = {b.pk: unit_key(b) for b in branches}
    total = Figures()
    for branch in branches:
        row = unit_row(branch_unit[branch.pk]).figures
        for figures in (row, total):
            if _active_on(branch, today):
                figures.branches += 1
                figures.pilots += branch.is_pilot
                figures.kinds[branch.kind] += 1
            else:
                figures.dissolved += 1

    # Registration coverage of the residents, by community.
    for row in rows.coverage:
        total.residents += row["n"]
        total.registered += row["registered"]
        if not by_branch:
            figures = unit_row(org_unit.get(row["community_id"], DIRECT)).figures
            figures.residents += row["n"]
            figures.registered += row["registered"]

    for row in rows.care:
        if by_branch:
            key = row["member__home_branch_id"]
            figures = units[key].figures if key in units else None
        else:
            figures = unit_row(org_unit.get(row["member__community_id"], DIRECT)).figures
        for f in (figures, total):
            if f is not None:
                f.care_needs += row["n_needs"]
                f.care_covered += row["n_covered"]
                f.care_overdue += row["n_overdue"]
    dashboard = _common(
        subject=node,
        choice=choice,
        today=today,
        branches=branches,
        branch_unit=branch_unit,
        unit_row=unit_row,
        total=total,
        months=months,
        trend=trend,
        cells=rows.cells,
        attendance=rows.attendance,
        inactive=rows.inactive,
        structure=rows.structure,
        unit_names={pk: name for pk, name, _level, _path in orgs},
        org_unit=org_unit,
        by_branch=by_branch,
    )
    ordered = sorted(units.values(), key=lambda u: (u.key == DIRECT, u.path, u.name))
    if by_branch:
        ordered = [units[b.pk] for b in branches if b.pk in units]
    dashboard.units = [u for u in ordered if u.level != "direct" or _has_figures(u.figures)]
    if by_branch:  # a community compares its branches
        dashboard.unit_label = gettext("Branch")
    elif node.child_level:
        dashboard.unit_label = str(Level(node.child_level).label)
    return dashboard


def _has_figures(figures: Figures) -> bool:
    return bool(
        figures.branches or figures.dissolved or figures.residents or figures.tally.expected
    )


def branch_dashboard(branch: Branch, choice: PeriodChoice, *, today: datetime.date) -> Dashboard:
    """A branch's own overview: BRANCH_QUERIES queries."""
    span = choice.span
    months = spans_between(Period.MONTH, span.start, span.end)
    trend = trend_months(span)
    total = Figures()
    if _active_on(branch, today):
        total.branches, total.pilots = 1, int(branch.is_pilot)
        total.kinds[branch.kind] += 1
    else:
        total.dissolved = 1
    unit = UnitRow(branch.pk, branch.name, "branch")
    for row in _care_rows(Q(member__home_branch_id=branch.pk), today):
        total.care_needs += row["n_needs"]
        total.care_covered += row["n_covered"]
        total.care_overdue += row["n_overdue"]
    dashboard = _common(
        subject=branch,
        choice=choice,
        today=today,
        branches=[branch],
        branch_unit={branch.pk: branch.pk},
        unit_row=lambda key: unit,
        total=total,
        months=months,
        trend=trend,
        **_branch_rows(
            choice,
            today,
            [branch],
            attendance_q=Q(branch_id=branch.pk),
            member_q=Q(home_branch_id=branch.pk),
            structure_q=Q(branch_id=branch.pk),
        ),
        unit_names={},
        org_unit={},
        by_branch=True,
    )
    dashboard.units = []
    return dashboard


def _common(
    *,
    subject,
    choice,
    today,
    branches,
    branch_unit,
    unit_row,
    total,
    months,
    trend,
    cells,
    attendance,
    inactive,
    structure,
    unit_names,
    org_unit,
    by_branch,
) -> Dashboard:
    """The figures from the rows (`_branch_rows`): no query."""
    span = choice.span

    # Compliance of every branch that existed in the period.
    in_period = period_branches(branches, span)
    for branch in in_period:
        figures = unit_row(branch_unit[branch.pk]).figures
        behind = False
        for kind_cells in cells[branch.pk].values():
            for cell in kind_cells:
                figures.cells[cell.status] += 1
                total.cells[cell.status] += 1
                behind = behind or cell.status == CellStatus.BEHIND
        figures.branches_in_period += 1
        total.branches_in_period += 1
        figures.branches_behind += behind
        total.branches_behind += behind

    # Attendance by branch and month over the trend window.
    by_month: dict[datetime.date, Tally] = {m.start: Tally() for m in trend}
    for branch_id, month, tally in attendance:
        add_tally(by_month.setdefault(month, Tally()), tally)
        if span.start <= month <= span.end:
            add_tally(unit_row(branch_unit.get(branch_id, DIRECT)).figures.tally, tally)
            add_tally(total.tally, tally)

    # Members placed here who took no part for three months, and how many are placed
    # here at all (from the structure counts below).
    for row in inactive:
        key = branch_unit.get(row["home_branch_id"])
        if key is not None:
            unit_row(key).figures.inactive += row["n"]
        total.inactive += row["n"]

    # Structure: counts per branch and the current terms.
    home = structure[0]
    for branch_id, (n, _full) in home.items():
        key = branch_unit.get(branch_id)
        if key is not None:
            unit_row(key).figures.home_members += n
        total.home_members += n

    lines = {
        b.pk: BranchLine(
            b,
            unit_names.get(org_unit.get(b.organization_id), "") if not by_branch else "",
        )
        for b in branches
    }
    kinds_shown = _fill_branch_lines(lines, branches, cells, months, structure, today)
    for branch in branches:
        line = lines[branch.pk]
        if line.warnings:
            figures = unit_row(branch_unit[branch.pk]).figures
            for figures_ in (figures, total):
                figures_.warned_branches += 1
                figures_.warnings.update(line.warnings)

    in_period_ids = {b.pk for b in in_period}
    return Dashboard(
        subject=subject,
        choice=choice,
        today=today,
        total=total,
        units=[],
        lines=[lines[b.pk] for b in branches if b.pk in in_period_ids or lines[b.pk].warnings],
        months=months,
        trend=[TrendPoint(m, by_month.get(m.start, Tally())) for m in trend],
        kinds_shown=kinds_shown,
    )


# --- Sorting the comparison ------------------------------------------------------------

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


# --- Drill-down lists ------------------------------------------------------------------

MEMBER_LISTS = ("residents", "registered", "unregistered", "placed", "inactive")


def member_list(members, which: str, *, today: datetime.date):
    """Members behind a dashboard figure. `members` is already scoped to the user and
    to the node (by residence for residents, by home branch otherwise)."""
    if which in ("residents", "registered", "unregistered"):
        members = members.filter(status=MemberStatus.ACTIVE)
        if which == "registered":
            members = members.filter(_registered_exists())
        elif which == "unregistered":
            members = members.exclude(_registered_exists())
    elif which == "placed":
        members = members.filter(status=MemberStatus.ACTIVE)
    elif which == "inactive":
        members = inactive_members(members, today)
    return members.select_related("community", "home_branch").order_by(
        "community__path", "name", "pk"
    )


def held_meetings(meetings, month: Span | None, span: Span):
    """Held meetings of a month (or the period) with their tallies, newest first."""
    window = month or span
    return (
        meetings.filter(
            status=MeetingStatus.HELD, held_on__gte=window.start, held_on__lte=window.end
        )
        .select_related("branch", "party_group")
        .annotate(**tally_annotations("attendances__"))
        .order_by("-held_on", "-pk")
    )


__all__ = [
    "BRANCH_QUERIES",
    "NODE_QUERIES",
    "Dashboard",
    "Figures",
    "Meeting",
    "branch_dashboard",
    "choose_period",
    "node_dashboard",
    "sort_units",
]
