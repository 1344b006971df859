"""What is due about meetings: a meeting coming up (and its SMS notices to members),
attendance not recorded, a cadence period at risk (meetings.compliance)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import (
    Exists,
    OuterRef,
    Q,
)
from django.utils.translation import gettext as _

from accounts.formats import month_day
from activities.meetings.compliance import CellStatus, compliance
from activities.meetings.models import (
    Attendance,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from branches.models import Branch
from members.models import (
    Member,
    MemberStatus,
)

from .due import DAY, Context, Due, day_key, page_link, setting, week_key
from .models import (
    ReminderKind,
)


def _meeting_title(meeting: Meeting, today: datetime.date) -> str:
    return _("%(day)s %(branch)s %(kind)s: %(topic)s") % {
        "day": month_day(meeting.day, today),
        "branch": meeting.branch.name,
        "kind": meeting.get_kind_display(),
        "topic": meeting.topic,
    }


def due_meetings(ctx: Context) -> list[Due]:
    """Planned meetings in the next MEETING_DAYS_AHEAD days, to the secretaries. One query."""
    until = ctx.today + setting("MEETING_DAYS_AHEAD") * DAY
    meetings = (
        Meeting.objects.filter(
            status=MeetingStatus.PLANNED, planned_on__gte=ctx.today, planned_on__lte=until
        )
        .filter(ctx.only_branches("branch_id"))
        .select_related("branch__organization", "venue")
    )
    dues = []
    for m in meetings:
        when = m.start_time.strftime("%H:%M") if m.start_time else ""
        body = " · ".join(p for p in (when, m.place) if p)
        dues.append(
            Due(
                ReminderKind.MEETING_UPCOMING,
                f"meeting:{m.pk}",
                day_key(m.planned_on),
                m.branch.organization.path,
                _("Coming up: %(meeting)s") % {"meeting": _meeting_title(m, ctx.today)},
                body,
                page_link("activities:meeting_detail", pk=m.pk),
                m.planned_on,
                frozenset(ctx.secretaries.for_branch(m.branch_id, m.branch.organization.path)),
            )
        )
    return dues


def due_meeting_notices(ctx: Context) -> list[Due]:
    """With MEETING_SMS_TO_MEMBERS: an SMS the day before to each member expected at a
    planned meeting (group meetings: the group; committee meetings are left to the
    secretary) who has a phone. Two queries (the meetings, then their members)."""
    if not setting("MEETING_SMS_TO_MEMBERS"):
        return []
    tomorrow = ctx.today + DAY
    meetings = list(
        Meeting.objects.filter(
            status=MeetingStatus.PLANNED, planned_on__gte=ctx.today, planned_on__lte=tomorrow
        )
        .exclude(kind=MeetingKind.COMMITTEE)
        .filter(ctx.only_branches("branch_id"))
        .select_related("branch__organization", "venue")
    )
    if not meetings:
        return []
    members = defaultdict(list)  # branch -> [(member id, group id)]
    for pk, branch_id, group_id in (
        Member.objects.filter(
            status=MemberStatus.ACTIVE, home_branch_id__in={m.branch_id for m in meetings}
        )
        # A phone to text: the member's, or their family contact's (MemberMessaging).
        .exclude(Q(phone=""), Q(messaging__isnull=True) | Q(messaging__family_phone=""))
        .values_list("pk", "home_branch_id", "party_group_id")
    ):
        members[branch_id].append((pk, group_id))
    dues = []
    for m in meetings:
        wanted = frozenset(
            pk
            for pk, group_id in members[m.branch_id]
            if m.kind != MeetingKind.GROUP or group_id == m.party_group_id
        )
        when = m.start_time.strftime("%H:%M") if m.start_time else ""
        params = {
            "branch": m.branch.name,
            "kind": str(m.get_kind_display()),
            "day": month_day(m.planned_on, ctx.today),
            "time": when,
            "place": m.place or _("the usual place"),
        }
        text = _("%(branch)s holds a %(kind)s on %(day)s %(time)s at %(place)s. Please attend.") % (
            params
        )
        dues.append(
            Due(
                ReminderKind.MEETING_NOTICE,
                f"meeting:{m.pk}",
                day_key(m.planned_on),
                m.branch.organization.path,
                text,
                "",
                "",
                m.planned_on,
                members=wanted,
                sms_params=params,
            )
        )
    return dues


def due_attendance(ctx: Context) -> list[Due]:
    """Meetings whose planned day is ATTENDANCE_AFTER_DAYS or more days past (within the
    last 90) still not recorded as held, or held with no attendance lines. One query."""
    cutoff = ctx.today - setting("ATTENDANCE_AFTER_DAYS") * DAY
    oldest = ctx.today - 90 * DAY
    lines = Attendance.objects.filter(meeting=OuterRef("pk"))
    meetings = (
        Meeting.objects.filter(
            Q(status=MeetingStatus.PLANNED, planned_on__lte=cutoff, planned_on__gte=oldest)
            | (
                Q(status=MeetingStatus.HELD, held_on__lte=cutoff, held_on__gte=oldest)
                & ~Exists(lines)
            )
        )
        .filter(ctx.only_branches("branch_id"))
        .select_related("branch__organization")
    )
    return [
        Due(
            ReminderKind.ATTENDANCE_MISSING,
            f"meeting:{m.pk}",
            week_key(ctx.today),
            m.branch.organization.path,
            _("Attendance not recorded: %(meeting)s (%(days)d days ago)")
            % {"meeting": _meeting_title(m, ctx.today), "days": (ctx.today - m.day).days},
            _("Record who attended, or cancel the meeting if it did not take place."),
            page_link("activities:meeting_record", pk=m.pk),
            m.day,
            frozenset(ctx.secretaries.for_branch(m.branch_id, m.branch.organization.path)),
        )
        for m in meetings
    ]


def due_cadence(ctx: Context) -> list[Due]:
    """Cadence periods ending soon and not met. One query for the branches, then the six
    of meetings.compliance over all of them at once."""
    days_left = setting("CADENCE_DAYS_LEFT")
    branches = list(
        Branch.objects.active(ctx.today)
        .filter(ctx.only_branches("pk"))
        .select_related("organization")
    )
    cells = compliance(branches, ctx.today, ctx.today, today=ctx.today)
    by_pk = {b.pk: b for b in branches}
    dues = []
    for branch_id, by_kind in cells.items():
        branch = by_pk[branch_id]
        for kind, kind_cells in by_kind.items():
            for cell in kind_cells:
                left = (cell.span.end - ctx.today).days
                if cell.status != CellStatus.IN_PROGRESS or left > days_left.get(
                    cell.span.period, 0
                ):
                    continue
                dues.append(
                    Due(
                        ReminderKind.CADENCE_AT_RISK,
                        f"cadence:{branch_id}:{kind}:{cell.span.start.isoformat()}",
                        day_key(cell.span.start),
                        branch.organization.path,
                        _("%(branch)s: %(kind)s for %(period)s still needs %(n)d (by %(end)s)")
                        % {
                            "branch": branch.name,
                            "kind": MeetingKind(kind).label,
                            "period": cell.span.label,
                            "n": cell.required - cell.counted,
                            "end": month_day(cell.span.end, ctx.today),
                        },
                        _("Held %(held)d, required %(required)d.")
                        % {"held": cell.counted, "required": cell.required},
                        page_link("activities:branch_compliance", branch_pk=branch_id),
                        cell.span.end,
                        frozenset(ctx.secretaries.for_branch(branch_id, branch.organization.path)),
                    )
                )
    return dues
