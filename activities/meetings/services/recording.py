"""Record a meeting as held with its attendance, or correct it.

Recording a meeting runs a fixed number of queries whatever the number of members: the
attendance lines go in with one upsert and are audited with one record_many.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Subquery
from django.utils.translation import gettext as _

from accounts import audit, bulk
from accounts.models import AuditAction
from branches.models import Branch

from .. import summaries
from ..models import (
    ATTENDING,
    NOT_ATTENDING,
    Attendance,
    AttendanceStatus,
    MakeUp,
    Meeting,
    MeetingStatus,
)
from ..selectors import RosterRow, expected_members
from .errors import RecordingError
from .planning import MEETING_FIELDS, check_version

# Choices.values builds a new list on each access: once here, not once per line.
STATUSES = frozenset(AttendanceStatus.values)


@dataclass(frozen=True)
class Mark:
    """What the secretary tapped for one member."""

    status: str = AttendanceStatus.PRESENT
    reason: str = ""


@dataclass
class RecordResult:
    meeting: Meeting
    replayed: bool = False  # the same request came twice: nothing was written again
    changed: int = 0  # attendance lines created or changed


class _Line(NamedTuple):
    """An attendance line to upsert (a model instance per line cost more than the rest
    of building it)."""

    member_id: int
    status: str
    reason: str
    is_voting: bool
    checked_in_at: datetime.datetime | None


def _attendance_lines(
    meeting: Meeting,
    roster: list[RosterRow],
    existing: dict[int, Attendance],
    marks: dict[int, Mark],
) -> tuple[list[_Line], list[audit.Change], list[MakeUp]]:
    """The lines to upsert, their audit changes, and make-ups that no longer apply. Sets
    the meeting's quorum_missed from the complete list (the meeting is saved after)."""
    lines, changes, stale = [], [], []
    final = []  # (status, is_voting) of every line once written: the meeting's quorum
    for row in roster:
        # Unmarked: present on a first recording, unchanged when correcting. (The
        # recording screen sends a status for everyone, starting a bedridden member
        # as excused; see AttendanceSheetForm.)
        mark = marks.get(row.member_id) or (Mark(row.status, row.reason) if row.status else Mark())
        if mark.status not in STATUSES:
            raise RecordingError(_("Unknown attendance status."), "bad_status")
        reason = mark.reason.strip()[:100] if mark.status in NOT_ATTENDING else ""
        if mark.status == AttendanceStatus.EXCUSED and not reason:
            raise RecordingError(_("An excused absence needs a reason."), "no_reason")
        old = existing.get(row.member_id)
        final.append((mark.status, old.is_voting if old is not None else row.is_voting))
        if old is not None and (old.status, old.reason) == (mark.status, reason):
            continue
        line = _Line(
            member_id=row.member_id,
            status=mark.status,
            reason=reason,
            is_voting=row.is_voting,
            # A self check-in stays one while the member stays present.
            checked_in_at=(
                old.checked_in_at
                if old is not None and mark.status == AttendanceStatus.PRESENT
                else None
            ),
        )
        lines.append(line)
        after = {"member": row.member_id, "status": mark.status, "reason": reason}
        # The member by masked name and pk: the trail must not name members.
        shown = f"{meeting.day:%Y-%m-%d} {audit.person_repr(row.name, row.member_id)}"
        if old is None:
            changes.append(
                audit.Change(
                    AuditAction.CREATE,
                    object_type="activities.attendance",
                    object_id=f"{meeting.pk}:{row.member_id}",
                    object_repr=shown,
                    after=after,
                )
            )
        else:
            changes.append(
                audit.Change(
                    AuditAction.UPDATE,
                    object_type="activities.attendance",
                    object_id=f"{meeting.pk}:{row.member_id}",
                    object_repr=shown,
                    before={"status": old.status, "reason": old.reason},
                    after=after,
                )
            )
            make_up = getattr(old, "make_up", None)
            if make_up is not None and mark.status in ATTENDING:
                stale.append(make_up)
    meeting.quorum_missed = summaries.quorum_missed(meeting, final)
    return lines, changes, stale


# A line written again (a correction) keeps its pk and is_voting snapshot.
_UPSERT = {
    "unique_fields": ["meeting", "member"],
    "update_fields": ["status", "reason", "checked_in_at"],
}


