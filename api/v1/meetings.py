"""/api/v1/meetings/: organisational life (组织生活) — meetings with their attendance, and
the three writes the phone flow makes (plan, record a planned meeting, record a meeting
held without a plan).

Scope as on the meetings pages (activities.meetings.views): reading needs
can_view_members over the meeting's branch, writing can_record_meeting; outside the read
scope 404, inside it without the write capability 403. Names are shown as on the
meeting page (no masking there).

Writes go through the pages' forms (their Chinese messages, field by field) and
services (audited, the dashboards' tallies kept in the same transaction):
- POST /meetings/ plans a meeting (MeetingForm, planning.meeting_plan). Idempotent on
  `client_key`: 201 when created, 200 and "replayed": true with the same meeting when
  the key had been used.
- POST /meetings/{id}/record/ records a planned meeting as held, or corrects a held
  one (AttendanceSheetForm, recording.meeting_record). `record_key` makes a retry
  harmless (200, "replayed": true); `version` is the meeting's version the client read:
  a stale one answers 409 and writes nothing.
- POST /meetings/held/ records a meeting held without a plan (recording.meeting_record_new),
  idempotent on `client_key` like planning.
Attendance lines name members of the meeting's list (the recorded list, else the
expected one); a member not on it answers 400 naming the line. Members not mentioned
keep the page's default (present; a bedridden member excused).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from activities.meetings import selectors
from activities.meetings.forms import AttendanceSheetForm, MeetingForm
from activities.meetings.models import (
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingMode,
    MeetingStatus,
)
from activities.meetings.services import errors, planning, recording
from activities.meetings.views import get_branch_for_user, get_meeting_for_user
from branches.access import VIEW_MEMBERS

from .base import ScopedReadViewSet
from .writes import KeyReused, WriteAnswer, body_pk, form_data, form_errors

# --- Reads ----------------------------------------------------------------------------


class MakeUpSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    made_up_on = serializers.DateField()
    delivered_by = serializers.CharField()
    material = serializers.CharField()


class AttendanceLineSerializer(serializers.Serializer):
    """One member on the meeting's list (selectors.RosterRow). Before attendance is
    recorded the list is the expected one and `status` is empty."""

    member = serializers.IntegerField(source="member_id")
    name = serializers.CharField()
    party_group = serializers.CharField(source="group")
    is_voting = serializers.BooleanField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    reason = serializers.CharField()
    make_up = MakeUpSerializer(allow_null=True)


class MeetingSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name")
    kind_display = serializers.CharField(source="get_kind_display")
    status_display = serializers.CharField(source="get_status_display")
    mode_display = serializers.CharField(source="get_mode_display")
    venue_name = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "branch",
            "branch_name",
            "kind",
            "kind_display",
            "party_group",
            "status",
            "status_display",
            "topic",
            "planned_on",
            "held_on",
            "start_time",
            "end_time",
            "venue",
            "venue_name",
            "venue_note",
            "mode",
            "mode_display",
            "host",
            "recorder",
            "lecturer",
            "is_election",
            "cancel_reason",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_venue_name(self, meeting) -> str:
        return meeting.venue.name if meeting.venue_id else ""


class MeetingDetailSerializer(MeetingSerializer):
    attendance = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "minutes", "decisions", "attendance"]
        read_only_fields = fields

    @extend_schema_field(AttendanceLineSerializer(many=True))
    def get_attendance(self, meeting) -> list[dict]:
        return AttendanceLineSerializer(selectors.meeting_roster(meeting), many=True).data


class MeetingWriteAnswer(MeetingDetailSerializer, WriteAnswer):
    class Meta(MeetingDetailSerializer.Meta):
        fields = [*MeetingDetailSerializer.Meta.fields, "replayed"]
        read_only_fields = fields


class MeetingFilter(filters.FilterSet):
    branch = filters.NumberFilter(field_name="branch_id", help_text=gettext_lazy("A branch's id."))
    kind = filters.ChoiceFilter(choices=MeetingKind.choices)
    status = filters.ChoiceFilter(choices=MeetingStatus.choices)
    planned_from = filters.DateFilter(field_name="planned_on", lookup_expr="gte")
    planned_to = filters.DateFilter(field_name="planned_on", lookup_expr="lte")
    held_from = filters.DateFilter(field_name="held_on", lookup_expr="gte")
    held_to = filters.DateFilter(field_name="held_on", lookup_expr="lte")
    updated_since = filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=gettext_lazy("Changed at or after (ISO 8601)."),
    )

    class Meta:
        model = Meeting
        fields = []


# --- Writes ---------------------------------------------------------------------------


class MeetingPlanSerializer(serializers.Serializer):
    """Plan a meeting: the fields of the page's form (MeetingForm), plus the branch and
    the client's idempotency key."""

    client_key = serializers.UUIDField(help_text=gettext_lazy("A fresh UUID per meeting planned."))
    branch = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    party_group = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Only for a party group meeting."),
    )
    topic = serializers.CharField(max_length=200)
    planned_on = serializers.DateField()
    start_time = serializers.TimeField(required=False, allow_null=True)
    end_time = serializers.TimeField(required=False, allow_null=True)
    venue = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    venue_note = serializers.CharField(max_length=120, required=False, allow_blank=True)
    mode = serializers.ChoiceField(choices=MeetingMode.choices, default=MeetingMode.ON_SITE)
    host = serializers.CharField(max_length=40, required=False, allow_blank=True)
    recorder = serializers.CharField(max_length=40, required=False, allow_blank=True)
    lecturer = serializers.CharField(max_length=60, required=False, allow_blank=True)
    is_election = serializers.BooleanField(default=False)


class AttendanceMarkSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    reason = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Why the member is excused (required for excused)."),
    )


class MeetingRecordSerializer(serializers.Serializer):
    """Record a planned meeting as held (or correct a held one): the page's recording
    screen (AttendanceSheetForm). Fields left out keep what the screen starts from."""

    record_key = serializers.UUIDField(help_text=gettext_lazy("A fresh UUID per recording."))
    version = serializers.IntegerField(
        min_value=1,
        help_text=gettext_lazy("The meeting's version as read; a stale one answers 409."),
    )
    topic = serializers.CharField(max_length=200, required=False)
    held_on = serializers.DateField(required=False)
    start_time = serializers.TimeField(required=False, allow_null=True)
    end_time = serializers.TimeField(required=False, allow_null=True)
    mode = serializers.ChoiceField(choices=MeetingMode.choices, required=False)
    host = serializers.CharField(max_length=40, required=False, allow_blank=True)
    recorder = serializers.CharField(max_length=40, required=False, allow_blank=True)
    minutes = serializers.CharField(required=False, allow_blank=True)
    decisions = serializers.CharField(required=False, allow_blank=True)
    attendance = AttendanceMarkSerializer(many=True, required=False, default=list)


class MeetingHeldSerializer(serializers.Serializer):
    """Record a meeting held without a plan, with its attendance."""

    client_key = serializers.UUIDField(help_text=gettext_lazy("A fresh UUID per meeting recorded."))
    branch = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    party_group = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    topic = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    start_time = serializers.TimeField(required=False, allow_null=True)
    end_time = serializers.TimeField(required=False, allow_null=True)
    mode = serializers.ChoiceField(choices=MeetingMode.choices, default=MeetingMode.ON_SITE)
    host = serializers.CharField(max_length=40, required=False, allow_blank=True)
    recorder = serializers.CharField(max_length=40, required=False, allow_blank=True)
    minutes = serializers.CharField(required=False, allow_blank=True)
    decisions = serializers.CharField(required=False, allow_blank=True)
    attendance = AttendanceMarkSerializer(many=True, required=False, default=list)


SHEET_FIELDS = (
    "topic",
    "held_on",
    "start_time",
    "end_time",
    "mode",
    "host",
    "recorder",
    "minutes",
    "decisions",
)


