"""Writes for organisational life. Each function is one transaction and leaves audit rows
(accounts.audit) for every meeting, attendance and make-up it creates or changes.

Recording a meeting runs a fixed number of queries whatever the number of members: the
attendance lines go in with one upsert and are audited with one record_many.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace

from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.models import Branch

from . import checkin, summaries
from .models import (
    ATTENDING,
    NOT_ATTENDING,
    Attendance,
    AttendanceStatus,
    CadenceRule,
    CheckInVisitor,
    Excusal,
    MakeUp,
    Meeting,
    MeetingAttachment,
    MeetingStatus,
    VisitorStatus,
    masked_person,
)
from .selectors import RosterRow, expected_members

MEETING_FIELDS = (
    "kind",
    "party_group_id",
    "status",
    "topic",
    "planned_on",
    "held_on",
    "start_time",
    "end_time",
    "venue_id",
    "venue_note",
    "mode",
    "host",
    "recorder",
    "lecturer",
    "is_election",
    "minutes",
    "decisions",
    "cancel_reason",
)


class RecordingError(ValueError):
    """A write the rules do not allow; the message is translated for the page."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code  # machine-readable, for tests and logs


class MeetingConflict(RecordingError):
    """The meeting was saved by someone else since the form was loaded."""

    def __init__(self, meeting: Meeting):
        super().__init__(
            _("Someone else saved this meeting while you were working on it."), "conflict"
        )
        self.meeting = meeting


def _check_version(meeting: Meeting, version: int | None) -> None:
    """Under the row lock: refuse a save made from an older version, else bump it."""
    if version is not None and meeting.version != version:
        raise MeetingConflict(meeting)
    meeting.version += 1


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


# --- Meetings --------------------------------------------------------------------------


def meeting_plan(
    *, branch, details: dict, client_key: uuid.UUID, actor, request=None
) -> tuple[Meeting, bool]:
    """Create a planned meeting once per client key: a doubled or retried POST returns
    the meeting the first one created. Returns (meeting, created)."""
    with transaction.atomic():
        existing = Meeting.objects.filter(client_key=client_key).first()
        if existing is not None:
            return existing, False
        meeting = Meeting(
            branch=branch,
            status=MeetingStatus.PLANNED,
            client_key=client_key,
            created_by=actor,
            **details,
        )
        try:
            with transaction.atomic():
                meeting.save()
        except IntegrityError:
            # A concurrent twin won the race on the unique client key.
            return Meeting.objects.get(client_key=client_key), False
        audit.record(
            AuditAction.CREATE,
            meeting,
            actor=actor,
            request=request,
            after=audit.snapshot(meeting, MEETING_FIELDS),
        )
        return meeting, True


