"""Dashboards of organisation nodes, cached under the version of the data they were
computed from.

Districts and streets carry a version (`Organization.figures_version`), bumped in the
same transaction by every audited write that touches their data (reports.freshness).
A node's dashboard is kept in Django's cache per node, version, period and day, in a
compact form: its figures and one line per branch, without the heat map cells, which
the page computes for the 25 branches it shows. The city is composed of its districts'
dashboards and a district of its streets', each cached under its own version, so a
write in one street recomputes that street alone (a community's dashboard goes by its
street's version); streets and communities are computed by `selectors.build.node_dashboard`.

The key carries the day, so figures that move with the date (periods in progress,
overdue visits, three months without participation) are recomputed each morning
(`reports.tasks.warm_dashboards` does it before office hours); DASHBOARD_CACHE_SECONDS
bounds how long an entry lives whatever happens.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from accounts import shared_cache
from accounts.shared_cache import call as _cache_call
from activities.meetings.compliance import compliance
from activities.meetings.periods import Period, spans_between
from activities.meetings.selectors import Tally
from activities.year_end.selectors import area_summary
from branches.access import scope_for
from branches.models import Branch, Level, Organization

from .selectors.area import area_rows
from .selectors.build import node_dashboard
from .selectors.dashboard import (
    BEHIND_SHOWN,
    LINE_VIEWS,
    BranchLine,
    Dashboard,
    TrendPoint,
    ranked_behind,
)
from .selectors.figures import Figures, UnitRow, add_tally
from .selectors.periods import PeriodChoice, trend_months

KEY_PREFIX = "dashboard:v3"  # v3: Figures gained the funds figures (v2: classes moved)
# Queries of a node's dashboard page besides the request's own: its version (the city:
# its districts' versions, and whether a branch sits on the city) and the heat map page
# (its branches, and their compliance). Computing a street or community adds
# selectors.build.NODE_QUERIES; composing a district adds COMPOSE_QUERIES and NODE_QUERIES for
# its streets to compute (one set for any number of them: selectors.area.area_rows).
VERSION_QUERIES = 1
HEAT_QUERIES = 6
COMPOSE_QUERIES = 2  # the children and their versions; a branch on the node itself?


class BranchRef(NamedTuple):
    """What the dashboard pages show of a branch (a cached line holds no model). A
    tuple: a frozen dataclass unpickles several times slower, and the city-wide page
    unpickles one per branch of the city."""

    pk: int
    name: str
    dissolved_on: datetime.date | None
    organization_id: int


def node_figures(node: Organization, choice: PeriodChoice, *, today: datetime.date) -> Dashboard:
    """The node's dashboard without heat map cells (`with_heat_cells` adds a page's).

    The city is composed of its districts' dashboards, a district of its streets', each
    cached under its own version; a street or a community is computed whole (a
    community under its street's version). A cached district, street or community
    costs one query (its version); the city two (its districts and their versions, and
    whether a branch sits on the city itself), and reads the lines of only the
    districts its page of the heat map shows."""
    if node.level == Level.CITY:
        return _compose(node, _children(node), choice, today, lazy=True)
    key = _key(node.pk, node.figures_key(), choice, today)
    return _read(key) or _computed_once(node, key, choice, today)


def _read(key: str) -> Dashboard | None:
    """The node's dashboard as cached (head and lines), or None."""
    found = _get_many([key, key + LINES])
    if key in found and key + LINES in found:
        head = found[key]
        head.lines = found[key + LINES]
        return head
    return None


# --- Rendered pages ----------------------------------------------------------------------
# A node's dashboard page renders a few hundred heat map cells, its tables and charts:
# about half its time, and its heat map and year end add seven queries. The rendered
# body (everything between the menu and the footer) is kept under the same version as
# the figures, so it changes exactly when they do, and under everything else it depends
# on: the query string, the day, the language, and the reader's grants (breadcrumb
# links, the bulletin button, the year end counted over the branches the reader may
# read). Two readers share a body only if they hold the very same grants; a query string
# with anything but the page's own parameters is rendered and never kept.
PAGE_PREFIX = "dashboard-page:v1"
PAGE_PARAMETERS = frozenset({"period", "year", "quarter", "month", "sort", "heat", "hpage"})


def page_key(node: Organization, request, today: datetime.date, *, branch=None) -> str | None:
    """The cache key of this request's rendered dashboard body (the node's, or that of
    `branch`, which sits on `node`), or None when it is not kept (the city, whose
    figures go by every district's version, and a branch sitting on it; unknown
    parameters; a parameter given twice). One query: the figures version."""
    query = request.GET
    if node.level == Level.CITY or not set(query) <= PAGE_PARAMETERS:
        return None
    if any(len(values) > 1 for _name, values in query.lists()):
        return None
    params = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    digest = hashlib.sha256(params.encode()).hexdigest()[:32]
    subject = f"branch{branch.pk}" if branch is not None else f"node{node.pk}"
    return shared_cache.kept_key(
        PAGE_PREFIX,
        subject,
        digest,
        version=node.figures_key(),
        today=today,
        grants=scope_for(request.user).digest(),
    )


def cached_page(key: str | None) -> SafeString | None:
    return None if key is None else shared_cache.read_page(key)


def keep_page(key: str | None, body: str) -> None:
    if key is not None:
        shared_cache.keep_page(key, body, settings.DASHBOARD_CACHE_SECONDS)


# An entry is kept as two: the figures (the head) and the branch lines, which a node
# composed of it reads only for the branches its page shows.
LINES = ":lines"


def _children(node: Organization) -> list[Organization]:
    return list(
        Organization.objects.filter(parent=node)
        .only("pk", "name", "level", "path", "code", "parent_id", "figures_version")
        .order_by("path")
    )


def _key(pk: int, version: int, choice: PeriodChoice, today: datetime.date) -> str:
    # The language too: the lines carry labels translated when they were computed.
    span = choice.span
    return (
        f"{KEY_PREFIX}:{pk}:{version}:{span.period}:{span.start:%Y%m%d}:{today:%Y%m%d}"
        f":{get_language() or settings.LANGUAGE_CODE}"
    )


def _computed(node, key, choice, today, rows=None) -> Dashboard:
    """Compute the node's dashboard (a district: from its streets') and cache it.
    `rows`: an area's query rows the node is in (no query then)."""
    if node.level == Level.DISTRICT:
        dashboard = _compose(node, _children(node), choice, today, lazy=False)
    else:
        dashboard = compact(node_dashboard(node, choice, today=today, rows=rows))
    head = _plain(dashboard, lines=[])
    # What a node composed of this one needs without reading the lines.
    counts = {which: len(dashboard.view(which)) for which in LINE_VIEWS}
    for entry in (head, dashboard):
        entry.counts, entry.top_behind = counts, dashboard.behind_first
    _set_many({key: head, key + LINES: dashboard.lines})
    return dashboard


# One process computes a district's entry at a time: the others (the warm-up task and a
# page arriving while it runs, or two pages) wait for that entry instead of computing it
# again beside it on the same cores. The mark expires, so a process that died while
# computing holds nobody up for long; a wait is bounded and then computes itself.
COMPUTING = ":computing"
COMPUTING_SECONDS = 60
WAIT_SECONDS = 20.0
WAIT_STEP_SECONDS = 0.05


def _computed_once(node, key, choice, today, rows=None) -> Dashboard:
    """`_computed`, unless another process is computing this entry: then its result."""
    if node.level != Level.DISTRICT:
        return _computed(node, key, choice, today, rows)
    if _cache_call(cache.add, key + COMPUTING, 1, COMPUTING_SECONDS, default=True):
        try:  # computed by another since this process looked?
            return _read(key) or _computed(node, key, choice, today, rows)
        finally:
            _cache_call(cache.delete, key + COMPUTING)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:  # bounded by the deadline
        time.sleep(WAIT_STEP_SECONDS)
        found = _read(key)
        if found is not None:
            return found
        if not _cache_call(cache.get, key + COMPUTING):  # given up without an entry
            break
    return _computed(node, key, choice, today, rows)


# After the shared cache failed to answer (down, or frozen until the socket timeout),
# leave it alone for a while: one slow call per process, not one per lookup of a page.
def _get_many(keys: list[str]) -> dict:
    """What the cache holds of these keys; nothing if it cannot be reached."""
    return _cache_call(cache.get_many, keys, default={})


def _set_many(entries: dict) -> None:
    _cache_call(cache.set_many, entries, settings.DASHBOARD_CACHE_SECONDS)


def compact(dashboard: Dashboard) -> Dashboard:
    """Drop what only the heat map's cells need: a district's dashboard pickles to a
    few tens of kilobytes instead of most of a megabyte."""
    for line in dashboard.lines:
        branch = line.branch
        line.branch = BranchRef(branch.pk, branch.name, branch.dissolved_on, branch.organization_id)
        line.cells, line.months, line.kinds_shown, line._kinds = {}, [], set(), None
        line.statuses = dict(line.statuses)  # a Counter unpickles through its __init__
    return dashboard


def _compose(node, children, choice, today, *, lazy: bool) -> Dashboard:
    """A node's dashboard from its children's own (cached) dashboards: every figure is a
    sum, the lines follow one another in path order. Lazy: the lines are read from the
    cache when asked for, and only the children's they fall in (the city's page).
    Branches sitting on the node itself belong to no child: then the node is computed
    whole (none do so far)."""
    if Branch.objects.filter(organization=node).exists():
        return compact(node_dashboard(node, choice, today=today))
    keys = {c.pk: _key(c.pk, c.figures_version, choice, today) for c in children}
    found = _get_many(list(keys.values()))
    # Several streets to compute (a change to all of them, a new day): one set of
    # queries for the district, each street assembled from its share.
    missing = [c for c in children if keys[c.pk] not in found]
    rows = (
        area_rows(node, choice, today=today)
        if node.level == Level.DISTRICT and len(missing) > 1
        else None
    )
    total = Figures()
    units, heads, kinds_shown, fresh = [], [], set(), {}
    trend: dict[datetime.date, Tally] = {}
    for child in children:
        head = found.get(keys[child.pk])
        if head is None:
            head = _computed_once(child, keys[child.pk], choice, today, rows)
            fresh[len(heads)] = head.lines
        heads.append((child, keys[child.pk], head))
        add_figures(total, head.total)
        units.append(UnitRow(child.pk, child.name, child.level, head.total, child.path))
        kinds_shown |= head.kinds_shown
        for point in head.trend:
            add_tally(trend.setdefault(point.month.start, Tally()), point.tally)
    span = choice.span
    parts = Parts(heads, choice, today, fresh)
    dashboard = ComposedDashboard(
        subject=node,
        choice=choice,
        today=today,
        total=total,
        units=units,
        lines=parts.view("all"),
        months=spans_between(Period.MONTH, span.start, span.end),
        trend=[TrendPoint(m, trend.get(m.start, Tally())) for m in trend_months(span)],
        unit_label=str(Level(node.child_level).label) if node.child_level else "",
        kinds_shown=kinds_shown,
    )
    dashboard.parts = parts
    return dashboard if lazy else _plain(dashboard, lines=list(dashboard.lines))


def _plain(dashboard: Dashboard, *, lines) -> Dashboard:
    """A Dashboard holding these lines (a composed one becomes a plain one)."""
    fields = {f.name: getattr(dashboard, f.name) for f in dataclasses.fields(Dashboard)}
    return Dashboard(**{**fields, "lines": lines})


class ComposedDashboard(Dashboard):
    """A dashboard whose branch lines stay in its children's cache entries until a page
    of them is shown."""

    parts: Parts

    def view(self, which: str):
        return self.parts.view(which)

    @property
    def behind_first(self) -> list[BranchLine]:
        return self.parts.behind_first()


class Parts:
    """The children's heads in path order, and their lines read on demand."""

    def __init__(self, heads, choice, today, fresh):
        self.heads, self.choice, self.today = heads, choice, today
        self._lines: dict[int, list[BranchLine]] = {}
        for i, lines in fresh.items():  # computed in this request: no cache read
            self._own(i, lines)

    def view(self, which: str) -> PartLines:
        return PartLines(self, which)

    def lines_of(self, indexes: list[int]) -> dict[int, list[BranchLine]]:
        """The lines of these children (one cache read; recomputed if evicted)."""
        wanted = [i for i in indexes if i not in self._lines]
        found = _get_many([self.heads[i][1] + LINES for i in wanted])
        for i in wanted:
            child, key, _head = self.heads[i]
            lines = found.get(key + LINES)
            if lines is None:
                lines = _computed(child, key, self.choice, self.today).lines
            self._own(i, lines)
        return {i: self._lines[i] for i in indexes}

    def lines_read(self) -> list[int]:
        """Which children's lines this dashboard has read so far."""
        return sorted(self._lines)

    def _own(self, i: int, lines: list[BranchLine]) -> None:
        child = self.heads[i][0]
        for line in lines:
            line.unit = child.name
        self._lines[i] = list(lines)

    def behind_first(self) -> list[BranchLine]:
        # Each child keeps its own first BEHIND_SHOWN: the node's are among them, and a
        # stable sort keeps path order between equals, as a sort of every line would.
        lines = []
        for child, _key, head in self.heads:
            for line in head.top_behind:
                line.unit = child.name
                lines.append(line)
        return ranked_behind(lines)[:BEHIND_SHOWN]


class PartLines(Sequence):
    """The lines of one view (all, heat map, behind, warned) across the children, in
    path order: its length from the heads, a slice from the children it falls in."""

    def __init__(self, parts: Parts, which: str):
        self.parts, self.which, self.keep = parts, which, LINE_VIEWS[which]
        self.counts = [head.counts[which] for _child, _key, head in parts.heads]

    def __len__(self) -> int:
        return sum(self.counts)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            position = index + len(self) if index < 0 else index
            found = self[position : position + 1] if position >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, _step = index.indices(len(self))
        spans, offset = [], 0
        for i, n in enumerate(self.counts):
            if offset < stop and offset + n > start:
                spans.append((i, max(start - offset, 0), min(stop - offset, n)))
            offset += n
        loaded = self.parts.lines_of([i for i, _a, _b in spans])
        return [line for i, a, b in spans for line in [x for x in loaded[i] if self.keep(x)][a:b]]

    def __iter__(self):
        loaded = self.parts.lines_of(list(range(len(self.counts))))
        for i in range(len(self.counts)):
            yield from (line for line in loaded[i] if self.keep(line))


def add_figures(total: Figures, other: Figures) -> None:
    for f in dataclasses.fields(Figures):
        mine, theirs = getattr(total, f.name), getattr(other, f.name)
        if isinstance(mine, Counter):
            mine.update(theirs)
        elif isinstance(mine, Tally):
            add_tally(mine, theirs)
        else:
            setattr(total, f.name, mine + theirs)


def with_heat_cells(dashboard: Dashboard, lines: list[BranchLine]) -> list[BranchLine]:
    """Fill these lines' heat map cells: compliance of just these branches (six queries)."""
    load_branches(lines)
    span = dashboard.span
    cells = compliance([line.branch for line in lines], span.start, span.end, today=dashboard.today)
    for line in lines:
        line.cells = cells.get(line.branch.pk, {})
        line.months, line.kinds_shown, line._kinds = dashboard.months, dashboard.kinds_shown, None
    return lines


def load_branches(lines: list[BranchLine]) -> None:
    """Put the branch itself (with its organisation) on these lines: one query."""
    branches = Branch.objects.select_related("organization").in_bulk(
        [line.branch.pk for line in lines]
    )
    for line in lines:
        line.branch = branches[line.branch.pk]


# --- An area's year end ------------------------------------------------------------------
YEAR_END_PREFIX = "year-end:v1"


def area_year_end(user, node: Organization, today: datetime.date):
    """`activities.year_end.selectors.area_summary` (one query over every branch of the
    area, ~70 ms for a district) kept under the node's figures version, the day and the
    reader's grants: every year-end record is an audited write, which moves the version
    (reports.freshness). One query (the version) when kept; the city has none."""
    if node.level == Level.CITY:
        return area_summary(user, node, today)
    key = shared_cache.kept_key(
        YEAR_END_PREFIX,
        node.pk,
        version=node.figures_key(),
        today=today,
        grants=scope_for(user).digest(),
    )
    return shared_cache.kept_value(
        key, lambda: area_summary(user, node, today), settings.DASHBOARD_CACHE_SECONDS
    )
