"""Reads shared by the meeting pages, the printed sheets and their PDF/Excel twins.

Every function here runs a fixed number of queries whatever the number of members,
meetings or branches (the docstrings say how many).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, Subquery, Value, Window
from django.utils.translation import gettext as _

from branches.models import Branch
from members.models import CommitteeTerm, Health, Member, MemberStatus

from .models import (
    ATTENDING,
    NOT_ATTENDING,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from .quorum import Quorum, quorum_for

# --- Expected list and roster ----------------------------------------------------------


@dataclass
class RosterRow:
    """One member on a meeting's list: expected (before recording) or recorded."""

    member_id: int
    name: str
    group: str
    health: str
    is_voting: bool
    status: str = ""
    reason: str = ""
    attendance_id: int | None = None
    make_up: object | None = None
    checked_in_at: datetime.datetime | None = None  # checked in themselves (扫码签到)

    @property
    def is_bedridden(self) -> bool:
        return self.health == Health.BEDRIDDEN

    @property
    def default_status(self) -> str:
        """What the recording screen starts from: everyone present, except that a
        bedridden member starts as excused (and is then due a 送学上门)."""
        if self.status:
            return self.status
        return AttendanceStatus.EXCUSED if self.is_bedridden else AttendanceStatus.PRESENT

    @property
    def default_reason(self) -> str:
        if self.status:
            return self.reason
        return _("Bedridden") if self.is_bedridden else ""

    def get_status_display(self) -> str:
        return AttendanceStatus(self.status).label if self.status else ""


def is_voting_on(full_member_on: datetime.date | None, day: datetime.date) -> bool:
    """Only a full member on that day votes (full_member_on on or before it)."""
    return full_member_on is not None and full_member_on <= day


def expected_members(
    *,
    branch_id: int,
    kind: str,
    party_group_id: int | None,
    day: datetime.date,
    member_id: int | None = None,
    with_health: bool = True,
) -> list[RosterRow]:
    """Who is expected at a meeting (one query):
    - a committee meeting: the members holding a post on the branch's committee term in
      force on the day (the latest term started by then: an overdue term still sits);
    - a party group meeting: the group's active members of this home branch;
    - every other kind: the branch's active home members.
    `with_health=False` leaves each row's health empty: it is encrypted at rest, and a
    save that does not show it need not decrypt it for every member.
    """
    members = Member.objects.filter(status=MemberStatus.ACTIVE)
    if kind == MeetingKind.COMMITTEE:
        term = (
            CommitteeTerm.objects.filter(branch_id=branch_id, starts_on__lte=day)
            .order_by("-starts_on", "-pk")
            .values("pk")[:1]
        )
        members = members.filter(positions__term=Subquery(term)).distinct()
    elif kind == MeetingKind.GROUP:
        members = members.filter(home_branch_id=branch_id, party_group_id=party_group_id)
    else:
        members = members.filter(home_branch_id=branch_id)
    if member_id is not None:  # is this one member expected? (self check-in)
        members = members.filter(pk=member_id)
    rows = members.order_by("party_group__number", "name", "pk").values_list(
        "pk", "name", "party_group__name", "health" if with_health else Value(""), "full_member_on"
    )
    return [
        RosterRow(pk, name, group or "", health, is_voting_on(full_on, day))
        for pk, name, group, health, full_on in rows
    ]


def meeting_roster(meeting: Meeting) -> list[RosterRow]:
    """The recorded list once attendance exists (one query), else the expected list
    computed now (one more query)."""
    attendances = meeting.attendances.select_related(
        "member", "member__party_group", "make_up", "make_up__study_material"
    ).order_by("member__party_group__number", "member__name", "member_id")
    rows = [
        RosterRow(
            member_id=a.member_id,
            name=a.member.name,
            group=a.member.party_group.name if a.member.party_group_id else "",
            health=a.member.health,
            is_voting=a.is_voting,
            status=a.status,
            reason=a.reason,
            attendance_id=a.pk,
            make_up=getattr(a, "make_up", None),
            checked_in_at=a.checked_in_at,
        )
        for a in attendances
    ]
    if meeting.status == MeetingStatus.HELD:
        return rows
    expected = expected_members(
        branch_id=meeting.branch_id,
        kind=meeting.kind,
        party_group_id=meeting.party_group_id,
        day=meeting.day,
    )
    if not rows:
        return expected
    # Not recorded yet, but some checked in themselves: their lines over the expected list.
    own = {row.member_id: row for row in rows}
    merged = [own.pop(row.member_id, row) for row in expected]
    return merged + list(own.values())


def checkin_candidates(meeting: Meeting, *, member_id: int | None = None) -> list[RosterRow]:
    """Whom the public self check-in page offers (two queries, plain values: no member
    object is loaded, so nothing is decrypted on this busy page): the recorded list once
    the meeting is held, else the expected list with the lines of those who checked in.
    `member_id`: that one member only (empty if they are not on it)."""
    lines = meeting.attendances.all()
    if member_id is not None:
        lines = lines.filter(member_id=member_id)
    values = lines.order_by("member__party_group__number", "member__name", "member_id")
    rows = [
        RosterRow(
            member_id=pk,
            name=name,
            group=group or "",
            health="",
            is_voting=voting,
            status=status,
            reason="",
            attendance_id=line_pk,
            checked_in_at=checked_in_at,
        )
        for line_pk, pk, name, group, voting, status, checked_in_at in values.values_list(
            "pk",
            "member_id",
            "member__name",
            "member__party_group__name",
            "is_voting",
            "status",
            "checked_in_at",
        )
    ]
    if meeting.status == MeetingStatus.HELD:
        return rows
    expected = expected_members(
        branch_id=meeting.branch_id,
        kind=meeting.kind,
        party_group_id=meeting.party_group_id,
        day=meeting.day,
        member_id=member_id,
    )
    own = {row.member_id: row for row in rows}
    return [own.pop(row.member_id, row) for row in expected] + list(own.values())


