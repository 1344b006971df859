"""Organisational-life pages. Thin: resolve through the access helpers, validate with a
form, call a service or selector, render or redirect."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts import audit, stored_files
from accounts.models import AuditAction
from accounts.query import query_pk
from branches.access import (
    EDIT_RULES,
    RECORD_MEETING,
    VIEW_MEMBERS,
    get_for_user,
    require_capability,
    scope_for,
)
from branches.models import Branch

from . import conflicts, exports, ledgers, materials, selectors
from .forms import (
    AttachmentForm,
    AttendanceSheetForm,
    CancelForm,
    MakeUpForm,
    MaterialForm,
    MeetingForm,
    PeriodChoiceForm,
    can_edit_default_rules,
    refresh_version,
)
from .models import (
    Attendance,
    AttendanceStatus,
    CadenceRule,
    Meeting,
    MeetingAttachment,
    MeetingKind,
    MeetingStatus,
)
from .periods import quarter_span, year_span
from .quorum import quorum_rule
from .services import attachments, errors, makeups, planning, recording

# --- Access helpers: every object a view touches comes through one of these -----------


def get_branch_for_user(request, pk, *, write=False):
    """Meetings pages of a branch: reading needs can_view_members, recording
    can_record_meeting."""
    return get_for_user(
        request,
        Branch.objects.select_related("organization", "venue"),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_MEETING if write else None,
    )


def get_meeting_for_user(request, pk, *, write=False):
    return get_for_user(
        request,
        Meeting.objects.select_related("branch", "branch__organization", "party_group", "venue"),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_MEETING if write else None,
    )


def get_attendance_for_user(request, pk, *, write=False):
    return get_for_user(
        request,
        Attendance.objects.select_related(
            "meeting", "meeting__branch", "member", "member__party_group"
        ),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_MEETING if write else None,
    )


def get_rule_for_user(request, pk):
    """District rules through the scope; default rules only from a city-level grant."""
    require_capability(request, EDIT_RULES)
    qs = CadenceRule.objects.select_related("district")
    rule = qs.visible_to(request.user).filter(pk=pk).first()
    if rule is None:
        rule = qs.filter(pk=pk, district__isnull=True).first()
        if rule is None:
            raise Http404
        if not can_edit_default_rules(request.user):
            raise PermissionDenied
    return rule


# --- The branch's meetings -------------------------------------------------------------


OUTSTANDING_SHOWN = 20  # the meetings page lists this many waiting for make-up; a page all


def meeting_list(request, branch_pk):
    branch = get_branch_for_user(request, branch_pk)
    can_record = scope_for(request.user).covers_branch(branch, RECORD_MEETING)
    today = timezone.localdate()
    page = Paginator(selectors.branch_meetings(branch), 20).get_page(request.GET.get("page"))
    planned = [m for m in page.object_list if m.status == MeetingStatus.PLANNED]
    return render(
        request,
        "activities/meeting_list.html",
        {
            "branch": branch,
            "page": page,
            "planned": planned,
            "can_record": can_record,
            "groups": list(branch.groups.all()),
            "kinds": MeetingKind.choices,
            "outstanding": selectors.outstanding_make_ups(
                branch, since=selectors.make_up_since(today), limit=OUTSTANDING_SHOWN
            ),
            "year": today.year,
        },
    )


def makeup_list(request, branch_pk):
    """Everyone waiting for a make-up study (the meetings page shows the first few)."""
    branch = get_branch_for_user(request, branch_pk)
    today = timezone.localdate()
    waiting = selectors.waiting_for_make_up(branch, since=selectors.make_up_since(today))
    return render(
        request,
        "activities/makeup_list.html",
        {
            "branch": branch,
            "page": Paginator(waiting, 50).get_page(request.GET.get("page")),
            "can_record": scope_for(request.user).covers_branch(branch, RECORD_MEETING),
        },
    )


def meeting_plan(request, branch_pk):
    branch = get_branch_for_user(request, branch_pk, write=True)
    initial = {"planned_on": timezone.localdate()}
    if (kind := request.GET.get("kind")) in MeetingKind.values:
        initial["kind"] = kind
    form = MeetingForm(request.POST or None, branch=branch, initial=initial)
    if request.method == "POST" and form.is_valid():
        meeting, created = planning.meeting_plan(
            branch=branch,
            details=form.details(),
            client_key=form.cleaned_data["client_key"] or uuid.uuid4(),
            actor=request.user,
            request=request,
        )
        if created:
            messages.success(request, _("Meeting planned: %(m)s") % {"m": meeting.topic})
        return redirect("activities:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "activities/meeting_form.html",
        {"form": form, "branch": branch, "title": _("Plan a meeting")},
    )


def _record_target(request, branch):
    """kind and party group of a meeting recorded without a plan: from the query string
    (the chooser's links), or from the form's hidden fields when it is posted."""
    params = request.POST if request.method == "POST" else request.GET
    kind = params.get("kind", "")
    if kind not in MeetingKind.values:
        return None, None
    group = None
    if kind == MeetingKind.GROUP:
        group_id = params.get("group", "")
        group = branch.groups.filter(pk=group_id).first() if query_pk(group_id) else None
        if group is None:
            return kind, None
    return kind, group


def meeting_record_new(request, branch_pk):
    """Record a meeting that was held but not planned here: choose the kind (and group),
    then the same recording screen as for a planned meeting."""
    branch = get_branch_for_user(request, branch_pk, write=True)
    kind, group = _record_target(request, branch)
    if kind is None or (kind == MeetingKind.GROUP and group is None):
        return render(
            request,
            "activities/record_choose.html",
            {
                "branch": branch,
                "kinds": MeetingKind.choices,
                "groups": list(branch.groups.all()),
                "choosing_group": kind == MeetingKind.GROUP,
            },
        )
    day = timezone.localdate()
    roster = selectors.expected_members(
        branch_id=branch.pk, kind=kind, party_group_id=group.pk if group else None, day=day
    )
    form = AttendanceSheetForm(request.POST or None, roster=roster)
    if not form.is_bound:
        form.initial["topic"] = ""
    if request.method == "POST" and form.is_valid():
        details = form.details()
        details.update(kind=kind, party_group=group, venue=branch.venue)
        result = recording.meeting_record_new(
            branch=branch,
            details=details,
            marks=form.marks(),
            client_key=form.cleaned_data["record_key"],
            actor=request.user,
            request=request,
        )
        if not result.replayed:
            messages.success(request, _("The meeting and its attendance are saved."))
        return redirect("activities:meeting_detail", pk=result.meeting.pk)
    fake = Meeting(branch=branch, kind=kind, party_group=group)
    return _render_sheet(request, form, fake, roster, new=True)


# The four toggles of the recording screen, in tapping order (short words for a phone).
TOGGLES = [
    (AttendanceStatus.PRESENT, gettext_lazy("Present")),
    (AttendanceStatus.REMOTE, pgettext_lazy("attendance toggle", "Online")),
    (AttendanceStatus.EXCUSED, gettext_lazy("Excused")),
    (AttendanceStatus.ABSENT, gettext_lazy("Absent")),
]


def _render_sheet(request, form, meeting, roster, *, new, conflict=None):
    quorum = selectors.roster_quorum(meeting, roster)
    live = {}
    if not new:  # the live panel of self check-ins (扫码签到), polled by htmx
        live = {
            "checkins": selectors.self_checkins(meeting),
            "visitors": list(meeting.visitors.exclude(status="rejected")),
        }
    return render(
        request,
        "activities/meeting_record.html",
        {
            "form": form,
            "meeting": meeting,
            "branch": meeting.branch,
            "new": new,
            "quorum": quorum,
            "quorum_rule": quorum_rule(meeting.kind, meeting.is_election),
            "tally": selectors.tally_roster(roster),
            "toggles": TOGGLES,
            "conflict": conflict,
            **live,
        },
        status=409 if conflict is not None else 200,
    )


def meeting_detail(request, pk):
    meeting = get_meeting_for_user(request, pk)
    can_record = scope_for(request.user).covers_branch(meeting.branch, RECORD_MEETING)
    roster = selectors.meeting_roster(meeting)
    return render(
        request,
        "activities/meeting_detail.html",
        {
            "meeting": meeting,
            "branch": meeting.branch,
            "roster": roster,
            "tally": selectors.tally_roster(roster) if meeting.is_held else None,
            "quorum": selectors.roster_quorum(meeting, roster) if meeting.is_held else None,
            "attachments": list(meeting.attachments.all()),
            "visitors": list(meeting.visitors.filter(status="confirmed")),
            "can_record": can_record,
            "materials": materials.meeting_materials(meeting),
            "material_form": (
                MaterialForm(meeting=meeting)
                if can_record and meeting.status != MeetingStatus.CANCELLED
                else None
            ),
        },
    )


def meeting_edit(request, pk):
    meeting = get_meeting_for_user(request, pk, write=True)
    form = MeetingForm(request.POST or None, instance=meeting, branch=meeting.branch)
    conflict = None
    if request.method == "POST" and form.is_valid():
        details = {k: v for k, v in form.details().items() if not form.fields[k].disabled}
        try:
            planning.meeting_update(
                meeting=meeting,
                details=details,
                actor=request.user,
                request=request,
                version=form.cleaned_data["version"],
            )
        except errors.MeetingConflict as error:
            conflict = _conflict(form, error.meeting)
        else:
            messages.success(request, _("Meeting saved."))
            return redirect("activities:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "activities/meeting_form.html",
        {
            "form": form,
            "branch": meeting.branch,
            "meeting": meeting,
            "title": _("Edit meeting"),
            "conflict": conflict,
        },
        status=409 if conflict is not None else 200,
    )


def _conflict(form, meeting) -> list[conflicts.Change]:
    """What another save changed since the form was loaded; the form moves on to it."""
    changed = conflicts.changes(form.data.get("loaded", ""), meeting, form.shown())
    refresh_version(form, meeting)
    return changed


def meeting_record(request, pk):
    """The secretary's screen: everyone present by default, tap the exceptions, save."""
    meeting = get_meeting_for_user(request, pk, write=True)
    if meeting.status == MeetingStatus.CANCELLED:
        messages.error(request, _("A cancelled meeting cannot be recorded."))
        return redirect("activities:meeting_detail", pk=meeting.pk)
    roster = selectors.meeting_roster(meeting)
    form = AttendanceSheetForm(request.POST or None, roster=roster, meeting=meeting)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            result = recording.meeting_record(
                meeting=meeting,
                details=form.details(),
                marks=form.marks(),
                record_key=form.cleaned_data["record_key"],
                actor=request.user,
                request=request,
                version=form.cleaned_data["version"],
                checkins_seen=form.checkins_seen(),
            )
        except errors.MeetingConflict as error:
            conflict = _conflict(form, error.meeting)
        except errors.RecordingError as error:
            messages.error(request, str(error))
        else:
            if not result.replayed:
                messages.success(request, _("Attendance saved."))
            return redirect("activities:meeting_detail", pk=meeting.pk)
    return _render_sheet(request, form, meeting, roster, new=False, conflict=conflict)


def meeting_cancel(request, pk):
    meeting = get_meeting_for_user(request, pk, write=True)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            planning.meeting_cancel(
                meeting=meeting,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                request=request,
            )
        except errors.RecordingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The meeting is cancelled."))
        return redirect("activities:meeting_detail", pk=meeting.pk)
    return render(request, "activities/meeting_cancel.html", {"form": form, "meeting": meeting})


def attachment_upload(request, pk):
    meeting = get_meeting_for_user(request, pk, write=True)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        attachments.attachment_add(
            meeting=meeting,
            upload=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            content_type=form.content_type,
            actor=request.user,
            request=request,
        )
        messages.success(request, _("The file is attached."))
        return redirect("activities:meeting_detail", pk=meeting.pk)
    return render(request, "activities/attachment_form.html", {"form": form, "meeting": meeting})


def attachment_download(request, pk):
    """Files are served only through here (never from a public media URL); a signed
    sign-in sheet names members, so every download is audited like an export."""
    attachment = get_for_user(
        request, MeetingAttachment.objects.select_related("meeting"), pk, read=VIEW_MEMBERS
    )
    audit.record(
        AuditAction.EXPORT,
        attachment,
        request=request,
        after={"format": attachment.content_type, "branch": attachment.meeting.branch_id},
    )
    return stored_files.download(
        request,
        attachment.file.name,
        content_type=attachment.content_type,
        as_attachment=attachment.content_type == "application/pdf",
        filename=attachment.original_name,
    )


def makeup_create(request, attendance_pk):
    attendance = get_attendance_for_user(request, attendance_pk, write=True)
    if hasattr(attendance, "make_up"):
        messages.error(request, _("This absence has already been made up."))
        return redirect("activities:meeting_detail", pk=attendance.meeting_id)
    form = MakeUpForm(request.POST or None, attendance=attendance)
    if request.method == "GET" and attendance.member.health == "bedridden":
        form.initial.setdefault("kind", "home_delivery")
    if request.method == "POST" and form.is_valid():
        try:
            makeups.makeup_record(
                attendance=attendance,
                details=form.cleaned_data,
                actor=request.user,
                request=request,
            )
        except errors.RecordingError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Make-up recorded for %(name)s.") % {"name": attendance.member.name}
            )
            return redirect("activities:meeting_detail", pk=attendance.meeting_id)
    return render(request, "activities/makeup_form.html", {"form": form, "attendance": attendance})


