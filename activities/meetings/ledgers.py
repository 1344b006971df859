"""The branch's attendance report and yearly ledger (their HTML, PDF and Excel come from
these rows: exports.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.dispatch import Signal

from branches.models import Branch
from members.models import Health

from .models import (
    ATTENDING,
    NOT_ATTENDING,
    Attendance,
    Meeting,
    MeetingMaterial,
    MeetingStatus,
)
from .periods import Span
from .quorum import Quorum, quorum_for
from .selectors import (
    Tally,
    tally_annotations,
    tally_from,
)

# --- The branch's attendance report and yearly ledger ---------------------------------


@dataclass
class MemberLine:
    member_id: int
    name: str
    group: str
    health: str
    tally: Tally

    @property
    def is_bedridden(self) -> bool:
        return self.health == Health.BEDRIDDEN


@dataclass
class AttendanceReport:
    branch: Branch
    span: Span
    lines: list[MemberLine]
    misses: list[Attendance]  # who did not attend, meeting by meeting
    total: Tally
    meetings: int


def attendance_report(branch: Branch, span: Span) -> AttendanceReport:
    """Per member for the held meetings of `span`: expected, attended, excused, absent,
    made up and rate; and every excused/absent line. Three queries.

    A member counts here for every meeting of this branch they were expected at, even
    if they have since moved: attendance counts once, where it happened."""
    base = Attendance.objects.filter(
        meeting__branch=branch,
        meeting__status=MeetingStatus.HELD,
        meeting__held_on__gte=span.start,
        meeting__held_on__lte=span.end,
    )
    rows = (
        base.values("member_id", "member__name", "member__party_group__name", "member__health")
        .annotate(**tally_annotations())
        .order_by("member__party_group__number", "member__name", "member_id")
    )
    lines = [
        MemberLine(
            row["member_id"],
            row["member__name"],
            row["member__party_group__name"] or "",
            row["member__health"],
            tally_from(row),
        )
        for row in rows
    ]
    misses = list(
        base.filter(status__in=NOT_ATTENDING)
        .select_related(
            "meeting", "meeting__party_group", "member", "make_up", "make_up__study_material"
        )
        .order_by("meeting__held_on", "meeting_id", "member__name")
    )
    meetings = Meeting.objects.filter(
        branch=branch, status=MeetingStatus.HELD, held_on__gte=span.start, held_on__lte=span.end
    ).count()
    total = Tally()
    for line in lines:
        for name in ("expected", "present", "remote", "excused", "absent", "made_up"):
            setattr(total, name, getattr(total, name) + getattr(line.tally, name))
    return AttendanceReport(branch, span, lines, misses, total, meetings)


@dataclass
class LedgerMeeting:
    meeting: Meeting
    attendances: list[Attendance] = field(default_factory=list)
    materials: list = field(default_factory=list)  # the study materials (notices) used

    @property
    def tally(self) -> Tally:
        tally = Tally(expected=len(self.attendances))
        for a in self.attendances:
            setattr(tally, a.status, getattr(tally, a.status) + 1)
            if a.status in NOT_ATTENDING and hasattr(a, "make_up"):
                tally.made_up += 1
        return tally

    @property
    def quorum(self) -> Quorum:
        voting = [a for a in self.attendances if a.is_voting]
        attending = sum(1 for a in voting if a.status in ATTENDING)
        return quorum_for(self.meeting.kind, self.meeting.is_election, len(voting), attending)

    def names(self, *statuses) -> list[Attendance]:
        return [a for a in self.attendances if a.status in statuses]

    @property
    def attending(self):
        return self.names(*ATTENDING)

    @property
    def missing(self):
        return self.names(*NOT_ATTENDING)


@dataclass
class LedgerSection:
    """A part of the ledger another room adds (the funds' 经费 section): its HTML include
    and context, and its Excel sheets (branches.exporting.Sheet)."""

    title: str
    template: str
    context: dict
    sheets: list = field(default_factory=list)


# Rooms above activities add their section to a branch's yearly ledger without
# activities importing them: a receiver gets `branch` and `year` and returns a
# LedgerSection or None (resources.funds.ledger connects one).
ledger_sections = Signal()


@dataclass
class Ledger:
    branch: Branch
    year: int
    meetings: list[LedgerMeeting]
    sections: list[LedgerSection] = field(default_factory=list)

    @property
    def total(self) -> Tally:
        total = Tally()
        for entry in self.meetings:
            t = entry.tally
            for name in ("expected", "present", "remote", "excused", "absent", "made_up"):
                setattr(total, name, getattr(total, name) + getattr(t, name))
        return total

    def count_of(self, kind: str) -> int:
        return sum(1 for e in self.meetings if e.meeting.kind == kind and e.meeting.is_held)


def ledger(branch: Branch, year: int) -> Ledger:
    """台账: every meeting of the year (held, and cancelled ones with their reason) with
    minutes, attendance and study materials. Three queries."""
    meetings = list(
        Meeting.objects.filter(branch=branch)
        .filter(
            Q(status=MeetingStatus.HELD, held_on__year=year)
            | Q(status=MeetingStatus.CANCELLED, planned_on__year=year)
        )
        .select_related("party_group", "venue")
        .order_by("planned_on", "pk")
    )
    meetings.sort(key=lambda m: (m.day, m.pk))
    entries = {m.pk: LedgerMeeting(m) for m in meetings}
    attendances = (
        Attendance.objects.filter(
            meeting__branch=branch, meeting__status=MeetingStatus.HELD, meeting__held_on__year=year
        )
        .select_related("member", "member__party_group", "make_up", "make_up__study_material")
        .order_by("meeting_id", "member__party_group__number", "member__name", "member_id")
    )
    for attendance in attendances:
        if attendance.meeting_id in entries:
            entries[attendance.meeting_id].attendances.append(attendance)
    used = (
        MeetingMaterial.objects.filter(meeting_id__in=list(entries))
        .select_related("notice")
        .order_by("linked_at", "pk")
    )
    for material in used:
        entries[material.meeting_id].materials.append(material.notice)
    sections = [
        section
        for _receiver, section in ledger_sections.send(sender=Ledger, branch=branch, year=year)
        if section is not None
    ]
    return Ledger(branch, year, list(entries.values()), sections)
