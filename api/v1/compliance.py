"""GET /api/v1/compliance/: cadence compliance per branch x kind for a period, from the
selector the compliance pages and dashboards use (`activities.meetings.compliance`:
five queries for a page of branches, plus one for their attendance from the monthly
summary the dashboards read).

Branches: those the client reads meetings of (VIEW_MEMBERS, as the branch's compliance
page), existing at some point in the period, in tree order. `?organization=` narrows
to a node's subtree, resolved as the area's compliance page resolves it (VIEW_DASHBOARD:
404 outside); `?branch=` to one branch (VIEW_MEMBERS: 404 outside).
"""

from __future__ import annotations

from django import forms
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError

from activities.meetings import compliance
from activities.meetings.models import BranchMonthTally, MeetingKind
from activities.meetings.selectors import Tally
from activities.meetings.summaries import TALLY_FIELDS
from branches.access import VIEW_DASHBOARD, VIEW_MEMBERS, get_for_user
from branches.models import Branch, Organization

from .base import ApiViewMixin
from .params import (
    MAX_PK,
    PERIOD_PARAMETERS,
    AsciiIntegerField,
    PeriodOutSerializer,
    TallySerializer,
    parse_period,
    period_out,
    require_any,
)


class CellSerializer(serializers.Serializer):
    """One period of the kind's rule inside the requested period."""

    start = serializers.DateField(source="span.start")
    end = serializers.DateField(source="span.end")
    status = serializers.CharField()
    status_display = serializers.CharField(source="status_label")
    required = serializers.IntegerField()
    held = serializers.IntegerField()
    counted = serializers.IntegerField()
    excused = serializers.SerializerMethodField()
    quorum_notes = serializers.ListField(child=serializers.CharField())

    def get_excused(self, cell) -> bool:
        return cell.excusal is not None


class KindSerializer(serializers.Serializer):
    """One meeting kind over the period (compliance.Summary: the worst cell's status)."""

    kind = serializers.CharField()
    kind_display = serializers.CharField(source="label")
    status = serializers.CharField()
    status_display = serializers.CharField(source="status_label")
    required = serializers.IntegerField()
    counted = serializers.IntegerField()
    held = serializers.IntegerField()
    periods = CellSerializer(source="cells", many=True)


class BranchRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    organization = serializers.IntegerField(source="organization_id")
    organization_name = serializers.CharField(source="organization.name")


class ComplianceRowSerializer(serializers.Serializer):
    branch = BranchRefSerializer()
    period = PeriodOutSerializer()
    kinds = KindSerializer(many=True)
    attendance = TallySerializer()


def period_tallies(branch_ids: list[int], span) -> dict[int, Tally]:
    """Attendance of the branches' held meetings in the period, summed from the monthly
    summary the meeting services keep (BranchMonthTally, as the dashboards read it): the
    same numbers as `compliance.branch_rates` over the source rows (a period is whole
    months), one small query instead of an aggregate over every attendance row."""
    rows = (
        BranchMonthTally.objects.filter(
            branch_id__in=branch_ids, month__gte=span.start, month__lte=span.end
        )
        .values("branch_id")
        .annotate(**{name: Sum(name) for name in TALLY_FIELDS})
        .order_by()
    )
    return {row.pop("branch_id"): Tally(**row) for row in rows}


class ComplianceFilterForm(forms.Form):
    organization = AsciiIntegerField(min_value=1, max_value=MAX_PK, required=False)
    branch = AsciiIntegerField(min_value=1, max_value=MAX_PK, required=False)
    kind = forms.ChoiceField(choices=MeetingKind.choices, required=False)


class ComplianceViewSet(ApiViewMixin, viewsets.GenericViewSet):
    serializer_class = ComplianceRowSerializer

    def get_queryset(self):
        return Branch.objects.none()  # the schema's model; list() builds its own

    @extend_schema(
        summary=gettext_lazy("Cadence compliance per branch and meeting kind for a period"),
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter(
                "organization", int, description=gettext_lazy("a node: its subtree only")
            ),
            OpenApiParameter("branch", int, description=gettext_lazy("one branch only")),
            OpenApiParameter(
                "kind", str, enum=MeetingKind.values, description=gettext_lazy("one kind")
            ),
        ],
    )
    def list(self, request):
        require_any(request, VIEW_MEMBERS)
        choice = parse_period(request)
        form = ComplianceFilterForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        span = choice.span
        branches = (
            Branch.objects.visible_to(request.user, VIEW_MEMBERS)
            .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=span.start))
            .filter(Q(established_on__isnull=True) | Q(established_on__lte=span.end))
            .select_related("organization")
            .order_by("organization__path", "name", "pk")
        )
        if pk := form.cleaned_data["organization"]:
            node = get_for_user(request, Organization.objects.all(), pk, read=VIEW_DASHBOARD)
            branches = branches.filter(organization__path__startswith=node.path)
        if pk := form.cleaned_data["branch"]:
            branch = get_for_user(request, Branch.objects.all(), pk, read=VIEW_MEMBERS)
            branches = branches.filter(pk=branch.pk)
        kinds = [form.cleaned_data["kind"]] if form.cleaned_data["kind"] else MeetingKind.values
        page = self.paginate_queryset(branches)
        today = timezone.localdate()
        cells = compliance.compliance(page, span.start, span.end, today=today)
        rates = period_tallies([b.pk for b in page], span)
        period = period_out(choice)
        rows = [
            {
                "branch": branch,
                "period": period,
                "kinds": [
                    compliance.Summary(kind, cells[branch.pk].get(kind, [])) for kind in kinds
                ],
                "attendance": rates.get(branch.pk) or Tally(),
            }
            for branch in page
        ]
        return self.get_paginated_response(ComplianceRowSerializer(rows, many=True).data)