def _years(today):
    return list(range(today.year, today.year - 5, -1))


# --- Printable sheets: HTML, PDF and Excel from the same rows --------------------------


def _wants(request) -> str:
    fmt = request.GET.get("format", "html")
    return fmt if fmt in {"html", "pdf", "xlsx"} else "html"


def sign_in_sheet(request, pk):
    meeting = get_meeting_for_user(request, pk)
    return exports.sign_in_sheet(request, meeting, _wants(request))


def attendance_record(request, pk):
    meeting = get_meeting_for_user(request, pk)
    if not meeting.is_held:
        raise Http404
    return exports.attendance_record(request, meeting, _wants(request))


def attendance_report(request, branch_pk):
    branch = get_branch_for_user(request, branch_pk)
    year, quarter = PeriodChoiceForm(request.GET).period(default_quarter=True)
    span = quarter_span(year, quarter) if quarter else year_span(year)
    report = ledgers.attendance_report(branch, span)
    page = {
        "choose_period": True,
        "choose_quarter": True,
        "years": _years(timezone.localdate()),
        "year": year,
        "quarter": quarter,
        "branch": branch,
    }
    return exports.attendance_report(request, report, _wants(request), page=page)


def ledger(request, branch_pk):
    branch = get_branch_for_user(request, branch_pk)
    year, _quarter = PeriodChoiceForm(request.GET).period(default_quarter=False)
    page = {
        "choose_period": True,
        "years": _years(timezone.localdate()),
        "year": year,
        "branch": branch,
    }
    return exports.ledger(request, ledgers.ledger(branch, year), _wants(request), page=page)
