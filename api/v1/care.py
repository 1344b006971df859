"""/api/v1/care-visits/ and /api/v1/care-coverage/: care (党内关怀).

Scope as on the care pages (activities.care.views): reading a visit needs
can_view_members over the member (community of residence or home branch), recording one
can_record_care (outside the read scope 404, inside it without the capability 403).
The visit's notes (what happened, problems raised, a follow-up's matter) hold health
and family details: shown only where the client has can_view_sensitive over the member,
"***" otherwise, exactly as the visit page (selectors.CareGate).

Coverage is the care pages' figure (selectors.coverage), a figure of today: per
community or home branch under an organisation node, or for one branch.

POST /care-visits/ records a visit through the page's form (CareVisitForm) and service
(services.visit_record, audited, the dashboards' last-visit dates kept). Idempotent on
`client_key` like the page: 201 when created, 200 and "replayed": true with the same
visit when the key had been used.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from activities.care import selectors, services
from activities.care.forms import CareVisitForm
from activities.care.models import CareVisit, CareVisitKind, FollowUp
from activities.care.selectors import CareGate
from activities.care.views import get_branch_for_care, get_member_for_care
from branches.access import VIEW_MEMBERS, get_for_user
from branches.models import Level, Organization
from members.masking import HIDDEN

from .base import ApiViewMixin, ScopedReadViewSet
from .writes import KeyReused, WriteAnswer, body_pk, form_data, form_errors

# --- Visits: reads ----------------------------------------------------------------------


# How coverage rows are grouped: per home branch or per community of residence.
COVERAGE_GROUPS = [
    ("branch", gettext_lazy("per home branch")),
    ("community", gettext_lazy("per community of residence")),
]


class FollowUpSerializer(serializers.ModelSerializer):
    matter = serializers.SerializerMethodField()
    state_display = serializers.CharField(source="get_state_display")

    class Meta:
        model = FollowUp
        fields = ["id", "matter", "owner_name", "due_on", "state", "state_display", "solved_on"]
        read_only_fields = fields

    def get_matter(self, item) -> str:
        return item.matter if self.context["notes_shown"] else HIDDEN


class CareVisitSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name")
    branch = serializers.IntegerField(source="member.home_branch_id", allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display")
    made_up = serializers.SerializerMethodField(
        help_text=gettext_lazy("A 送学上门 that closes the member's absence from `meeting`.")
    )
    notes_shown = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    matters_raised = serializers.SerializerMethodField()

    class Meta:
        model = CareVisit
        fields = [
            "id",
            "member",
            "member_name",
            "branch",
            "kind",
            "kind_display",
            "visited_on",
            "occasion",
            "visitors",
            "meeting",
            "made_up",
            "notes_shown",
            "summary",
            "matters_raised",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _shown(self, visit) -> bool:
        return self.context["gate"].sensitive(visit.member)

    def get_made_up(self, visit) -> bool:
        return visit.make_up_id is not None

    def get_notes_shown(self, visit) -> bool:
        return self._shown(visit)

    def get_summary(self, visit) -> str:
        return visit.summary if self._shown(visit) else HIDDEN

    def get_matters_raised(self, visit) -> str:
        return visit.matters_raised if self._shown(visit) else HIDDEN


class CareVisitDetailSerializer(CareVisitSerializer):
    follow_ups = serializers.SerializerMethodField()

    class Meta(CareVisitSerializer.Meta):
        fields = [*CareVisitSerializer.Meta.fields, "follow_ups"]
        read_only_fields = fields

    @extend_schema_field(FollowUpSerializer(many=True))
    def get_follow_ups(self, visit) -> list[dict]:
        context = {"notes_shown": self._shown(visit)}
        return FollowUpSerializer(visit.follow_ups.all(), many=True, context=context).data


class CareVisitWriteAnswer(CareVisitDetailSerializer, WriteAnswer):
    class Meta(CareVisitDetailSerializer.Meta):
        fields = [*CareVisitDetailSerializer.Meta.fields, "replayed"]
        read_only_fields = fields


class CareVisitFilter(filters.FilterSet):
    member = filters.NumberFilter(field_name="member_id", help_text=gettext_lazy("A member's id."))
    branch = filters.NumberFilter(
        field_name="member__home_branch_id", help_text=gettext_lazy("The members' home branch id.")
    )
    kind = filters.ChoiceFilter(choices=CareVisitKind.choices)
    visited_from = filters.DateFilter(field_name="visited_on", lookup_expr="gte")
    visited_to = filters.DateFilter(field_name="visited_on", lookup_expr="lte")
    updated_since = filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=gettext_lazy("Changed at or after (ISO 8601)."),
    )

    class Meta:
        model = CareVisit
        fields = []


# --- Visits: the write --------------------------------------------------------------------


class CareVisitRecordSerializer(serializers.Serializer):
    """Record a visit: the fields of the page's form (CareVisitForm), plus the member and
    the client's idempotency key. The notes may be written only by a client that may
    read them; a follow-up is added when `follow_up_matter` is given."""

    client_key = serializers.UUIDField(help_text=gettext_lazy("A fresh UUID per visit recorded."))
    member = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=CareVisitKind.choices)
    visited_on = serializers.DateField()
    meeting = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "For a study delivered at home: the held meeting the member missed."
        ),
    )
    occasion = serializers.CharField(max_length=20, required=False, allow_blank=True)
    visitors = serializers.CharField(max_length=120)
    summary = serializers.CharField(required=False, allow_blank=True)
    matters_raised = serializers.CharField(required=False, allow_blank=True)
    follow_up_matter = serializers.CharField(max_length=300, required=False, allow_blank=True)
    follow_up_owner = serializers.CharField(max_length=60, required=False, allow_blank=True)
    follow_up_due = serializers.DateField(required=False, allow_null=True)


NOTE_FIELDS = ("summary", "matters_raised")


def _visit_queryset():
    return CareVisit.objects.select_related(
        "member", "member__community", "member__home_branch"
    ).order_by("-visited_on", "-pk")


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Care visits in the client's scope, newest first")),
    retrieve=extend_schema(summary=gettext_lazy("One care visit with its follow-ups")),
)
class CareVisitViewSet(ScopedReadViewSet):
    """Care visits of the members the client reads (can_view_members over the member's
    community or home branch), newest first (date, then id). Notes are "***" unless the
    client has can_view_sensitive over the member (notes_shown). Recording needs
    can_record_care: 403 inside the read scope without it, 404 outside."""

    queryset = _visit_queryset()
    read_capability = VIEW_MEMBERS
    filterset_class = CareVisitFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("follow_ups", FollowUp.objects.order_by("due_on", "pk"))
            )
        return queryset

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "gate": CareGate(self.request.user)}

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CareVisitDetailSerializer
        if self.action == "create":
            return CareVisitRecordSerializer
        return CareVisitSerializer

    @extend_schema(
        summary=gettext_lazy("Record a care visit (idempotent on client_key)"),
        description=gettext_lazy(
            "201 with the visit (and its follow-up when follow_up_matter is given); "
            "the same client_key again answers 200 with replayed=true. A 送学上门 (home_study) "
            "naming a held meeting the member missed makes up their absence."
        ),
        request=CareVisitRecordSerializer,
        responses={
            201: CareVisitWriteAnswer,
            200: OpenApiResponse(
                CareVisitWriteAnswer, gettext_lazy("The key had been used: the same visit.")
            ),
        },
    )
    def create(self, request):
        member = get_member_for_care(request, body_pk(request.data, "member"), write=True)
        visit_in = CareVisitRecordSerializer(data=request.data)
        visit_in.is_valid(raise_exception=True)
        values = dict(visit_in.validated_data)
        key = values.pop("client_key")
        values.pop("member")
        sensitive = CareGate(request.user).sensitive(member)
        if not sensitive:
            refused = [name for name in NOTE_FIELDS if values.get(name)]
            if refused:
                message = _("You may not read or write this member's care notes.")
                raise ValidationError({name: [message] for name in refused})
        form = CareVisitForm(
            form_data(values),
            meetings=selectors.make_up_choices(member, today=timezone.localdate()),
            user=request.user,
            sensitive=sensitive,
        )
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        try:
            visit, created = services.visit_record(
                member=member,
                data=form.visit_data(),
                follow_up=form.follow_up_data(),
                client_key=key,
                actor=request.user,
                request=request._request,
            )
        except services.CareError as error:
            raise ValidationError({"meeting": [str(error)]}) from None
        if visit.member_id != member.pk:
            raise KeyReused
        visit = self.get_queryset().prefetch_related("follow_ups").get(pk=visit.pk)
        data = CareVisitDetailSerializer(visit, context=self.get_serializer_context()).data
        data["replayed"] = not created
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# --- Coverage --------------------------------------------------------------------------


class CoverageRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key", allow_null=True)
    name = serializers.CharField()
    needs = serializers.IntegerField(help_text=gettext_lazy("Members with an open care need."))
    covered = serializers.IntegerField(
        help_text=gettext_lazy("Visited in person within their interval.")
    )
    overdue = serializers.IntegerField()
    waiting = serializers.IntegerField(
        help_text=gettext_lazy("New needs still inside their first interval.")
    )
    follow_ups_past_due = serializers.IntegerField()
    share = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("covered / needs (0 to 1).")
    )


class CoverageSerializer(serializers.Serializer):
    node = serializers.IntegerField(allow_null=True)
    branch = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    on = serializers.DateField(help_text=gettext_lazy("Coverage is a figure of this day (today)."))
    by = serializers.ChoiceField(choices=COVERAGE_GROUPS)
    rows = CoverageRowSerializer(many=True)
    total = CoverageRowSerializer()


class CoverageQuery(serializers.Serializer):
    by = serializers.ChoiceField(choices=COVERAGE_GROUPS, required=False)


def _coverage(*, needs, follow_ups, group, today, node=None, branch=None, name=""):
    rows = selectors.coverage(needs, follow_ups, group=group, today=today)
    data = {
        "node": node,
        "branch": branch,
        "name": name,
        "on": today,
        "by": group,
        "rows": rows,
        "total": selectors.coverage_total(rows),
    }
    return Response(CoverageSerializer(data).data)


class CareCoverageNodeView(ApiViewMixin, APIView):
    """Care coverage under an organisation node the client reads (404 otherwise)."""

    @extend_schema(
        summary=gettext_lazy(
            "Care coverage under an organisation node, per community or home branch"
        ),
        parameters=[
            OpenApiParameter(
                "by",
                str,
                description=gettext_lazy(
                    "`community`: rows per community of residence (default above a "
                    "community); `branch`: rows per home branch (default for a community)."
                ),
            )
        ],
        responses=CoverageSerializer,
    )
    def get(self, request, pk):
        node = get_for_user(request, Organization.objects.all(), pk, read=VIEW_MEMBERS)
        query = CoverageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        group = query.validated_data.get("by") or (
            "branch" if node.level == Level.COMMUNITY else "community"
        )
        needs = selectors.open_needs(request.user).filter(
            member__community__path__startswith=node.path
        )
        follow_ups = FollowUp.objects.visible_to(request.user).filter(
            visit__member__community__path__startswith=node.path
        )
        return _coverage(
            needs=needs,
            follow_ups=follow_ups,
            group=group,
            today=timezone.localdate(),
            node=node.pk,
            name=node.name,
        )


class CareCoverageBranchView(ApiViewMixin, APIView):
    """Care coverage of one branch's members (home branch), as the branch's care page."""

    @extend_schema(
        summary=gettext_lazy("Care coverage of one branch's members"), responses=CoverageSerializer
    )
    def get(self, request, pk):
        branch = get_branch_for_care(request, pk)
        needs = selectors.open_needs(request.user).filter(member__home_branch=branch)
        follow_ups = FollowUp.objects.visible_to(request.user).filter(
            visit__member__home_branch=branch
        )
        return _coverage(
            needs=needs,
            follow_ups=follow_ups,
            group="branch",
            today=timezone.localdate(),
            branch=branch.pk,
            name=branch.name,
        )
