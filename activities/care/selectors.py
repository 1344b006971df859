"""Reads for care (党内关怀) and activities: coverage, overdue and "who to visit" lists,
the to-review list, a member's care page and the care visit register.

Coverage rule (decided here, tested in tests/activities/care/test_coverage.py): a member
with an open need is *covered* when the last in-person visit was at most
`interval_days` days ago, so a visit exactly on the boundary day still counts. The
member is *overdue* when more days than the interval have passed since the last visit,
or since the need started when nobody has visited yet; in between (a new need, not yet
visited, still inside its first interval) the member is *waiting*. Phone calls keep in
touch but do not count as visits. Moved and deceased members drop out.

Every list and figure is one SQL query whatever the number of members (the last visit
is a correlated subquery, the day arithmetic happens in SQL on SQLite and PostgreSQL
alike); the docstrings say how many queries each function runs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from branches.access import RECORD_CARE, VIEW_MEMBERS, VIEW_SENSITIVE, scope_for
from members.models import Health, Living, Member, MemberStatus, health_in

from .models import (
    IN_PERSON_VISITS,
    Activity,
    ActivityParticipant,
    CareNeed,
    Carer,
    CareVisit,
    FollowUp,
)

DAY = datetime.timedelta(days=1)
REVIEW_AGE = 90  # members this old (or older) with no care record are proposed

# --- Sensitive data: who sees health and care notes --------------------------------------


class CareGate:
    """Decides, per member and without queries, whether the user may read health and
    care notes (can_view_sensitive over the member's community or home branch). The
    member's community must be loaded."""

    def __init__(self, user):
        self.scope = scope_for(user)
        self._paths = self.scope.paths(VIEW_SENSITIVE)
        self._branches = set(self.scope.branch_ids(VIEW_SENSITIVE))
        self._write_paths = self.scope.paths(RECORD_CARE)
        self._write_branches = set(self.scope.branch_ids(RECORD_CARE))

    def _covers(self, member, paths, branches) -> bool:
        if member.home_branch_id and member.home_branch_id in branches:
            return True
        return any(member.community.path.startswith(p) for p in paths)

    def reads(self, member) -> bool:
        """can_view_members over the member (a unit liaison's status-only view of the
        unit's retirees does not reach their care)."""
        return self._covers(
            member,
            self.scope.paths(VIEW_MEMBERS),
            set(self.scope.branch_ids(VIEW_MEMBERS)),
        )

    def sensitive(self, member) -> bool:
        return self._covers(member, self._paths, self._branches)

    def can_record(self, member) -> bool:
        return self._covers(member, self._write_paths, self._write_branches)

    def sensitive_q(self, prefix: str = "") -> Q | None:
        return self.scope.q(
            VIEW_SENSITIVE,
            path_field=f"{prefix}community__path",
            branch_field=f"{prefix}home_branch_id",
        )


# --- The visit arithmetic, in SQL -------------------------------------------------------


def last_visit_subquery(member_ref: str = "member_id"):
    """The date of the member's last in-person visit (NULL when never visited)."""
    visits = (
        CareVisit.objects.filter(member_id=OuterRef(member_ref), kind__in=IN_PERSON_VISITS)
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    return Subquery(visits, output_field=DateField())


def _days_between(later, earlier):
    return ExpressionWrapper(later - earlier, output_field=DurationField())


def with_visit_state(needs, today: datetime.date, *, last_visit=None):
    """Annotate `last_visit` (date or None) and alias the durations the Q objects below
    use: `since_last` (today - last visit), `since_reference` (today - last visit, or
    today - start of care when never visited), `allowed` (the interval as a duration).
    `last_visit` may be given as an expression (the dashboards pass the stored
    CareNeed.last_visit_on); by default it is looked up live."""
    day = Value(today, output_field=DateField())
    last_visit = last_visit if last_visit is not None else last_visit_subquery()
    return needs.annotate(last_visit=last_visit).alias(
        since_last=_days_between(day, F("last_visit")),
        reference=Coalesce(F("last_visit"), F("started_on"), output_field=DateField()),
        since_reference=_days_between(day, F("reference")),
        allowed=ExpressionWrapper(
            # (as a plain integer: SQLite multiplies durations only by these types)
            ExpressionWrapper(F("interval_days"), output_field=IntegerField())
            * Value(DAY, output_field=DurationField()),
            output_field=DurationField(),
        ),
    )


COVERED = Q(last_visit__isnull=False, since_last__lte=F("allowed"))
OVERDUE = Q(since_reference__gt=F("allowed"))


def _due_within(needs, until: datetime.date):
    """Needs whose next visit falls due on or before `until` (overdue ones included)."""
    return needs.alias(
        until_gap=_days_between(Value(until, output_field=DateField()), F("reference"))
    ).filter(until_gap__gte=F("allowed"))


def open_needs(user):
    """Open needs of active members the user may read (before any arithmetic)."""
    return CareNeed.objects.visible_to(user).open()


# --- Coverage ---------------------------------------------------------------------------

GROUPS = {
    "branch": ("member__home_branch", "member__home_branch__name"),
    "community": ("member__community", "member__community__name"),
}


@dataclass
class CoverageRow:
    key: int | None
    name: str
    needs: int = 0
    covered: int = 0
    overdue: int = 0
    follow_ups_past_due: int = 0

    @property
    def waiting(self) -> int:
        """New needs not visited yet and still inside their first interval."""
        return self.needs - self.covered - self.overdue

    @property
    def share(self) -> float | None:
        return self.covered / self.needs if self.needs else None

    @property
    def share_label(self) -> str:
        share = self.share
        return "—" if share is None else f"{share * 100:.0f}%"


def coverage(needs, follow_ups, *, group: str, today: datetime.date) -> list[CoverageRow]:
    """Coverage per home branch or per community of residence: two queries (one
    aggregate over needs with the last visit as a subquery, one count of past-due
    follow-ups), whatever the number of members and visits."""
    key_field, name_field = GROUPS[group]
    rows = (
        with_visit_state(needs, today)
        .values(key_field, name_field)
        .annotate(
            n_needs=Count("pk"),
            n_covered=Count("pk", filter=COVERED),
            n_overdue=Count("pk", filter=OVERDUE),
        )
        .order_by(name_field, key_field)
    )
    result = {
        row[key_field]: CoverageRow(
            key=row[key_field],
            name=row[name_field] or "",
            needs=row["n_needs"],
            covered=row["n_covered"],
            overdue=row["n_overdue"],
        )
        for row in rows
    }
    late = (
        follow_ups.past_due(today)
        .values(f"visit__{key_field}", f"visit__{name_field}")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in late:
        key = row[f"visit__{key_field}"]
        if key not in result:
            result[key] = CoverageRow(key=key, name=row[f"visit__{name_field}"] or "")
        result[key].follow_ups_past_due = row["n"]
    return sorted(result.values(), key=lambda r: (r.key is None, r.name))


def coverage_total(rows: list[CoverageRow]) -> CoverageRow:
    total = CoverageRow(key=None, name="")
    for row in rows:
        total.needs += row.needs
        total.covered += row.covered
        total.overdue += row.overdue
        total.follow_ups_past_due += row.follow_ups_past_due
    return total


# --- Lists ------------------------------------------------------------------------------


def _listed(needs, today):
    lead = Carer.objects.filter(need=OuterRef("pk"), is_lead=True).values("name")[:1]
    return (
        with_visit_state(needs, today)
        .annotate(lead_carer=Subquery(lead), reference_day=F("reference"))
        .select_related("member", "member__community", "member__home_branch")
    )


def decorate(needs, today: datetime.date, gate: CareGate | None = None):
    """Set `days_since`, `due_on` and `days_late` (and `show_notes`, `can_record` with a
    gate) on each need of a list built by overdue_needs / visits_due: no queries."""
    for need in needs:
        reference = need.last_visit or need.reference_day
        need.days_since = (today - need.last_visit).days if need.last_visit else None
        need.due_on = reference + datetime.timedelta(days=need.interval_days)
        need.days_late = max(0, (today - need.due_on).days)
        if gate is not None:
            need.show_notes = gate.sensitive(need.member)
            need.can_record = gate.can_record(need.member)
    return needs


def overdue_needs(needs, today: datetime.date):
    """Overdue members, the longest without a visit first (never visited before any
    visited one, then by the day care started). One query per page."""
    return (
        _listed(needs, today)
        .filter(OVERDUE)
        .order_by(F("last_visit").asc(nulls_first=True), "reference_day", "member__name", "pk")
    )


def visits_due(needs, *, today: datetime.date, until: datetime.date):
    """Members whose next visit falls due by `until`, by the day it fell due: overdue
    ones first, the longest overdue first. One query."""
    due_day = ExpressionWrapper(F("reference") + F("allowed"), output_field=DateField())
    return (
        _due_within(_listed(needs, today), until)
        .alias(due_day=due_day)
        .order_by("due_day", "reference_day", "member__name", "pk")
    )


def week_end(today: datetime.date) -> datetime.date:
    """The Sunday of this week."""
    return today + datetime.timedelta(days=6 - today.weekday())


def due_by_branch(needs, *, today: datetime.date, until: datetime.date) -> dict:
    """Per home branch: (overdue, falling due by `until` and not overdue yet), the two
    lists of the branch's care page. From the stored last visit (CareNeed.last_visit_on,
    the care summary) as the dashboards count: one aggregate query."""
    day = Value(until, output_field=DateField())
    rows = (
        with_visit_state(needs, today, last_visit=F("last_visit_on"))
        .alias(until_gap=_days_between(day, F("reference")))
        .values_list("member__home_branch")
        .annotate(
            n_overdue=Count("pk", filter=OVERDUE),
            n_due=Count("pk", filter=Q(until_gap__gte=F("allowed")) & ~OVERDUE),
        )
        .order_by()
    )
    return {branch_id: (overdue, due) for branch_id, overdue, due in rows}


def carer_week(user, today: datetime.date):
    """A carer's own list: the members they are carer for (and may still read) whose
    visit falls due by the end of this week. One query."""
    mine = Carer.objects.filter(need=OuterRef("pk"), user=user)
    needs = CareNeed.objects.visible_to(user).open().filter(Exists(mine))
    return visits_due(needs, today=today, until=week_end(today))


def to_review(user, today: datetime.date):
    """Members whose data suggests a need (bedridden, 90 and over, living alone) but who
    have no care record. Only members whose health the user may see (the list reveals
    it) and may record care for. One query per page."""
    gate = CareGate(user)
    sensitive = gate.sensitive_q()
    if sensitive is None:
        return Member.objects.none()
    born_by = _years_before(today, REVIEW_AGE)
    return (
        Member.objects.visible_to(user, RECORD_CARE)
        .filter(sensitive)
        .filter(status=MemberStatus.ACTIVE, care_need__isnull=True)
        .filter(health_in(Health.BEDRIDDEN) | Q(birth_date__lte=born_by) | Q(living=Living.ALONE))
        .select_related("community", "home_branch")
        .order_by("birth_date", "pk")
    )


def review_reasons(member, today: datetime.date) -> list[str]:
    from django.utils.translation import gettext as _

    reasons = []
    if member.health == Health.BEDRIDDEN:
        reasons.append(str(Health.BEDRIDDEN.label))
    if member.birth_date <= _years_before(today, REVIEW_AGE):
        reasons.append(_("Aged %(n)d") % {"n": member.age_on(today)})
    if member.living == Living.ALONE:
        reasons.append(str(Living.ALONE.label))
    return reasons


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def suggested_need(member, today: datetime.date) -> dict:
    """Initial reasons and interval for a new care record, from the member's data.
    In hospital: weekly; bedridden: fortnightly; poor health, limited mobility or
    living alone: monthly; otherwise (80 and over): every two months."""
    age = member.age_on(today)
    data = {
        "poor_health": member.health in (Health.POOR, Health.BEDRIDDEN),
        "limited_mobility": member.mobility_impaired,
        "lives_alone": member.living in (Living.ALONE, Living.EMPTY_NEST),
        "aged_80_plus": age >= 80,
        "hospitalised": False,
        "started_on": today,
    }
    if member.health == Health.BEDRIDDEN:
        data["interval_days"] = 14
    elif data["poor_health"] or data["limited_mobility"] or member.living == Living.ALONE:
        data["interval_days"] = 30
    else:
        data["interval_days"] = 60
    return data


# --- Follow-ups -------------------------------------------------------------------------


def follow_ups(user):
    return FollowUp.objects.visible_to(user).select_related(
        "visit",
        "visit__member",
        "visit__member__community",
        "visit__member__home_branch",
        "owner",
    )


def open_follow_ups(user, today: datetime.date, *, past_due_only=False, mine=False):
    """Open follow-ups, the most overdue first. One query per page."""
    qs = follow_ups(user).still_open()
    if past_due_only:
        qs = qs.filter(due_on__lt=today)
    if mine:
        qs = qs.filter(owner=user)
    return qs.order_by("due_on", "pk")


# --- One member -------------------------------------------------------------------------


@dataclass
class MemberCare:
    need: CareNeed | None
    carers: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    participations: list = field(default_factory=list)
    hours_by_year: list = field(default_factory=list)
    last_visit: datetime.date | None = None


def member_care(member, today: datetime.date, *, visit_limit=50) -> MemberCare:
    """A member's care record, visits (with follow-ups), activities and service hours
    per year: six queries."""
    need = CareNeed.objects.filter(member=member).first()
    carers = list(need.carers.select_related("user")) if need else []
    visits = list(
        member.care_visits.select_related("meeting", "recorded_by")
        .prefetch_related(Prefetch("follow_ups", FollowUp.objects.order_by("due_on", "pk")))
        .order_by("-visited_on", "-pk")[:visit_limit]
    )
    participations = list(
        member.activity_participations.select_related(
            "activity", "activity__branch", "activity__organization"
        ).order_by("-activity__held_on", "-pk")[:100]
    )
    hours = (
        member.activity_participations.values("activity__held_on__year")
        .annotate(hours=Sum("service_hours"), n=Count("pk"))
        .order_by("-activity__held_on__year")
    )
    last = next((v.visited_on for v in visits if v.counts_as_visit), None)
    return MemberCare(
        need=need,
        carers=carers,
        visits=visits,
        participations=participations,
        hours_by_year=[(r["activity__held_on__year"], r["hours"], r["n"]) for r in hours],
        last_visit=last,
    )


def make_up_choices(member, *, today: datetime.date, current_meeting_id=None):
    """Meetings in the last 12 months the member missed (excused or absent) and has not
    made up, or made up without a care visit: those a 送学上门 can close (plus the
    visit's current meeting). One query. The conditions on the member's attendance sit
    in one filter() so they all apply to the same attendance row."""
    from activities.meetings.models import NOT_ATTENDING, Meeting, MeetingStatus

    since = today - datetime.timedelta(days=366)
    missed = Q(
        attendances__member=member,
        attendances__status__in=NOT_ATTENDING,
    ) & (Q(attendances__make_up__isnull=True) | Q(attendances__make_up__care_visit__isnull=True))
    if current_meeting_id:
        missed |= Q(pk=current_meeting_id)
    return (
        Meeting.objects.filter(missed, status=MeetingStatus.HELD, held_on__gte=since)
        .select_related("party_group")
        .distinct()
        .order_by("-held_on", "-pk")
    )


# --- The register (关怀走访登记簿) --------------------------------------------------------


def register_visits(branch, year: int):
    """Care visits of the branch's members in a year, oldest first, with follow-ups:
    two queries. Members who have since moved or died stay in the register."""
    return list(
        CareVisit.objects.filter(member__home_branch=branch, visited_on__year=year)
        .select_related("member", "member__community", "meeting")
        .prefetch_related(Prefetch("follow_ups", FollowUp.objects.order_by("due_on", "pk")))
        .order_by("visited_on", "member__name", "pk")
    )


# --- Activities -------------------------------------------------------------------------


def branch_activities(branch, year: int):
    """Activities the branch organised in a year, with participant count and hours:
    one query."""
    return (
        Activity.objects.filter(branch=branch, held_on__year=year)
        .annotate(
            n_participants=Count("participants"),
            total_hours=Coalesce(Sum("participants__service_hours"), Value(Decimal("0"))),
        )
        .order_by("-held_on", "-pk")
    )


def credited_elsewhere(branch, year: int):
    """The branch's own members' part in activities organised elsewhere (a functional
    branch, a volunteer team): credited to them, never a meeting of this branch. One
    query."""
    return (
        ActivityParticipant.objects.filter(member__home_branch=branch, activity__held_on__year=year)
        .exclude(activity__branch=branch)
        .select_related("member", "activity", "activity__branch")
        .order_by("-activity__held_on", "member__name", "pk")
    )


def activity_candidates(activity_branch, activity=None):
    """Who may be ticked as taking part: the branch's active home members, the members
    of a functional branch (BranchMembership), and anybody already listed. One query."""
    from members.models import BranchMembership

    memberships = BranchMembership.objects.filter(
        branch=activity_branch, member=OuterRef("pk"), left_on__isnull=True
    )
    q = Q(home_branch=activity_branch) | Q(Exists(memberships))
    if activity is not None and activity.pk:
        q |= Q(activity_participations__activity=activity)
    return (
        Member.objects.filter(status=MemberStatus.ACTIVE)
        .filter(q)
        .select_related("home_branch")
        .distinct()
        .order_by("name", "pk")
    )
