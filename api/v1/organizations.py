"""GET /api/v1/organizations/: the organisation tree (city -> district -> street ->
community) as the structure pages show it.

A client sees the nodes inside its scope (VIEW_STRUCTURE over their subtree, as
`branches.views.org_detail`); an ancestor above its top node is not listed and its
detail is 404, but a node's detail names its ancestors, as the page's breadcrumbs do
(named, not linked).
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers

from branches.access import VIEW_STRUCTURE
from branches.models import Level, Organization

from .base import ScopedReadViewSet
from .params import IdFilter, NeedsCapability


class OrganizationSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display")
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    depth = serializers.SerializerMethodField(
        help_text=gettext_lazy("0 for the city, 1 for a district, 2 a street, 3 a community.")
    )

    class Meta:
        model = Organization
        fields = ["id", "code", "name", "level", "level_display", "parent", "depth"]

    def get_depth(self, node) -> int:
        return node.path.count("/") - 1


class AncestorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    level_display = serializers.CharField(source="get_level_display")


class OrganizationDetailSerializer(OrganizationSerializer):
    ancestors = serializers.SerializerMethodField()

    class Meta(OrganizationSerializer.Meta):
        fields = [*OrganizationSerializer.Meta.fields, "ancestors"]

    @extend_schema_field(AncestorSerializer(many=True))
    def get_ancestors(self, node):
        ancestors = Organization.objects.filter(path__in=node.ancestor_paths).order_by("path")
        return AncestorSerializer(ancestors, many=True).data


class OrganizationFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    parent = IdFilter(field_name="parent_id")

    class Meta:
        model = Organization
        fields = ["level", "parent"]


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Organisation nodes in the client's scope")),
    retrieve=extend_schema(summary=gettext_lazy("One organisation node and its ancestors' names")),
)
class OrganizationViewSet(NeedsCapability, ScopedReadViewSet):
    list_capabilities = (VIEW_STRUCTURE,)
    queryset = Organization.objects.order_by("path")
    read_capability = VIEW_STRUCTURE
    filterset_class = OrganizationFilter

    def get_serializer_class(self):
        if self.action == "retrieve":
            return OrganizationDetailSerializer
        return OrganizationSerializer
