"""Self check-in (扫码签到): a member marks themselves present, someone off the list asks
to be let in, the secretary decides, and closes or reopens the code."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction

from .. import checkin, summaries
from ..models import (
    ATTENDING,
    Attendance,
    AttendanceStatus,
    CheckInVisitor,
    Meeting,
    MeetingStatus,
    VisitorStatus,
    masked_person,
)
from ..selectors import RosterRow, expected_members
from .errors import RecordingError


class CheckInOutcome:
    CHECKED_IN = "checked_in"
    ALREADY = "already"  # checked in before: nothing written again
    MARKED = "marked"  # the secretary has already recorded them as attending
    NOT_EXPECTED = "not_expected"


@dataclass
class CheckInResult:
    outcome: str
    at: datetime.datetime | None = None


def _expected_row(meeting: Meeting, member_id: int) -> RosterRow | None:
    rows = expected_members(
        branch_id=meeting.branch_id,
        kind=meeting.kind,
        party_group_id=meeting.party_group_id,
        day=meeting.day,
        member_id=member_id,
    )
    return rows[0] if rows else None


def self_check_in(*, meeting: Meeting, member_id: int, request=None) -> CheckInResult:
    """A member marks themselves present at a meeting (the public page checked their
    digits): the line becomes "present (self check-in)" with the time.

    One transaction under the meeting's row lock, so it and the secretary's save are
    decided one after the other and never lose each other's lines (see meeting_record).
    Twice is harmless: the second time writes nothing and says when the first was.
    Before the meeting is recorded this writes the member's own line only; recording then
    fills in the rest of the expected list. Audited with no actor (the request's address).
    Raises RecordingError("closed") when the code is no longer accepted.
    """
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if not checkin.window(meeting).is_open:
            raise RecordingError(_("Self check-in for this meeting has ended."), "closed")
        line = (
            Attendance.objects.select_related("member", "make_up")
            .filter(meeting=meeting, member_id=member_id)
            .first()
        )
        if line is not None and line.checked_in_at is not None:
            return CheckInResult(CheckInOutcome.ALREADY, line.checked_in_at)
        if line is not None and line.status in ATTENDING:
            return CheckInResult(CheckInOutcome.MARKED)
        row = None
        if meeting.status != MeetingStatus.HELD:
            row = _expected_row(meeting, member_id)
        if line is None and row is None:
            return CheckInResult(CheckInOutcome.NOT_EXPECTED)
        now = timezone.now()
        after = {
            "member": member_id,
            "status": AttendanceStatus.PRESENT,
            "checked_in_at": now,  # only a self check-in writes this key
        }
        changes = []
        if line is None:
            line = Attendance.objects.create(
                meeting=meeting,
                member_id=member_id,
                status=AttendanceStatus.PRESENT,
                is_voting=row.is_voting,
                checked_in_at=now,
            )
            name = row.name
            action, before = AuditAction.CREATE, None
        else:
            name = line.member.name
            action, before = AuditAction.UPDATE, {"status": line.status, "reason": line.reason}
            make_up = getattr(line, "make_up", None)
            if make_up is not None:  # attended after all: the make-up no longer applies
                changes.append(
                    audit.Change(AuditAction.DELETE, make_up, before={"kind": make_up.kind})
                )
                make_up.delete()
            line.status, line.reason, line.checked_in_at = AttendanceStatus.PRESENT, "", now
            line.save(update_fields=["status", "reason", "checked_in_at"])
        changes.insert(
            0,
            audit.Change(
                action,
                object_type="activities.attendance",
                object_id=f"{meeting.pk}:{member_id}",
                object_repr=f"{meeting.day:%Y-%m-%d} {audit.person_repr(name, member_id)}",
                before=before,
                after=after,
            ),
        )
        if meeting.status == MeetingStatus.HELD:
            summaries.refresh_meeting(meeting, members=[member_id])
        audit.record_many(changes, actor=None, request=request)
        return CheckInResult(CheckInOutcome.CHECKED_IN, now)


def visitor_request(
    *, meeting: Meeting, name: str, note: str = "", request=None
) -> tuple[CheckInVisitor, bool]:
    """Someone not on the list checked in by name: a request the secretary decides.
    The same name twice is one request. Returns (visitor, created)."""
    name = " ".join(name.split())[:40]
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if not checkin.window(meeting).is_open:
            raise RecordingError(_("Self check-in for this meeting has ended."), "closed")
        visitor, created = CheckInVisitor.objects.get_or_create(
            meeting=meeting, name=name, defaults={"note": note.strip()[:60]}
        )
        if created:
            audit.record(
                AuditAction.CREATE,
                visitor,
                actor=None,
                request=request,
                # The trail keeps the masked name only (as for members).
                after={"meeting": meeting.pk, "name": masked_person(name)},
            )
        return visitor, created


def visitor_decide(*, visitor: CheckInVisitor, confirm: bool, actor, request=None):
    """The secretary confirms a visitor (their line appears) or rejects the request."""
    with transaction.atomic():
        visitor = CheckInVisitor.objects.select_for_update().get(pk=visitor.pk)
        if visitor.status != VisitorStatus.PENDING:
            raise RecordingError(_("This visitor has already been decided."), "decided")
        visitor.status = VisitorStatus.CONFIRMED if confirm else VisitorStatus.REJECTED
        visitor.decided_by, visitor.decided_at = actor, timezone.now()
        visitor.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            AuditAction.UPDATE,
            visitor,
            actor=actor,
            request=request,
            before={"status": VisitorStatus.PENDING},
            after={"status": visitor.status},
        )
        return visitor


def checkin_close(*, meeting: Meeting, actor, request=None) -> Meeting:
    """Close self check-in now: every code of this meeting is refused from here on."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.checkin_closed_at is not None:
            return meeting
        meeting.checkin_closed_at, meeting.checkin_closed_by = timezone.now(), actor
        meeting.save(update_fields=["checkin_closed_at", "checkin_closed_by", "updated_at"])
        audit.record(
            AuditAction.UPDATE,
            meeting,
            actor=actor,
            request=request,
            before={"checkin_closed_at": None},
            after={"checkin_closed_at": meeting.checkin_closed_at},
        )
        return meeting


def checkin_reopen(*, meeting: Meeting, actor, request=None) -> Meeting:
    """Open self check-in again with a new code (the old one stays refused)."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.checkin_closed_at is None:
            return meeting
        before = {
            "checkin_closed_at": meeting.checkin_closed_at,
            "checkin_round": meeting.checkin_round,
        }
        meeting.checkin_closed_at, meeting.checkin_closed_by = None, None
        meeting.checkin_round += 1
        meeting.save(
            update_fields=[
                "checkin_closed_at",
                "checkin_closed_by",
                "checkin_round",
                "updated_at",
            ]
        )
        audit.record(
            AuditAction.UPDATE,
            meeting,
            actor=actor,
            request=request,
            before=before,
            after={"checkin_closed_at": None, "checkin_round": meeting.checkin_round},
        )
        return meeting
