"""The figures of the annual return (年报), each defined once, with the definition shown
beside it on the page, in the Excel sheet and in the PDF.

Every figure is a count, so a street's or district's return is the sum of its
communities' (rates are shown from two counts, never summed). `area_figures` computes
every organisation of a subtree from one set of queries (AREA_QUERIES, whatever its
size), keyed by the organisation the member lives in or the branch sits on.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from activities.care.models import CareNeed
from activities.care.selectors import COVERED, with_visit_state
from activities.meetings.compliance import CellStatus, compliance
from activities.meetings.models import BranchMonthTally, Meeting, MeetingStatus
from activities.year_end.models import Appraisal, Grade, RectificationItem, TalkPair, YearEndCycle
from branches.models import Branch, Organization
from members.models import (
    CommitteeTerm,
    CommunityRegistration,
    Gender,
    Member,
    MemberStatus,
    Recognition,
    RegistrationStatus,
    RetirementType,
)

from .definitions import add, empty

FIRST_YEAR = 2000
# A committee term ending within this many years after 31 December is due for election.
ELECTION_HORIZON_YEARS = 1


def year_end(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


def _born_by(year: int, age: int) -> datetime.date:
    """Born on or before this day = at least `age` years old on 31 December."""
    return datetime.date(year - age, 12, 31)


def _member_figures(path: str, year: int) -> dict[int, Counter]:
    """One query: members living in the subtree, by community."""
    start, end = datetime.date(year, 1, 1), year_end(year)
    rolls = Q(status=MemberStatus.ACTIVE) | Q(status_on__gt=end)
    a70, a80, a90 = _born_by(year, 70), _born_by(year, 80), _born_by(year, 90)
    p30, p50 = _born_by(year, 30), _born_by(year, 50)
    gone_in_year = Q(status_on__gte=start, status_on__lte=end)
    counts = {
        "members": rolls,
        "lixiu": rolls & Q(retirement_type=RetirementType.LIXIU),
        "tuixiu": rolls & Q(retirement_type=RetirementType.TUIXIU),
        "male": rolls & Q(gender=Gender.MALE),
        "female": rolls & Q(gender=Gender.FEMALE),
        "age_under_70": rolls & Q(birth_date__gt=a70),
        "age_70_79": rolls & Q(birth_date__gt=a80, birth_date__lte=a70),
        "age_80_89": rolls & Q(birth_date__gt=a90, birth_date__lte=a80),
        "age_90_plus": rolls & Q(birth_date__lte=a90),
        "party_under_30": rolls & Q(full_member_on__gt=p30, full_member_on__lte=end),
        "party_30_49": rolls & Q(full_member_on__gt=p50, full_member_on__lte=p30),
        "party_50_plus": rolls & Q(full_member_on__lte=p50),
        "party_unknown": rolls & (Q(full_member_on__isnull=True) | Q(full_member_on__gt=end)),
        "deaths": Q(status=MemberStatus.DECEASED) & gone_in_year,
        "moved_away": Q(status=MemberStatus.MOVED) & gone_in_year,
    }
    rows = (
        Member.objects.filter(community__path__startswith=path)
        .values("community_id")
        .annotate(**{key: Count("pk", filter=q) for key, q in counts.items()})
        .order_by()
    )
    return {row.pop("community_id"): Counter(row) for row in rows}


def _registration_figures(path: str, year: int) -> dict[int, Counter]:
    """One query: registrations with the communities of the subtree, by community."""
    start, end = datetime.date(year, 1, 1), year_end(year)
    earlier_elsewhere = CommunityRegistration.objects.filter(
        member=OuterRef("member"), reported_on__lte=OuterRef("reported_on")
    ).exclude(community=OuterRef("community"))
    in_year = Q(reported_on__gte=start, reported_on__lte=end)
    member_on_rolls = Q(member__status=MemberStatus.ACTIVE) | Q(member__status_on__gt=end)
    live_on_end = Q(accepted_on__lte=end) & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=end))
    rows = (
        CommunityRegistration.objects.filter(community__path__startswith=path)
        .alias(elsewhere_before=Exists(earlier_elsewhere))
        .values("community_id")
        .annotate(
            new_registrations=Count("pk", filter=in_year),
            moved_in=Count("member", distinct=True, filter=in_year & Q(elsewhere_before=True)),
            left_for_elsewhere=Count(
                "member",
                distinct=True,
                filter=Q(withdrawn_on__gte=start, withdrawn_on__lte=end)
                & ~Q(member__community_id=F("community_id"))
                & ~Q(member__status=MemberStatus.DECEASED),
            ),
            registered=Count(
                "member",
                distinct=True,
                filter=live_on_end
                & Q(member__community_id=F("community_id"))
                & ~Q(status=RegistrationStatus.REPORTED)
                & member_on_rolls,
            ),
        )
        .order_by()
    )
    return {row.pop("community_id"): Counter(row) for row in rows}


def _branch_figures(
    path: str, year: int, today: datetime.date, *, lookup: str = "path__startswith"
) -> dict[int, Counter]:
    """Branches, their committees, meetings, compliance and attendance, by the
    organisation each branch sits on: 10 queries. `lookup` "path": the branches sitting
    on the node itself only."""
    at = {f"organization__{lookup}": path}
    branch_at = {f"branch__organization__{lookup}": path}
    start, end = datetime.date(year, 1, 1), year_end(year)
    out: dict[int, Counter] = defaultdict(Counter)
    branches = list(Branch.objects.filter(**at).select_related("organization"))
    existing = [
        b
        for b in branches
        if (b.established_on is None or b.established_on <= end)
        and (b.dissolved_on is None or b.dissolved_on > end)
    ]
    org_of = {b.pk: b.organization_id for b in branches}
    for branch in existing:
        out[branch.organization_id][f"branches_{branch.kind}"] += 1
        out[branch.organization_id]["branches_pilot"] += branch.is_pilot
    # Committee terms current on 31 December, the latest per branch.
    ends: dict[int, datetime.date] = {}
    for branch_id, ends_on in (
        CommitteeTerm.objects.current(end)
        .filter(**branch_at)
        .order_by("branch_id", "starts_on", "pk")
        .values_list("branch_id", "ends_on")
    ):
        ends[branch_id] = ends_on
    horizon = year_end(year + ELECTION_HORIZON_YEARS)
    for branch in existing:
        if branch.pk not in ends or ends[branch.pk] <= horizon:
            out[branch.organization_id]["committees_due"] += 1
    for branch_id, kind, n in (
        Meeting.objects.filter(
            **branch_at,
            status=MeetingStatus.HELD,
            held_on__gte=start,
            held_on__lte=end,
        )
        .values_list("branch_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        out[org_of[branch_id]][f"meetings_{kind}"] += n
    in_year = [
        b
        for b in branches
        if (b.dissolved_on is None or b.dissolved_on > start)
        and (b.established_on is None or b.established_on <= end)
    ]
    cells = compliance(in_year, start, end, today=today, area=Q(**at))
    for branch_id, by_kind in cells.items():
        counter = out[org_of[branch_id]]
        for kind_cells in by_kind.values():
            for cell in kind_cells:
                if cell.status == CellStatus.MET:
                    counter["periods_met"] += 1
                    counter["periods_judged"] += 1
                elif cell.status == CellStatus.BEHIND:
                    counter["periods_behind"] += 1
                    counter["periods_judged"] += 1
    for branch_id, expected, counted in (
        BranchMonthTally.objects.filter(**branch_at, month__gte=start, month__lte=end)
        .values_list("branch_id")
        .annotate(
            expected=Sum("expected"),
            counted=Sum(F("present") + F("remote") + F("made_up")),
        )
        .order_by()
    ):
        out[org_of[branch_id]]["attendance_expected"] += expected
        out[org_of[branch_id]]["attendance_counted"] += counted
    return out


def _care_figures(path: str, day: datetime.date) -> dict[int, Counter]:
    """One query: open care needs by the member's community (activities.care's rule)."""
    rows = (
        with_visit_state(
            CareNeed.objects.open().filter(member__community__path__startswith=path),
            day,
            last_visit=F("last_visit_on"),
        )
        .values("member__community_id")
        .annotate(care_needs=Count("pk"), care_covered=Count("pk", filter=COVERED))
        .order_by()
    )
    return {row.pop("member__community_id"): Counter(row) for row in rows}


def _honour_figures(path: str, year: int) -> dict[int, Counter]:
    """One query: honours conferred in the year on members on the rolls, by community."""
    end = year_end(year)
    rows = (
        Recognition.objects.filter(
            Q(member__status=MemberStatus.ACTIVE) | Q(member__status_on__gt=end),
            member__community__path__startswith=path,
            conferred_on__year=year,
        )
        .values("member__community_id")
        .annotate(honours=Count("pk"), honoured_members=Count("member", distinct=True))
        .order_by()
    )
    return {row.pop("member__community_id"): Counter(row) for row in rows}


def _count_per_cycle(model, **filters):
    rows = model.objects.filter(cycle=OuterRef("pk"), **filters).values("cycle")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)


def _year_end_figures(
    path: str, year: int, *, lookup: str = "path__startswith"
) -> dict[int, Counter]:
    """The year-end cycle (谈心谈话, 民主评议, 整改) by the organisation each branch sits
    on: 2 queries. `lookup` as in _branch_figures."""
    start, end = datetime.date(year, 1, 1), year_end(year)
    out: dict[int, Counter] = defaultdict(Counter)
    # Per cycle (one a branch and year), its pairs and grades counted by subqueries:
    # joining both would multiply the rows.
    grades = {f"appraised_{grade}": _count_per_cycle(Appraisal, decision=grade) for grade in Grade}
    for row in (
        YearEndCycle.objects.filter(**{f"branch__organization__{lookup}": path}, year=year)
        .values("branch__organization_id")
        .annotate(
            talks_planned=_count_per_cycle(TalkPair),
            talks_done=_count_per_cycle(TalkPair, held_on__lte=end),
            **grades,
        )
        .order_by()
    ):
        out[row.pop("branch__organization_id")].update(row)
    open_on_end = Q(closed_on__isnull=True) | Q(closed_on__gt=end)
    this_year, earlier = Q(year=year), Q(year__lt=year)
    for row in (
        RectificationItem.objects.filter(
            **{f"branch__organization__{lookup}": path}, year__lte=year
        )
        .values("branch__organization_id")
        .annotate(
            rectification_closed=Count("pk", filter=this_year & Q(closed_on__lte=end)),
            rectification_open=Count("pk", filter=this_year & open_on_end),
            rectification_earlier_closed=Count(
                "pk", filter=earlier & Q(closed_on__gte=start, closed_on__lte=end)
            ),
            rectification_earlier_open=Count("pk", filter=earlier & open_on_end),
        )
        .order_by()
    ):
        out[row.pop("branch__organization_id")].update(row)
    return out


# Organisations (1), members (1), registrations (1), branches (1), terms (1), meetings
# (1), compliance (5), attendance (1), care (1), honours (1), year-end cycles (1) and
# rectification items (1).
AREA_QUERIES = 16


def area_figures(node: Organization, year: int, *, today: datetime.date) -> dict[int, dict]:
    """The figures of every organisation in the node's subtree (each its own share: a
    community's members and branches, a street's own functional branches), by pk:
    AREA_QUERIES queries whatever the size of the area."""
    path = node.path
    org_ids = list(Organization.objects.filter(path__startswith=path).values_list("pk", flat=True))
    parts = [
        _member_figures(path, year),
        _registration_figures(path, year),
        _branch_figures(path, year, today),
        _care_figures(path, min(today, year_end(year))),
        _honour_figures(path, year),
        _year_end_figures(path, year),
    ]
    result = {}
    for pk in org_ids:
        merged = Counter()
        for part in parts:
            merged.update(part.get(pk, {}))
        merged["moved_out"] = merged.pop("moved_away", 0) + merged.pop("left_for_elsewhere", 0)
        result[pk] = add(empty(), merged)
    return result


def node_figures(node: Organization, year: int, *, today: datetime.date) -> dict:
    """The node's whole subtree summed, computed live."""
    total = empty()
    for figures in area_figures(node, year, today=today).values():
        add(total, figures)
    return total


def own_figures(node: Organization, year: int, *, today: datetime.date) -> dict:
    """A street's or district's own share: the branches sitting on the node itself (a
    street's functional branches); members live in communities. 12 queries."""
    total = empty()
    add(total, _branch_figures(node.path, year, today, lookup="path").get(node.pk, {}))
    add(total, _year_end_figures(node.path, year, lookup="path").get(node.pk, {}))
    return total
