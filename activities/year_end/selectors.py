"""Reads of the year end: the status of many branches at once (workbench, dashboards,
the street's list) and one branch's checklist (what is missing in each step).

`year_end_status` runs one query whatever the number of branches.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from activities.meetings.models import Meeting, MeetingKind, MeetingStatus
from branches.access import RECORD_MEETING, VIEW_MEMBERS, VIEW_SENSITIVE, scope_for
from branches.models import Branch, Level
from members.models import CommitteeTerm, Member, MemberStatus, Post

from .models import Appraisal, RectificationItem, TalkPair, YearEndCycle

NOT_STARTED, IN_PROGRESS, DONE = "not_started", "in_progress", "done"
STATE_LABELS = {
    NOT_STARTED: _("Not started"),
    IN_PROGRESS: _("In progress"),
    DONE: _("Done"),
}
STEPS = (
    ("talks", _("Heart-to-heart talks")),
    ("life_meeting", _("Organisational life meeting")),
    ("appraisal", _("Democratic appraisal of members")),
    ("rectification", _("Rectification")),
)


def year_end_day(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


def days_left(year: int, today: datetime.date) -> int:
    """Days from today to 31 December of the year (0 on the day, negative after)."""
    return (year_end_day(year) - today).days


@dataclass
class Status:
    """One branch's year end: each step's state, the cycle's, and its open 整改."""

    branch_id: int
    year: int
    members: int = 0
    cycle_id: int | None = None
    pairs: int = 0
    pairs_done: int = 0
    paired: int = 0
    meeting_linked: bool = False
    meeting_held: bool = False
    graded: int = 0
    items: int = 0
    no_problems: bool = False
    open_items: int = 0
    overdue_items: int = 0
    steps: dict = field(default_factory=dict)

    def compute(self) -> Status:
        m = self.members
        self.steps = {
            "talks": _state(
                started=self.pairs > 0,
                done=m > 0 and self.paired >= m and self.pairs_done == self.pairs > 0,
            ),
            "life_meeting": _state(started=self.meeting_linked, done=self.meeting_held),
            "appraisal": _state(started=self.graded > 0, done=m > 0 and self.graded >= m),
            "rectification": _state(
                started=self.items > 0 or self.no_problems,
                done=self.items > 0 or self.no_problems,
            ),
        }
        return self

    @property
    def state(self) -> str:
        states = set(self.steps.values())
        if states == {DONE}:
            return DONE
        if states == {NOT_STARTED}:
            return NOT_STARTED
        return IN_PROGRESS

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def steps_done(self) -> int:
        return sum(1 for s in self.steps.values() if s == DONE)


def _state(*, started: bool, done: bool) -> str:
    return DONE if done else IN_PROGRESS if started else NOT_STARTED


class SubqueryCount(Subquery):
    """COUNT(*) of a subquery's rows (one correlated scalar subquery, no GROUP BY)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _count)"
    output_field = IntegerField()


def year_end_status(branches, year: int, today: datetime.date) -> dict[int, Status]:
    """branch id -> Status for `branches` (ids) in `year`. Open items count those of the
    year and every earlier year not yet closed; overdue ones are past their deadline.
    One query: a row per branch with a scalar subquery per figure (each an index probe
    on the branch or its cycle). `branches` may be a queryset of branches: it becomes a
    subquery, still one query."""
    if isinstance(branches, QuerySet):
        ids = branches.values("pk")
    else:
        ids = list(branches)
        if not ids:
            return {}
    branch = OuterRef("pk")
    active = Member.objects.filter(status=MemberStatus.ACTIVE)
    cycle = YearEndCycle.objects.filter(branch=branch, year=year)
    pairs = TalkPair.objects.filter(cycle__branch=branch, cycle__year=year)
    in_pair = TalkPair.objects.filter(
        cycle__year=year, cycle__branch_id=OuterRef("home_branch_id")
    ).filter(Q(first=OuterRef("pk")) | Q(second=OuterRef("pk")))
    graded = Appraisal.objects.filter(
        cycle__year=year, cycle__branch_id=OuterRef("home_branch_id"), member=OuterRef("pk")
    ).exclude(decision="")
    still_open = RectificationItem.objects.filter(
        branch=branch, year__lte=year, closed_on__isnull=True
    )
    rows = (
        Branch.objects.filter(pk__in=ids)
        .annotate(
            n_members=SubqueryCount(active.filter(home_branch=branch).values("pk")),
            cycle_id=Subquery(cycle.values("pk")[:1]),
            no_problems=Subquery(cycle.values("no_problems")[:1]),
            meeting_status=Subquery(cycle.values("life_meeting__status")[:1]),
            n_pairs=SubqueryCount(pairs.values("pk")),
            n_done=SubqueryCount(pairs.filter(held_on__isnull=False).values("pk")),
            n_paired=SubqueryCount(
                active.filter(home_branch=branch).filter(Exists(in_pair)).values("pk")
            ),
            n_graded=SubqueryCount(
                active.filter(home_branch=branch).filter(Exists(graded)).values("pk")
            ),
            n_items=SubqueryCount(
                RectificationItem.objects.filter(branch=branch, year=year).values("pk")
            ),
            n_open=SubqueryCount(still_open.values("pk")),
            n_late=SubqueryCount(still_open.filter(deadline__lt=today).values("pk")),
        )
        .values_list(
            "pk",
            "n_members",
            "cycle_id",
            "no_problems",
            "meeting_status",
            "n_pairs",
            "n_done",
            "n_paired",
            "n_graded",
            "n_items",
            "n_open",
            "n_late",
        )
    )
    found = {}
    for (
        pk,
        members,
        cycle_id,
        none,
        meeting,
        n_pairs,
        done,
        paired,
        n_graded,
        items,
        n_open,
        late,
    ) in rows:
        found[pk] = Status(
            pk,
            year,
            members=members,
            cycle_id=cycle_id,
            pairs=n_pairs,
            pairs_done=done,
            paired=paired,
            meeting_linked=meeting is not None,
            meeting_held=meeting == MeetingStatus.HELD,
            graded=n_graded,
            items=items,
            no_problems=bool(none),
            open_items=n_open,
            overdue_items=late,
        ).compute()
    return found


@dataclass
class Summary:
    """An area's year end: how many branches in each state, and their 整改 items."""

    not_started: int = 0
    in_progress: int = 0
    done: int = 0
    open_items: int = 0
    overdue_items: int = 0
    year: int | None = None


