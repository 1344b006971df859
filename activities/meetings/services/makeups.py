"""补学 / 送学上门: an excused or absent member makes up a held meeting."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction

from .. import summaries
from ..models import NOT_ATTENDING, Attendance, MakeUp, MeetingStatus
from .errors import RecordingError


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