def _sheet_data(values: dict, roster, *, key, version=None) -> dict:
    """The recording screen's POST for these values: s<member>/r<member> per line.
    A line for a member not on the list, or a member twice, is refused by its index."""
    on_list = {row.member_id for row in roster}
    lines = values.get("attendance") or []
    errors, seen = [], set()
    for mark in lines:
        member = mark["member"]
        if member not in on_list:
            message = _("Member %(member)s is not on this meeting's list.")
            errors.append({"member": [message % {"member": member}]})
        elif member in seen:
            message = _("Member %(member)s is marked twice.")
            errors.append({"member": [message % {"member": member}]})
        else:
            errors.append({})
        seen.add(member)
    if any(errors):
        raise ValidationError({"attendance": errors})
    data = form_data({name: values[name] for name in SHEET_FIELDS if name in values})
    data["record_key"] = key
    if version is not None:
        data["version"] = version
    for mark in lines:
        data[f"s{mark['member']}"] = mark["status"]
        data[f"r{mark['member']}"] = mark["reason"]
    return data


def _sheet_errors(form, values) -> dict:
    """The recording screen's errors: a member's fields go to their attendance line."""
    index = {mark["member"]: i for i, mark in enumerate(values.get("attendance") or [])}
    errors, lines = {}, [{} for _ in index]
    for name, messages in form.errors.items():
        texts = [str(m) for m in messages]
        if name[:1] in "sr" and name[1:].isdigit() and int(name[1:]) in index:
            key = "status" if name[0] == "s" else "reason"
            lines[index[int(name[1:])]].setdefault(key, []).extend(texts)
        else:
            errors.setdefault("non_field_errors" if name == "__all__" else name, []).extend(texts)
    if any(lines):
        errors["attendance"] = lines
    return errors