def area_branches(user, node, today: datetime.date):
    """The active branches of a node's subtree that the user may read: the area list
    (overview) shows them and the dashboards and workbench count them, so both agree."""
    return (
        Branch.objects.visible_to(user, VIEW_MEMBERS)
        .active(today)
        .filter(organization__path__startswith=node.path)
    )


def year_end_summary(branch_ids, year: int, today: datetime.date) -> Summary:
    """The figures of an area (its active branches' ids, or `area_branches`) for the
    dashboards: one query."""
    summary = Summary(year=year)
    for status in year_end_status(branch_ids, year, today).values():
        setattr(summary, status.state, getattr(summary, status.state) + 1)
        summary.open_items += status.open_items
        summary.overdue_items += status.overdue_items
    return summary


def area_summary(user, node, today: datetime.date) -> Summary | None:
    """This year's figures of a district, street or community for its dashboard and the
    staff's workbench, or None where the user may not open the area list (the link's
    target). Computed per request, one query: every record of a cycle moves them, which
    the dashboards' cache does not follow. Not for the city: its thousands of branches
    on every look cost too much, and its area list is not linked either."""
    if node.level == Level.CITY or not scope_for(user).covers_path(node.path, VIEW_MEMBERS):
        return None
    return year_end_summary(area_branches(user, node, today), today.year, today)


# --- One branch -------------------------------------------------------------------------


def branch_members(branch):
    """The branch's active members, pinyin order."""
    return Member.objects.filter(home_branch=branch, status=MemberStatus.ACTIVE).order_by(
        "name", "pk"
    )


@dataclass
class Committee:
    secretary: Member | None
    others: list  # the other committee members (deputy, committee members)

    @property
    def all(self) -> list:
        return ([self.secretary] if self.secretary else []) + self.others


def committee(branch, today: datetime.date) -> Committee:
    """The current committee's active members (one query)."""
    term = (
        CommitteeTerm.objects.current(today)
        .filter(branch=branch)
        .order_by("-starts_on")
        .prefetch_related("positions__member")
        .first()
    )
    secretary, others = None, []
    if term:
        for position in term.positions.all():
            who = position.member
            if who is None or who.status != MemberStatus.ACTIVE or who.home_branch_id != branch.pk:
                continue
            if position.post == Post.SECRETARY:
                secretary = who
            elif who not in others:
                others.append(who)
    return Committee(secretary, others)


def life_meetings(branch, year: int):
    """The branch's 组织生活会 of the year (not cancelled), for the cycle to name."""
    return (
        Meeting.objects.filter(branch=branch, kind=MeetingKind.LIFE_MEETING, planned_on__year=year)
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("-planned_on")
    )


def sensitive_for(user, branch) -> bool:
    """Whether the user may read talk notes and criticism texts of the branch (the
    branch's secretary and those above holding can_view_sensitive). The branch's
    organisation must be loaded."""
    return scope_for(user).covers_branch(branch, VIEW_SENSITIVE)


def can_record(user, branch) -> bool:
    return scope_for(user).covers_branch(branch, RECORD_MEETING)


def shown_items(branch, year: int):
    """The year's 整改 items and the open ones carried over, open first."""
    return (
        RectificationItem.objects.filter(branch=branch)
        .shown_in(year)
        .select_related("committee_member")
        .order_by(F("closed_on").asc(nulls_first=True), "deadline", "pk")
    )


@dataclass
class LedgerSection:
    """The year end as the branch's yearly ledger (台账) prints it: no talk notes and no
    criticism texts (sensitive), the grades and the 整改 items of the year."""

    cycle: YearEndCycle | None
    pairs: int = 0
    pairs_done: int = 0
    rows: list = field(default_factory=list)  # (member name, self-criticism, appraisal)
    items: list = field(default_factory=list)


def ledger_section(branch, year: int) -> LedgerSection:
    """Four queries: the cycle, its pairs, its members' records and grades, the items."""
    cycle = (
        YearEndCycle.objects.select_related("life_meeting").filter(branch=branch, year=year).first()
    )
    section = LedgerSection(cycle)
    if cycle is not None:
        done = list(cycle.pairs.values_list("held_on", flat=True))
        section.pairs, section.pairs_done = len(done), sum(1 for d in done if d)
        records = {r.member_id: r.self_criticism for r in cycle.life_records.all()}
        section.rows = [
            (a.member.name, records.get(a.member_id), a)
            for a in cycle.appraisals.select_related("member").order_by("member__name", "pk")
        ]
    section.items = list(
        RectificationItem.objects.filter(branch=branch, year=year)
        .select_related("committee_member")
        .order_by("deadline", "pk")
    )
    return section
