"""Plan, change or cancel a meeting (its details, not its attendance)."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction

from .. import summaries
from ..models import Meeting, MeetingStatus
from .errors import MeetingConflict, RecordingError

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


def check_version(meeting: Meeting, version: int | None) -> None:
    """Under the row lock: refuse a save made from an older version, else bump it."""
    if version is not None and meeting.version != version:
        raise MeetingConflict(meeting)
    meeting.version += 1


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
        check_version(meeting, version)
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