def meeting_update(
    *, meeting: Meeting, details: dict, actor, request=None, version: int | None = None
) -> Meeting:
    """Change a meeting's details (not its attendance): only the fields in `details`.
    `version`: the one the form was loaded at (MeetingConflict if it moved on)."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        before = audit.snapshot(meeting, MEETING_FIELDS)
        current = meeting.version
        _check_version(meeting, version)
        was_held, held_on = meeting.status == MeetingStatus.HELD, meeting.held_on
        for name, value in details.items():
            setattr(meeting, name, value)
        old, new = audit.diff(before, audit.snapshot(meeting, MEETING_FIELDS))
        if not new:
            meeting.version = current  # nothing changed: nothing to conflict with later
            return meeting
        meeting.save(update_fields=[*details, "version", "updated_at"])
        if was_held or meeting.status == MeetingStatus.HELD:
            summaries.refresh_meeting(meeting, months=[held_on])
        audit.record(
            AuditAction.UPDATE, meeting, actor=actor, request=request, before=old, after=new
        )
        return meeting


def meeting_cancel(*, meeting: Meeting, reason: str, actor, request=None) -> Meeting:
    if meeting.status == MeetingStatus.HELD:
        raise RecordingError(_("A meeting that was held cannot be cancelled."), "held")
    return meeting_update(
        meeting=meeting,
        details={"status": MeetingStatus.CANCELLED, "cancel_reason": reason},
        actor=actor,
        request=request,
    )


def _attendance_lines(
    meeting: Meeting,
    roster: list[RosterRow],
    existing: dict[int, Attendance],
    marks: dict[int, Mark],
) -> tuple[list[Attendance], list[audit.Change], list[MakeUp]]:
    """The lines to upsert, their audit changes, and make-ups that no longer apply. Sets
    the meeting's quorum_missed from the complete list (the meeting is saved after)."""
    lines, changes, stale = [], [], []
    final = []  # (status, is_voting) of every line once written: the meeting's quorum
    for row in roster:
        # Unmarked: present on a first recording, unchanged when correcting. (The
        # recording screen sends a status for everyone, starting a bedridden member
        # as excused; see AttendanceSheetForm.)
        mark = marks.get(row.member_id) or (Mark(row.status, row.reason) if row.status else Mark())
        if mark.status not in AttendanceStatus.values:
            raise RecordingError(_("Unknown attendance status."), "bad_status")
        reason = mark.reason.strip()[:100] if mark.status in NOT_ATTENDING else ""
        if mark.status == AttendanceStatus.EXCUSED and not reason:
            raise RecordingError(_("An excused absence needs a reason."), "no_reason")
        old = existing.get(row.member_id)
        final.append((mark.status, old.is_voting if old is not None else row.is_voting))
        if old is not None and (old.status, old.reason) == (mark.status, reason):
            continue
        line = Attendance(
            meeting=meeting,
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


def _write_lines(meeting, lines, changes, stale, *, actor, request):
    """One upsert for the lines, one delete for stale make-ups, one audit insert."""
    if lines:
        Attendance.objects.bulk_create(
            lines,
            update_conflicts=True,
            unique_fields=["meeting", "member"],
            update_fields=["status", "reason", "checked_in_at"],
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
        _check_version(meeting, version)
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


# --- Self check-in (扫码签到) -------------------------------------------------------------


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


# --- Make-up and attachments -----------------------------------------------------------


def makeup_record(*, attendance: Attendance, details: dict, actor, request=None) -> MakeUp:
    """补学 / 送学上门 for one excused or absent line; it then counts in the rate."""
    with transaction.atomic():
        attendance = (
            Attendance.objects.select_for_update()
            .select_related("meeting", "member")
            .get(pk=attendance.pk)
        )
        if attendance.status not in NOT_ATTENDING:
            raise RecordingError(
                _("Only an excused or absent member can make up a meeting."), "attended"
            )
        if attendance.meeting.status != MeetingStatus.HELD:
            raise RecordingError(_("The meeting has not been held."), "not_held")
        if MakeUp.objects.filter(attendance=attendance).exists():
            raise RecordingError(_("This absence has already been made up."), "duplicate")
        if details["made_up_on"] < attendance.meeting.held_on:
            raise RecordingError(_("A make-up cannot be before the meeting."), "before_meeting")
        make_up = MakeUp.objects.create(attendance=attendance, recorded_by=actor, **details)
        summaries.refresh_meeting(attendance.meeting, members=[attendance.member_id])
        audit.record(
            AuditAction.CREATE,
            make_up,
            actor=actor,
            request=request,
            object_repr=f"{attendance.meeting.held_on:%Y-%m-%d} {attendance.member.audit_repr()}",
            # A chosen study material by its pk (the trail keeps plain values).
            after={
                "attendance": attendance.pk,
                **{k: getattr(v, "pk", v) for k, v in details.items()},
            },
        )
        return make_up


def attachment_add(*, meeting: Meeting, upload, kind: str, content_type: str, actor, request=None):
    with transaction.atomic():
        attachment = MeetingAttachment(
            meeting=meeting,
            kind=kind,
            original_name=upload.name[-120:],
            content_type=content_type,
            size=upload.size,
            uploaded_by=actor,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
        audit.record(
            AuditAction.CREATE,
            attachment,
            actor=actor,
            request=request,
            after={"meeting": meeting.pk, "kind": kind, "size": upload.size},
        )
        return attachment


# --- Rules and excusals ----------------------------------------------------------------

RULE_FIELDS = (
    "district_id",
    "kind",
    "period",
    "minimum_count",
    "per_group",
    "valid_from",
    "valid_to",
    "source_note",
)


def cadence_rule_save(*, rule: CadenceRule, before: dict | None, actor, request=None):
    """Save a rule from its form (`before` is None for a new one) and audit the change."""
    with transaction.atomic():
        rule.updated_by = actor
        rule.save()
        after = audit.snapshot(rule, RULE_FIELDS)
        if before is None:
            audit.record(AuditAction.CREATE, rule, actor=actor, request=request, after=after)
        else:
            old, new = audit.diff(before, after)
            audit.record(
                AuditAction.UPDATE, rule, actor=actor, request=request, before=old, after=new
            )
        return rule


EXCUSAL_FIELDS = ("branch_id", "period", "period_start", "kind", "reason", "approved_by")


def excusal_create(*, excusal: Excusal, actor, request=None) -> Excusal:
    with transaction.atomic():
        excusal.created_by = actor
        excusal.save()
        audit.record(
            AuditAction.CREATE,
            excusal,
            actor=actor,
            request=request,
            after=audit.snapshot(excusal, EXCUSAL_FIELDS),
        )
        return excusal


def excusal_delete(*, excusal: Excusal, actor, request=None) -> None:
    with transaction.atomic():
        audit.record(
            AuditAction.DELETE,
            excusal,
            actor=actor,
            request=request,
            before=audit.snapshot(excusal, EXCUSAL_FIELDS),
        )
        excusal.delete()
