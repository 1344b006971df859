"""The secretaries' panel: branch and community secretaries, and street staff for the
street-level branches whose meetings they record.

What is due this period per kind of meeting (and what fell behind this year), the
meetings to record and coming up, who waits for a make-up study (补学) or a care visit,
registrations to accept and notices to answer. Every count is the count of the page its
link opens (tests/workbench/test_secretary.py loads them and compares), and the panel
runs the same queries whatever the size of the data: its branches (1), their compliance
for the year (activities.meetings.compliance: 5), their year end (activities.year_end: 1),
the meetings planned this year (1),
those to record and the next ones (2), make-ups waiting (2), care (2), registrations (1),
notices (2), data completeness (4: rollout.completeness.selectors.paths_total)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Window

from activities.care import selectors as care_selectors
from activities.meetings import selectors as meeting_selectors
from activities.meetings.compliance import Cell, CellStatus, compliance
from activities.meetings.models import Meeting, MeetingKind, MeetingStatus
from activities.meetings.periods import Period, year_span
from activities.year_end import selectors as year_end_selectors
from branches.access import (
    ANSWER_NOTICES,
    MANAGE_REGISTRATIONS,
    RECORD_CARE,
    RECORD_MEETING,
    VIEW_COMPLETENESS,
    Role,
)
from branches.models import Branch
from members.models import RegistrationStatus
from members.selectors import pending_registrations
from notices.models import NoticeReceipt, NoticeState, ResponseKind
from rollout.completeness import selectors as completeness_selectors

LIST_LENGTH = 6
UPCOMING_DAYS = 30
# A yearly kind (组织生活会, 民主评议) not yet held turns urgent in the year's last 60 days.
URGENT_DAYS = 60
# More branches than a community has: beyond them the panel links to the branch list.
BRANCHES_SHOWN = 20
BEHIND_SHOWN = 6  # the latest periods behind; the compliance page lists them all


@dataclass
class Due:
    """One kind's period (this one, still owed; or one that ended behind): how many
    meetings are still owed and by when, and the meeting already planned for it."""

    cell: Cell
    today: datetime.date
    planned: Meeting | None = None

    @property
    def label(self) -> str:
        return str(MeetingKind(self.cell.kind).label)

    @property
    def remaining(self) -> int:
        return self.cell.required - self.cell.counted

    @property
    def days_left(self) -> int:
        return (self.cell.span.end - self.today).days

    @property
    def urgent(self) -> bool:
        return self.cell.span.period == Period.YEAR and self.days_left < URGENT_DAYS


@dataclass
class BranchWork:
    branch: Branch
    records_meetings: bool
    records_care: bool
    due: list[Due] = field(default_factory=list)  # this period, still owed
    done: list[Due] = field(default_factory=list)  # this period, met or excused
    behind: list[Due] = field(default_factory=list)  # this year's periods that ended behind

    @property
    def behind_shown(self) -> list[Due]:
        return self.behind[-BEHIND_SHOWN:]

    make_ups: int = 0
    care_overdue: int = 0
    care_due: int = 0  # due by Sunday, not overdue yet


def _branches(user, scope, today):
    """The branches whose meetings or care the user records, active today."""
    mine = Branch.objects.none()
    for capability in (RECORD_MEETING, RECORD_CARE):
        if scope.has(capability):
            mine |= Branch.objects.visible_to(user, capability)
    rows = list(
        mine.active(today)
        .select_related("organization")
        .order_by("organization__path", "name", "pk")[: BRANCHES_SHOWN + 1]
    )
    return rows[:BRANCHES_SHOWN], len(rows) > BRANCHES_SHOWN


def _cadence(work: list[BranchWork], today: datetime.date, planned: dict) -> None:
    """Fill due / done / behind from the year's compliance, as the branch's compliance
    page of this year computes it."""
    branches = [w.branch for w in work if w.records_meetings]
    span = year_span(today.year)
    cells = compliance(branches, span.start, span.end, today=today)
    for w in work:
        if not w.records_meetings:
            continue
        for kind in MeetingKind.values:
            for cell in cells[w.branch.pk].get(kind, ()):
                if cell.status == CellStatus.BEHIND:
                    w.behind.append(Due(cell, today))
                elif cell.span.start <= today <= cell.span.end:
                    if cell.status == CellStatus.IN_PROGRESS:
                        first = next(
                            (
                                m
                                for m in planned.get((w.branch.pk, kind), ())
                                if cell.span.start <= m.planned_on <= cell.span.end
                            ),
                            None,
                        )
                        w.due.append(Due(cell, today, first))
                    elif cell.status in (CellStatus.MET, CellStatus.EXCUSED):
                        w.done.append(Due(cell, today))
        w.due.sort(key=lambda d: (not d.urgent, d.days_left, MeetingKind.values.index(d.cell.kind)))
        w.behind.sort(key=lambda d: (d.cell.span.end, MeetingKind.values.index(d.cell.kind)))


def _planned_this_year(meetings, today):
    """(branch, kind) -> meetings planned this year, earliest first: what a due kind's
    button opens when its meeting is already planned."""
    span = year_span(today.year)
    planned: dict[tuple[int, str], list[Meeting]] = {}
    for meeting in meetings.filter(planned_on__gte=span.start, planned_on__lte=span.end).order_by(
        "planned_on", "pk"
    ):
        planned.setdefault((meeting.branch_id, meeting.kind), []).append(meeting)
    return planned


def _notices(user, today):
    """Notices addressed to the user's branches still waiting for them: not opened, or
    not yet confirmed / replied to as the notice asks. Nearest deadline first."""
    waiting = Q(opened_at__isnull=True)
    waiting |= Q(notice__response=ResponseKind.CONFIRM, confirmed_at__isnull=True)
    waiting |= Q(notice__response=ResponseKind.REPLY, replied_at__isnull=True)
    receipts = (
        NoticeReceipt.objects.answerable_by(user)
        .filter(notice__state=NoticeState.SENT)
        .filter(waiting)
    )
    # Counted in notices, as the notices pages and the menu's unread badge count them
    # (a community secretary's two branches addressed by one notice: one notice).
    counts = receipts.aggregate(
        waiting=Count("notice_id", distinct=True),
        unread=Count("notice_id", filter=Q(opened_at__isnull=True), distinct=True),
        late=Count("notice_id", filter=Q(notice__deadline__lt=today), distinct=True),
    )
    items = list(
        receipts.select_related("notice", "branch").order_by(
            F("notice__deadline").asc(nulls_last=True), "-notice__sent_at", "pk"
        )[:LIST_LENGTH]
    )
    for receipt in items:
        deadline = receipt.notice.deadline
        receipt.days_left = (deadline - today).days if deadline else None
        if receipt.opened_at is None:
            receipt.waiting_for = "open"
        else:
            receipt.waiting_for = receipt.notice.response  # confirm or reply
    return counts, items


def _completeness(scope, today):
    """数据完整率 of the secretary's communities, or else of their branches: the totals
    their completeness page shows (4 queries, or 3 for branches; not kept, so the
    panel's count is the same on every request)."""
    paths = [g.path for g in scope.grants if g.role == Role.COMMUNITY_SECRETARY and g.path]
    if paths:
        return completeness_selectors.paths_total(paths, today)
    branch_ids = [g.branch_id for g in scope.grants if g.role == Role.BRANCH_SECRETARY]
    if branch_ids:
        return completeness_selectors.branches_completeness(branch_ids, today).total
    return None


def panel(request, scope, today):
    records_meetings = scope.has(RECORD_MEETING)
    records_care = scope.has(RECORD_CARE)
    if not (records_meetings or records_care):
        return None
    user = request.user
    branches, more_branches = _branches(user, scope, today)
    work = [
        BranchWork(
            branch,
            records_meetings=scope.covers_branch(branch, RECORD_MEETING),
            records_care=scope.covers_branch(branch, RECORD_CARE),
        )
        for branch in branches
    ]
    meeting_ids = [w.branch.pk for w in work if w.records_meetings]
    care_ids = [w.branch.pk for w in work if w.records_care]
    context = {"work": work, "more_branches": more_branches, "today": today}

    if records_meetings:
        meetings = Meeting.objects.visible_to(user, RECORD_MEETING).filter(
            status=MeetingStatus.PLANNED, branch_id__in=meeting_ids
        )
        _cadence(work, today, _planned_this_year(meetings, today))
        context["upcoming"] = list(
            meetings.filter(
                planned_on__gte=today,
                planned_on__lte=today + datetime.timedelta(days=UPCOMING_DAYS),
            )
            .select_related("branch", "party_group")
            .order_by("planned_on", "pk")[:LIST_LENGTH]
        )
        # The total comes along as a window count: the list shows the latest few.
        unrecorded = list(
            meetings.filter(planned_on__lt=today)
            .annotate(n_total=Window(Count("*")))
            .select_related("branch", "party_group")
            .order_by("-planned_on", "-pk")[:LIST_LENGTH]
        )
        context["unrecorded"] = unrecorded
        context["unrecorded_total"] = unrecorded[0].n_total if unrecorded else 0
        since = meeting_selectors.make_up_since(today)
        counts = meeting_selectors.waiting_counts(meeting_ids, since=since)
        for w in work:
            w.make_ups = counts.get(w.branch.pk, 0)
        context["make_up_lines"] = list(
            meeting_selectors.waiting_in(meeting_ids, since=since)[:LIST_LENGTH]
        )
        context["make_ups"] = sum(counts.values())
        # The year end (年终) of each branch: its state and open 整改 items (1 query).
        statuses = year_end_selectors.year_end_status(meeting_ids, today.year, today)
        context["year_end"] = [
            (w.branch, statuses[w.branch.pk]) for w in work if w.records_meetings
        ]
        context["year_end_days"] = year_end_selectors.days_left(today.year, today)
        context["due"] = sum(len(w.due) for w in work)
        context["urgent"] = sum(1 for w in work for d in w.due if d.urgent)

    if records_care:
        needs = care_selectors.open_needs(user).filter(member__home_branch_id__in=care_ids)
        week_end = care_selectors.week_end(today)
        counts = care_selectors.due_by_branch(needs, today=today, until=week_end)
        for w in work:
            w.care_overdue, w.care_due = counts.get(w.branch.pk, (0, 0))
        context["care_list"] = care_selectors.decorate(
            list(care_selectors.visits_due(needs, today=today, until=week_end)[:LIST_LENGTH]),
            today,
        )
        context["care_overdue"] = sum(w.care_overdue for w in work)
        context["care_due"] = sum(w.care_due for w in work)
        context["week_end"] = week_end

    if scope.has(MANAGE_REGISTRATIONS):
        context["waiting_registrations"] = (
            pending_registrations(user).filter(status=RegistrationStatus.REPORTED).count()
        )

    if scope.has(ANSWER_NOTICES):
        context["notice_counts"], context["notices"] = _notices(user, today)
    if scope.has(VIEW_COMPLETENESS):
        context["completeness"] = _completeness(scope, today)
    return context