def _group(branch, group_id):
    """The branch's party group of that id (400 on `party_group` otherwise)."""
    if group_id is None:
        return None
    group = branch.groups.filter(pk=group_id).first()
    if group is None:
        raise ValidationError({"party_group": [_("Choose a party group of this branch.")]})
    return group


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Meetings in the client's scope, newest first")),
    retrieve=extend_schema(summary=gettext_lazy("One meeting with its attendance")),
)
class MeetingViewSet(ScopedReadViewSet):
    """Meetings of the branches the client reads (can_view_members), newest first
    (planned date, then id). A meeting outside the scope answers 404. Writes need
    can_record_meeting over the branch: 403 inside the read scope without it, 404
    outside; 400 with the page's Chinese messages per field, nothing written."""

    queryset = Meeting.objects.select_related("branch", "venue").order_by("-planned_on", "-pk")
    read_capability = VIEW_MEMBERS
    filterset_class = MeetingFilter

    def get_serializer_class(self):
        if self.action == "retrieve":
            return MeetingDetailSerializer
        if self.action == "create":
            return MeetingPlanSerializer
        if self.action == "record":
            return MeetingRecordSerializer
        if self.action == "held":
            return MeetingHeldSerializer
        return MeetingSerializer

    def _answer(self, meeting, *, replayed: bool, created: bool):
        meeting = Meeting.objects.select_related("branch", "venue").get(pk=meeting.pk)
        data = MeetingDetailSerializer(meeting).data
        data["replayed"] = replayed
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary=gettext_lazy("Plan a meeting (idempotent on client_key)"),
        description=gettext_lazy(
            "201 with the meeting planned; the same client_key again answers 200 "
            "with the same meeting and replayed=true (nothing written). A key already used for "
            "another branch answers 409."
        ),
        request=MeetingPlanSerializer,
        responses={
            201: MeetingWriteAnswer,
            200: OpenApiResponse(
                MeetingWriteAnswer, gettext_lazy("The key had been used: the same meeting.")
            ),
        },
    )
    def create(self, request):
        branch = get_branch_for_user(request, body_pk(request.data, "branch"), write=True)
        plan = MeetingPlanSerializer(data=request.data)
        plan.is_valid(raise_exception=True)
        values = dict(plan.validated_data)
        key = values.pop("client_key")
        values.pop("branch")
        form = MeetingForm(form_data(values), branch=branch)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        meeting, created = planning.meeting_plan(
            branch=branch,
            details=form.details(),
            client_key=key,
            actor=request.user,
            request=request._request,
        )
        if meeting.branch_id != branch.pk:
            raise KeyReused
        return self._answer(meeting, replayed=not created, created=created)

    @extend_schema(
        summary=gettext_lazy("Record a planned meeting as held, with its attendance"),
        description=gettext_lazy(
            "Also corrects a held meeting. `version` is the meeting's version as "
            "read: a stale one answers 409 with the current version, nothing written. The same "
            "record_key again answers 200 with replayed=true. An attendance line for a member "
            "not on the meeting's list answers 400 at that line's index."
        ),
        request=MeetingRecordSerializer,
        responses={
            200: MeetingWriteAnswer,
            409: OpenApiResponse(
                description=gettext_lazy("Saved by someone else since `version`.")
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        meeting = get_meeting_for_user(request, pk, write=True)
        sheet = MeetingRecordSerializer(data=request.data)
        sheet.is_valid(raise_exception=True)
        values = sheet.validated_data
        roster = selectors.meeting_roster(meeting)
        defaults = {name: getattr(meeting, name) for name in SHEET_FIELDS if name != "held_on"}
        defaults["held_on"] = meeting.held_on or min(meeting.planned_on, timezone.localdate())
        values = {**defaults, **values}
        data = _sheet_data(values, roster, key=values["record_key"], version=values["version"])
        form = AttendanceSheetForm(data, roster=roster, meeting=meeting)
        if not form.is_valid():
            raise ValidationError(_sheet_errors(form, values))
        try:
            result = recording.meeting_record(
                meeting=meeting,
                details=form.details(),
                marks=form.marks(),
                record_key=form.cleaned_data["record_key"],
                actor=request.user,
                request=request._request,
                version=form.cleaned_data["version"],
            )
        except errors.MeetingConflict as error:
            answer = {"detail": str(error), "code": error.code, "version": error.meeting.version}
            return Response(answer, status=status.HTTP_409_CONFLICT)
        except errors.RecordingError as error:
            answer = {"detail": str(error), "code": error.code}
            return Response(answer, status=status.HTTP_409_CONFLICT)
        return self._answer(result.meeting, replayed=result.replayed, created=False)

    @extend_schema(
        summary=gettext_lazy("Record a meeting held without a plan (idempotent on client_key)"),
        description=gettext_lazy(
            "201 with the meeting and its attendance (the expected list on the day "
            "held; members not mentioned are present, a bedridden member excused). The same "
            "client_key again answers 200 with replayed=true."
        ),
        request=MeetingHeldSerializer,
        responses={
            201: MeetingWriteAnswer,
            200: OpenApiResponse(
                MeetingWriteAnswer, gettext_lazy("The key had been used: the same meeting.")
            ),
        },
    )
    @action(detail=False, methods=["post"])
    def held(self, request):
        branch = get_branch_for_user(request, body_pk(request.data, "branch"), write=True)
        sheet = MeetingHeldSerializer(data=request.data)
        sheet.is_valid(raise_exception=True)
        values = sheet.validated_data
        kind, group = values["kind"], _group(branch, values.get("party_group"))
        if kind == MeetingKind.GROUP and group is None:
            raise ValidationError({"party_group": [_("Choose the party group that meets.")]})
        if kind != MeetingKind.GROUP and group is not None:
            raise ValidationError(
                {"party_group": [_("Only a party group meeting has a party group.")]}
            )
        roster = selectors.expected_members(
            branch_id=branch.pk,
            kind=kind,
            party_group_id=group.pk if group else None,
            day=values["held_on"],
        )
        data = _sheet_data(values, roster, key=values["client_key"])
        form = AttendanceSheetForm(data, roster=roster)
        if not form.is_valid():
            raise ValidationError(_sheet_errors(form, values))
        details = form.details()
        details.update(kind=kind, party_group=group, venue=branch.venue)
        result = recording.meeting_record_new(
            branch=branch,
            details=details,
            marks=form.marks(),
            client_key=form.cleaned_data["record_key"],
            actor=request.user,
            request=request._request,
        )
        if result.meeting.branch_id != branch.pk or result.meeting.status != MeetingStatus.HELD:
            raise KeyReused
        return self._answer(result.meeting, replayed=result.replayed, created=not result.replayed)