def self_checkins(meeting: Meeting) -> list[Attendance]:
    """Who checked in themselves, latest first (one query): the live panel."""
    return list(
        meeting.attendances.filter(checked_in_at__isnull=False)
        .select_related("member")
        .order_by("-checked_in_at", "-pk")
    )


# --- One meeting's numbers -------------------------------------------------------------


@dataclass
class Tally:
    expected: int = 0
    present: int = 0
    remote: int = 0
    excused: int = 0
    absent: int = 0
    made_up: int = 0

    @property
    def attended(self) -> int:
        return self.present + self.remote

    @property
    def rate(self) -> float | None:
        """DOMAIN.md: (present + remote + made up) / expected."""
        if not self.expected:
            return None
        return (self.present + self.remote + self.made_up) / self.expected

    @property
    def rate_label(self) -> str:
        return format_rate(self.rate)

    @property
    def rate_with_make_up_label(self) -> str:
        """The rate, saying so when make-ups count in it ("含补学 100.0%"): next to
        "25 / 27" attended a bare 100.0% reads as a mistake."""
        if self.made_up and self.rate is not None:
            return _("incl. make-up %(rate)s") % {"rate": self.rate_label}
        return self.rate_label

    @property
    def not_made_up(self) -> int:
        return self.excused + self.absent - self.made_up


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def tally_annotations(prefix: str = "") -> dict:
    """Conditional counts over Attendance rows: on an Attendance queryset (prefix "") or
    through a relation to it (prefix "attendances__")."""
    status = f"{prefix}status"
    rows = f"{prefix}pk"
    return {
        "n_expected": Count(rows),
        "n_present": Count(rows, filter=Q(**{status: AttendanceStatus.PRESENT})),
        "n_remote": Count(rows, filter=Q(**{status: AttendanceStatus.REMOTE})),
        "n_excused": Count(rows, filter=Q(**{status: AttendanceStatus.EXCUSED})),
        "n_absent": Count(rows, filter=Q(**{status: AttendanceStatus.ABSENT})),
        # Only an excused or absent line can be made up; count nothing else.
        "n_made_up": Count(f"{prefix}make_up", filter=Q(**{f"{status}__in": NOT_ATTENDING})),
    }


def tally_from(row) -> Tally:
    get = row.get if isinstance(row, dict) else lambda key: getattr(row, key)
    return Tally(
        expected=get("n_expected") or 0,
        present=get("n_present") or 0,
        remote=get("n_remote") or 0,
        excused=get("n_excused") or 0,
        absent=get("n_absent") or 0,
        made_up=get("n_made_up") or 0,
    )


def tally_roster(rows: list[RosterRow]) -> Tally:
    tally = Tally(expected=len(rows))
    for row in rows:
        status = row.status or row.default_status
        setattr(tally, status, getattr(tally, status) + 1)
        if row.make_up is not None and status in NOT_ATTENDING:
            tally.made_up += 1
    return tally


def roster_quorum(meeting: Meeting, rows: list[RosterRow]) -> Quorum:
    voting = [r for r in rows if r.is_voting]
    attending = sum(1 for r in voting if (r.status or r.default_status) in ATTENDING)
    return quorum_for(meeting.kind, meeting.is_election, len(voting), attending)


def branch_meetings(branch: Branch):
    """A branch's meetings with their tallies (one query per page)."""
    return (
        Meeting.objects.filter(branch=branch)
        .select_related("party_group")
        .annotate(**tally_annotations("attendances__"))
        .order_by("-planned_on", "-pk")
    )


@dataclass
class Outstanding:
    """The first lines waiting for a make-up, and how many there are in all."""

    lines: list
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.lines)


# How far back an absence still waits for a make-up study (the lists and the workbench).
MAKE_UP_WINDOW = datetime.timedelta(days=365)


def make_up_since(today: datetime.date) -> datetime.date:
    return today - MAKE_UP_WINDOW


def _waiting(branch_ids, since: datetime.date):
    return Attendance.objects.filter(
        meeting__branch_id__in=branch_ids,
        meeting__status=MeetingStatus.HELD,
        meeting__held_on__gte=since,
        status__in=NOT_ATTENDING,
        make_up__isnull=True,
    )


def waiting_for_make_up(branch: Branch, *, since: datetime.date):
    """Excused or absent lines of held meetings since `since` with no make-up yet,
    newest meeting first (the full list pages through these)."""
    return waiting_in([branch.pk], since=since)


def waiting_in(branch_ids, *, since: datetime.date):
    """waiting_for_make_up for several branches at once (one query per page)."""
    return (
        _waiting(branch_ids, since)
        .select_related("meeting", "member", "meeting__branch")
        .order_by("-meeting__held_on", "member__name", "pk")
    )


def waiting_counts(branch_ids, *, since: datetime.date) -> dict[int, int]:
    """How many lines wait for a make-up, per branch (one query)."""
    rows = _waiting(branch_ids, since).values_list("meeting__branch_id").annotate(n=Count("*"))
    return dict(rows.order_by())


def outstanding_make_ups(branch: Branch, *, since: datetime.date, limit: int = 50) -> Outstanding:
    """The first `limit` lines waiting for a make-up and their total. One query: the
    total comes along as a window count, so a short list can say how many it leaves out."""
    rows = waiting_for_make_up(branch, since=since).annotate(n_total=Window(Count("*")))
    lines = list(rows[:limit])
    return Outstanding(lines, lines[0].n_total if lines else 0)