def _write_lines(meeting, lines, changes, stale, *, actor, request):
    """One upsert for the lines, one delete for stale make-ups, one audit insert."""
    if lines and connection.vendor == "postgresql":
        # One JSON parameter (accounts.bulk): compiling bulk_create and dumping its column
        # arrays took most of a recording's own time. The lines' pks are not read back
        # (no caller needs them).
        sql, params = bulk.json_insert(
            Attendance, _Line._fields, lines, shared={"meeting": meeting.pk}, **_UPSERT
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    elif lines:
        Attendance.objects.bulk_create(
            [Attendance(meeting=meeting, **line._asdict()) for line in lines], **_UPSERT
        )
    if stale:
        MakeUp.objects.filter(pk__in=[m.pk for m in stale]).delete()
        changes += [
            audit.Change(
                AuditAction.DELETE,
                m,
                before={"kind": m.kind, "made_up_on": m.made_up_on, "material": m.material},
            )
            for m in stale
        ]
    return changes


def meeting_record(
    *,
    meeting: Meeting,
    details: dict,
    marks: dict[int, Mark],
    record_key: uuid.UUID | None,
    actor,
    request=None,
    version: int | None = None,
    checkins_seen: Collection[int] = (),
) -> RecordResult:
    """Record (or correct) a meeting as held with its attendance.

    Everyone on the list is present unless `marks` says otherwise. The list is the
    recorded one once the meeting was held, else the expected list as of the meeting day
    (with anyone who checked in themselves). The same `record_key` twice (a double tap,
    a retried request) writes nothing again; a `version` other than the meeting's
    (someone else saved since) raises MeetingConflict.

    Self check-ins merge rather than conflict (they do not move the version): a member
    who checked in themselves stays present unless the form had shown that check-in
    (`checkins_seen`, member pks) and the secretary marked them otherwise.
    """
    with transaction.atomic():
        # The meeting and its branch locked in one statement: the branch's lock serialises
        # the rewrites of its month's tally (activities.meetings.summaries).
        meeting = (
            Meeting.objects.select_for_update(of=("self", "branch"))
            .select_related("branch")
            .get(pk=meeting.pk)
        )
        if record_key is not None and meeting.record_key == record_key:
            return RecordResult(meeting, replayed=True)
        if meeting.status == MeetingStatus.CANCELLED:
            raise RecordingError(_("A cancelled meeting cannot be recorded."), "cancelled")
        check_version(meeting, version)
        existing = {a.member_id: a for a in meeting.attendances.select_related("member", "make_up")}
        was_held = meeting.status == MeetingStatus.HELD
        before = audit.snapshot(meeting, MEETING_FIELDS)
        for name, value in details.items():
            setattr(meeting, name, value)
        meeting.status = MeetingStatus.HELD
        meeting.held_on = meeting.held_on or meeting.planned_on
        meeting.record_key = record_key
        recorded = [
            RosterRow(
                a.member_id, a.member.name, "", a.member.health, a.is_voting, a.status, a.reason
            )
            for a in existing.values()
        ]
        if existing and was_held:
            roster = recorded
        else:
            roster = expected_members(
                branch_id=meeting.branch_id,
                kind=meeting.kind,
                party_group_id=meeting.party_group_id,
                day=meeting.held_on,
                with_health=False,
            )
            on_list = {row.member_id for row in roster}
            # Checked in themselves, and off the list since: their line stays.
            roster += [row for row in recorded if row.member_id not in on_list]
        seen = set(checkins_seen)
        marks = {
            member_id: mark
            for member_id, mark in marks.items()
            if member_id not in existing
            or existing[member_id].checked_in_at is None
            or member_id in seen
        }
        lines, changes, stale = _attendance_lines(meeting, roster, existing, marks)
        meeting.save()
        old, new = audit.diff(before, audit.snapshot(meeting, MEETING_FIELDS))
        if new:
            changes.insert(0, audit.Change(AuditAction.UPDATE, meeting, before=old, after=new))
        changes = _write_lines(meeting, lines, changes, stale, actor=actor, request=request)
        summaries.refresh_meeting(
            meeting,
            months=[before["held_on"]],
            members=[row.member_id for row in roster],
            locked=True,
            quorum=False,
        )
        audit.record_many(changes, actor=actor, request=request)
        return RecordResult(meeting, changed=len(lines))


def meeting_record_new(
    *,
    branch,
    details: dict,
    marks: dict[int, Mark],
    client_key: uuid.UUID,
    actor,
    request=None,
) -> RecordResult:
    """Create a held meeting and its attendance in one go (the meeting was not planned
    in the portal). Idempotent on `client_key`: the twin request returns the first
    meeting and writes nothing."""
    try:
        return _record_new(
            branch=branch,
            details=details,
            marks=marks,
            client_key=client_key,
            actor=actor,
            request=request,
        )
    except IntegrityError:
        # A concurrent twin won the race on the unique client key: its transaction
        # committed while this one waited for the branch's lock. This one wrote nothing.
        twin = Meeting.objects.filter(client_key=client_key).first()
        if twin is None:
            raise
        return RecordResult(twin, replayed=True)


def _record_new(*, branch, details, marks, client_key, actor, request) -> RecordResult:
    """meeting_record_new's transaction: the branch locked (its tally is rewritten) and a
    twin looked for in one statement, the expected list, the meeting, its lines, the
    summaries, the audit and the dashboards' versions: eight statements."""
    with transaction.atomic():
        twin = (
            Branch.objects.select_for_update(of=("self",))
            .filter(pk=branch.pk)
            .annotate(
                twin=Subquery(Meeting.objects.filter(client_key=client_key).order_by().values("pk"))
            )
            .order_by()
            .values_list("twin", flat=True)
        )[0]
        if twin is not None:
            return RecordResult(Meeting.objects.get(pk=twin), replayed=True)
        meeting = Meeting(
            branch=branch,
            status=MeetingStatus.HELD,
            client_key=client_key,
            record_key=client_key,
            created_by=actor,
            **details,
        )
        meeting.planned_on = meeting.planned_on or meeting.held_on
        roster = expected_members(
            branch_id=branch.pk,
            kind=meeting.kind,
            party_group_id=meeting.party_group_id,
            day=meeting.held_on,
            with_health=False,
        )
        # Built before the INSERT so that it carries the quorum; the lines' audit ids
        # name the meeting's pk, known once it is saved.
        lines, changes, _stale = _attendance_lines(meeting, roster, {}, marks)
        meeting.save()
        changes = [
            replace(change, object_id=f"{meeting.pk}:{change.after['member']}")
            for change in changes
        ]
        changes.insert(
            0,
            audit.Change(
                AuditAction.CREATE, meeting, after=audit.snapshot(meeting, MEETING_FIELDS)
            ),
        )
        _write_lines(meeting, lines, changes, [], actor=actor, request=request)
        summaries.refresh_meeting(
            meeting, members=[row.member_id for row in roster], locked=True, quorum=False
        )
        audit.record_many(changes, actor=actor, request=request)
        return RecordResult(meeting, changed=len(lines))
