"""GET /api/v1/branches/: branches as the structure pages list them
(`branches.selectors.branch_list`: VIEW_STRUCTURE scope, the party group count), with
their kind, current committee term, member count and structure warnings computed as
the dashboards compute them (`reports.selectors.area.structure_of` / `branch_facts`:
three queries for a whole page, or for every branch the `has_warnings` filter judges).
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers

from branches.access import VIEW_STRUCTURE
from branches.models import Branch, BranchKind, Organization
from branches.selectors import branch_list
from members.models import CommitteeTerm
from reports.selectors.area import branch_facts, structure_of
from reports.selectors.structure import warning_label

from .base import ScopedReadViewSet
from .params import FlagFilter, IdFilter, NeedsCapability


class CommitteeStatus:
    COMMITTEE = "committee"
    SECRETARY_ONLY = "secretary_only"
    NONE = "none"


COMMITTEE_LABELS = {
    CommitteeStatus.COMMITTEE: _("Branch committee"),
    CommitteeStatus.SECRETARY_ONLY: _("Secretary only"),
    CommitteeStatus.NONE: _("No current term"),
}


def decorate(branches: list[Branch], today) -> list[Branch]:
    """Put `members`, `full_members`, `warnings` (codes) on each branch: three queries
    for any number of them."""
    structure = structure_of([b.pk for b in branches], today)
    for branch in branches:
        branch.members, branch.full_members, branch.warnings = branch_facts(
            branch, structure, today
        )
    return branches


def current_terms(today):
    """Each branch's current committee term(s), latest first (one prefetch query)."""
    return Prefetch(
        "terms",
        queryset=CommitteeTerm.objects.current(today).order_by("-starts_on", "-pk"),
        to_attr="current_terms",
    )


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class TermSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    has_committee = serializers.BooleanField()


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    level_display = serializers.CharField(source="get_level_display")


class BranchSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    organization = OrganizationRefSerializer()
    group_count = serializers.IntegerField()
    committee_status = serializers.SerializerMethodField()
    committee_status_display = serializers.SerializerMethodField()
    current_term = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(source="members")
    full_member_count = serializers.IntegerField(source="full_members")
    warnings = serializers.SerializerMethodField()
    is_dissolved = serializers.BooleanField()

    class Meta:
        model = Branch
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "organization",
            "is_pilot",
            "work_brand",
            "established_on",
            "dissolved_on",
            "is_dissolved",
            "group_count",
            "member_count",
            "full_member_count",
            "committee_status",
            "committee_status_display",
            "current_term",
            "warnings",
        ]

    @staticmethod
    def _term(branch):
        terms = getattr(branch, "current_terms", [])
        return terms[0] if terms else None

    def get_committee_status(self, branch) -> str:
        term = self._term(branch)
        if term is None:
            return CommitteeStatus.NONE
        return CommitteeStatus.COMMITTEE if term.has_committee else CommitteeStatus.SECRETARY_ONLY

    def get_committee_status_display(self, branch) -> str:
        return str(COMMITTEE_LABELS[self.get_committee_status(branch)])

    @extend_schema_field(TermSerializer(allow_null=True))
    def get_current_term(self, branch):
        term = self._term(branch)
        return TermSerializer(term).data if term else None

    @extend_schema_field(WarningSerializer(many=True))
    def get_warnings(self, branch):
        return [{"code": code, "label": warning_label(code)} for code in branch.warnings]


class BranchFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=BranchKind.choices)
    organization = IdFilter(method="in_subtree", label=_("organisation (and below)"))
    has_warnings = FlagFilter(method="warned", label=_("has warnings"))
    include_dissolved = FlagFilter(method="dissolved_too", label=_("include dissolved branches"))

    class Meta:
        model = Branch
        fields = ["kind", "organization", "has_warnings", "include_dissolved"]

    def filter_queryset(self, queryset):
        # Active branches only (as the pages' list), unless asked: applied before the
        # warnings filter, which judges what is left.
        if not self.form.cleaned_data.get("include_dissolved"):
            queryset = queryset.active()
        # Declared last but one, `has_warnings` judges what the other filters leave.
        return super().filter_queryset(queryset)

    def in_subtree(self, queryset, name, value):
        path = Organization.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(organization__path__startswith=path)

    def warned(self, queryset, name, value):
        """Branches with (or without) a structure warning: the warnings of every branch
        the other filters leave, from one set of three aggregate queries."""
        if value is None:
            return queryset
        today = timezone.localdate()
        ids = queryset.order_by().values("pk")
        candidates = list(Branch.objects.filter(pk__in=ids).only("pk", "kind", "dissolved_on"))
        structure = structure_of(ids, today)
        ids = [b.pk for b in candidates if bool(branch_facts(b, structure, today)[2]) == value]
        return queryset.filter(pk__in=ids)

    def dissolved_too(self, queryset, name, value):
        return queryset  # applied in filter_queryset


@extend_schema_view(
    list=extend_schema(
        summary=_("Branches in the client's scope, with committee status and warnings")
    ),
    retrieve=extend_schema(summary=_("One branch")),
)
class BranchViewSet(NeedsCapability, ScopedReadViewSet):
    list_capabilities = (VIEW_STRUCTURE,)
    serializer_class = BranchSerializer
    filterset_class = BranchFilter
    read_capability = VIEW_STRUCTURE

    def get_queryset(self):
        today = timezone.localdate()
        return (
            branch_list(self.request.user, active=False)
            .prefetch_related(current_terms(today))
            .order_by("organization__path", "name", "pk")
        )

    def filter_queryset(self, queryset):
        # The list's filters (active branches by default) are not a detail's business.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return decorate(page, timezone.localdate()) if page is not None else None

    def get_object(self):
        branch = super().get_object()
        return decorate([branch], timezone.localdate())[0]
