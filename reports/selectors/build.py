"""Dashboards of a node or a branch, assembled from their area's rows."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils.translation import gettext

from activities.meetings.compliance import CellStatus
from activities.meetings.periods import Period, spans_between
from activities.meetings.selectors import Tally
from branches.models import Branch, Level, Organization

from .area import (
    Rows,
    active_on,
    area_rows,
    branch_rows,
    care_rows,
    fill_branch_lines,
    period_branches,
)
from .dashboard import BranchLine, Dashboard, TrendPoint
from .figures import DIRECT, Figures, UnitRow, add_tally
from .periods import PeriodChoice, trend_months

# Queries each dashboard runs (besides the request's own: session, user, scope, node).
# node: organisations, branches, registration coverage, attendance, inactive members,
#   home-member counts, functional memberships, current terms, care, funds,
#   + compliance (5).
NODE_QUERIES = 15
# branch: the same without the organisation list, the branch list and coverage.
BRANCH_QUERIES = 11


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
            if active_on(branch, today):
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
    # Funds of the period's year (resources.funds), by branch.
    for branch_id, allocated, spent in rows.funds:
        if branch_id in branch_unit:
            unit_row(branch_unit[branch_id]).figures.add_funds(allocated, spent)
            total.add_funds(allocated, spent)
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
    if active_on(branch, today):
        total.branches, total.pilots = 1, int(branch.is_pilot)
        total.kinds[branch.kind] += 1
    else:
        total.dissolved = 1
    unit = UnitRow(branch.pk, branch.name, "branch")
    for row in care_rows(Q(member__home_branch_id=branch.pk), today):
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
        **branch_rows(
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
    """The figures from the rows (`branch_rows`): no query."""
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
    kinds_shown = fill_branch_lines(lines, branches, cells, months, structure, today)
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
