"""Dashboards of organisation nodes, cached under the version of the data they were
computed from.

Districts and streets carry a version (`Organization.figures_version`), bumped in the
same transaction by every audited write that touches their data (reports.freshness).
A node's dashboard is kept in Django's cache per node, version, period and day, in a
compact form: its figures and one line per branch, without the heat map cells, which
the page computes for the 25 branches it shows. The city is composed of its districts'
dashboards and a district of its streets', each cached under its own version, so a
write in one street recomputes that street alone (a community's dashboard goes by its
street's version); streets and communities are computed by `selectors.node_dashboard`.

The key carries the day, so figures that move with the date (periods in progress,
overdue visits, three months without participation) are recomputed each morning
(`reports.tasks.warm_dashboards` does it before office hours); DASHBOARD_CACHE_SECONDS
bounds how long an entry lives whatever happens.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections import Counter

from django.conf import settings
from django.core.cache import cache

from activities.periods import Period, spans_between
from activities.selectors import Tally, compliance
from branches.models import Branch, Level, Organization

from .selectors import (
    BranchLine,
    Dashboard,
    Figures,
    PeriodChoice,
    TrendPoint,
    UnitRow,
    add_tally,
    node_dashboard,
    trend_months,
)

logger = logging.getLogger("portal.reports")
KEY_PREFIX = "dashboard:v1"
# Queries of a node's dashboard page besides the request's own: its version (the city:
# its districts' versions, and whether a branch sits on the city) and the heat map page
# (its branches, and their compliance). Computing a street or community adds
# selectors.NODE_QUERIES; composing a district adds COMPOSE_QUERIES and its streets'.
VERSION_QUERIES = 1
HEAT_QUERIES = 6
COMPOSE_QUERIES = 2  # the children and their versions; a branch on the node itself?


@dataclasses.dataclass(frozen=True, slots=True)
class BranchRef:
    """What the dashboard pages show of a branch (a cached line holds no model)."""

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
    whether a branch sits on the city itself)."""
    if node.level == Level.CITY:
        return _compose(node, _children(node), choice, today)
    source = node.path if node.level in VERSIONED else Organization.path_prefixes(node.path)[-2]
    version = (
        Organization.objects.filter(path=source).values_list("figures_version", flat=True).first()
    )
    return _cached(node, version or 0, choice, today)


# Nodes carrying a figures version (reports.freshness bumps them); a community's
# dashboard goes by its street's.
VERSIONED = (Level.DISTRICT, Level.STREET)


def _children(node: Organization) -> list[Organization]:
    return list(
        Organization.objects.filter(parent=node)
        .only("pk", "name", "level", "path", "code", "parent_id", "figures_version")
        .order_by("path")
    )


def _key(pk: int, version: int, choice: PeriodChoice, today: datetime.date) -> str:
    span = choice.span
    return f"{KEY_PREFIX}:{pk}:{version}:{span.period}:{span.start:%Y%m%d}:{today:%Y%m%d}"


def _cached(node, version, choice, today) -> Dashboard:
    key = _key(node.pk, version, choice, today)
    dashboard = _get_many([key]).get(key)
    if dashboard is None:
        dashboard = _computed(node, choice, today)
        _set(key, dashboard)
    return dashboard


def _computed(node, choice, today) -> Dashboard:
    if node.level == Level.DISTRICT:
        return _compose(node, _children(node), choice, today)
    return compact(node_dashboard(node, choice, today=today))


def _get_many(keys: list[str]) -> dict:
    """What the cache holds of these keys; nothing if it cannot be reached (a shared
    cache that is down slows the dashboards, it does not break them)."""
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("dashboard cache unreachable", exc_info=True)
        return {}


def _set(key: str, dashboard: Dashboard) -> None:
    try:
        cache.set(key, dashboard, settings.DASHBOARD_CACHE_SECONDS)
    except Exception:
        logger.warning("dashboard cache unreachable", exc_info=True)


def compact(dashboard: Dashboard) -> Dashboard:
    """Drop what only the heat map's cells need: a district's dashboard pickles to a
    few tens of kilobytes instead of most of a megabyte."""
    for line in dashboard.lines:
        if line.in_period and not dashboard.kinds_shown:
            dashboard.kinds_shown = set(line.kinds_shown)
        branch = line.branch
        line.branch = BranchRef(branch.pk, branch.name, branch.dissolved_on, branch.organization_id)
        line.cells, line.months, line.kinds_shown, line._kinds = {}, [], set(), None
    return dashboard


def _compose(node, children, choice, today) -> Dashboard:
    """A node's dashboard from its children's own (cached) dashboards: every figure is a
    sum, the lines follow one another in path order. Branches sitting on the node
    itself belong to no child: then the node is computed whole (none do so far)."""
    if Branch.objects.filter(organization=node).exists():
        return compact(node_dashboard(node, choice, today=today))
    keys = {c.pk: _key(c.pk, c.figures_version, choice, today) for c in children}
    found = _get_many(list(keys.values()))
    total = Figures()
    units, lines, kinds_shown = [], [], set()
    trend: dict[datetime.date, Tally] = {}
    for child in children:
        part = found.get(keys[child.pk])
        if part is None:
            part = _computed(child, choice, today)
            _set(keys[child.pk], part)
        add_figures(total, part.total)
        units.append(UnitRow(child.pk, child.name, child.level, part.total, child.path))
        for line in part.lines:
            line.unit = child.name
            lines.append(line)
        kinds_shown |= part.kinds_shown
        for point in part.trend:
            add_tally(trend.setdefault(point.month.start, Tally()), point.tally)
    span = choice.span
    dashboard = Dashboard(
        subject=node,
        choice=choice,
        today=today,
        total=total,
        units=units,
        lines=lines,
        months=spans_between(Period.MONTH, span.start, span.end),
        trend=[TrendPoint(m, trend.get(m.start, Tally())) for m in trend_months(span)],
        unit_label=str(Level(node.child_level).label) if node.child_level else "",
    )
    dashboard.kinds_shown = kinds_shown
    return dashboard


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
    """Fill these lines' heat map cells: compliance of just these branches (six queries).."""
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
