"""The rows of an area: one aggregate query per widget over a node's subtree, keyed by
organisation or branch, so that every node inside the area can be assembled from them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q

from activities.care.models import CareNeed
from activities.care.selectors import COVERED, OVERDUE, with_visit_state
from activities.meetings.compliance import CellStatus, compliance
from activities.meetings.models import BranchMonthTally, MeetingKind
from activities.meetings.periods import Span
from activities.meetings.selectors import Tally
from activities.meetings.summaries import TALLY_FIELDS
from branches.models import Branch, BranchKind, Organization
from members.models import (
    REGISTERED,
    BranchMembership,
    CommitteeTerm,
    CommunityRegistration,
    Member,
    MemberStatus,
    Post,
)
from resources.funds.selectors import branch_totals

from .dashboard import BranchLine
from .periods import INACTIVE_MONTHS, PeriodChoice, months_before, trend_months
from .structure import TermFacts, branch_warning_codes


def period_branches(branches: list[Branch], span: Span) -> list[Branch]:
    """Branches that existed at some point in the span (as activities' overview)."""
    return [
        b
        for b in branches
        if (b.dissolved_on is None or b.dissolved_on > span.start)
        and (b.established_on is None or b.established_on <= span.end)
    ]


def active_on(branch: Branch, day: datetime.date) -> bool:
    return branch.dissolved_on is None or branch.dissolved_on > day


def _attendance_rows(branch_filter: Q, months: list[Span]):
    """(branch id, month, Tally) of held meetings per branch and month, from the
    summary the meeting services keep (activities.meetings.summaries): one query."""
    rows = BranchMonthTally.objects.filter(
        branch_filter, month__gte=months[0].start, month__lte=months[-1].start
    ).values_list("branch_id", "month", *TALLY_FIELDS)
    for branch_id, month, *counts in rows.order_by():
        yield branch_id, month, Tally(*counts)


def inactive_members(members, today: datetime.date):
    """Active members placed in a home branch who took no part in the last three months:
    no held meeting attended (present or remote) and no make-up since then. Reads each
    member's latest participation (Member.last_participated_on, kept by
    activities.meetings.summaries): no join, so a district's count does not grow with the city."""
    since = months_before(today, INACTIVE_MONTHS)
    return members.filter(status=MemberStatus.ACTIVE, home_branch__isnull=False).filter(
        Q(last_participated_on__isnull=True) | Q(last_participated_on__lt=since)
    )


def registered_exists():
    return Exists(
        CommunityRegistration.objects.filter(member=OuterRef("pk"), status__in=REGISTERED)
    )


def care_rows(where: Q, today: datetime.date):
    """Open care needs, visited on time and overdue (activities.care.selectors' rule),
    by community of residence and home branch: one query, on the last visit the visit
    services store on each need (activities.meetings.summaries)."""
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
    # A post held by an active member, or by a seconded member whose secondment runs
    # today; every other post is vacant (Position.vacant_on): nobody holds it, its
    # member died or moved away, or its secondment has ended (or not begun).
    vacant = (
        Q(positions__member__isnull=True, positions__seconded__isnull=True)
        | Q(positions__member__status__in=[MemberStatus.MOVED, MemberStatus.DECEASED])
        | Q(positions__seconded__starts_on__gt=today)
        | Q(positions__seconded__ends_on__lt=today)
    )
    held = Q(positions__member__status=MemberStatus.ACTIVE) | (
        Q(positions__seconded__starts_on__lte=today)
        & (
            Q(positions__seconded__ends_on__isnull=True)
            | Q(positions__seconded__ends_on__gte=today)
        )
    )
    rows = (
        CommitteeTerm.objects.current(today)
        .filter(membership_q)
        .values("branch_id", "pk", "starts_on", "ends_on", "has_committee")
        .annotate(
            secretaries=Count(
                "positions",
                filter=Q(positions__post=Post.SECRETARY) & held,
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


def fill_branch_lines(
    lines: dict[int, BranchLine],
    branches: list[Branch],
    cells,
    months: list[Span],
    structure,
    today: datetime.date,
) -> set[str]:
    """Fill the lines; returns the meeting kinds the heat map shows."""
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
        line.members, line.full_members, line.warnings = branch_facts(branch, structure, today)
    return kinds_shown


def structure_of(branch_ids, today: datetime.date) -> tuple:
    """The structure rows (`_structure`) of these branches (ids, or a values("pk")
    queryset): 3 queries whatever their number."""
    return _structure(Q(home_branch__in=branch_ids), Q(branch__in=branch_ids), today)


def branch_facts(branch: Branch, structure, today: datetime.date) -> tuple[int, int, list[str]]:
    """(members, full members, structure warning codes) of one branch from the rows of
    `_structure` (no query): a functional branch counts the members taking part in it,
    the others their home members; a dissolved branch has no warnings."""
    home, functional, terms = structure
    counts = functional if branch.kind == BranchKind.FUNCTIONAL else home
    members, full = counts.get(branch.pk, (0, 0))
    warnings = []
    if active_on(branch, today):
        warnings = branch_warning_codes(
            members=members, full=full, term=terms.get(branch.pk), today=today
        )
    return members, full, warnings


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
    cells: dict  # branch pk -> kind -> [Cell] (activities.meetings.compliance)
    attendance: list  # (branch pk, month, Tally)
    inactive: list[dict]  # members without participation, by home branch
    structure: tuple  # (home counts, functional counts, current terms) by branch
    funds: list  # (branch pk, allocated, spent) of the period's year

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
            funds=[row for row in self.funds if row[0] in ids],
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
    care = list(care_rows(Q(member__community__path__startswith=path), today))
    return Rows(
        path,
        choice,
        today,
        orgs,
        branches,
        coverage,
        care,
        **branch_rows(
            choice,
            today,
            branches,
            attendance_q=Q(branch__organization__path__startswith=path),
            member_q=Q(home_branch__organization__path__startswith=path),
            structure_q=Q(branch__organization__path__startswith=path),
            area=Q(organization__path__startswith=path),
        ),
        funds=branch_totals(Q(organization__path__startswith=path), choice.span.start.year),
    )


def branch_rows(choice, today, branches, *, attendance_q, member_q, structure_q, area=None):
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
