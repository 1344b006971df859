"""GET /api/v1/figures/organizations/<id>/ and /api/v1/figures/branches/<id>/: the
dashboard's figures of a node or a branch for a period, read exactly as the dashboard
pages read them (`reports.cache.node_figures`: the cached figures, one query when warm;
`reports.selectors.build.branch_dashboard` for a branch). VIEW_DASHBOARD over the node or
branch, 404 outside.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from activities.meetings.compliance import CellStatus
from branches.access import VIEW_DASHBOARD, get_for_user
from branches.models import Branch, Level, Organization
from reports import cache
from reports.selectors import build
from reports.selectors.figures import Figures
from reports.selectors.structure import WARNING_TEXTS, warning_label

from .base import ApiViewMixin
from .params import (
    PERIOD_PARAMETERS,
    PeriodOutSerializer,
    TallySerializer,
    parse_period,
    period_out,
)


class WarningCountSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    branches = serializers.IntegerField()


class CellCountsSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    behind = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    excused = serializers.IntegerField()


class FiguresSerializer(serializers.Serializer):
    """Every number of a dashboard unit (reports.selectors.figures.Figures); rates are
    fractions (0.875), null when there is nothing to divide by."""

    residents = serializers.IntegerField(help_text=gettext_lazy("active members living here"))
    registered = serializers.IntegerField(
        help_text=gettext_lazy("... registered with their community")
    )
    unregistered = serializers.IntegerField()
    registration_coverage = serializers.FloatField(allow_null=True)
    branches = serializers.IntegerField(help_text=gettext_lazy("branches active today"))
    pilots = serializers.IntegerField()
    dissolved = serializers.IntegerField()
    branches_in_period = serializers.IntegerField()
    branches_behind = serializers.IntegerField(
        help_text=gettext_lazy("behind on some meeting kind")
    )
    cadence_compliance = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("met / (met + behind)")
    )
    cells = CellCountsSerializer()
    attendance = TallySerializer()
    home_members = serializers.IntegerField()
    inactive_members = serializers.IntegerField(
        help_text=gettext_lazy("no participation in three months")
    )
    branches_with_warnings = serializers.IntegerField()
    warnings = WarningCountSerializer(many=True)
    care_needs = serializers.IntegerField()
    care_covered = serializers.IntegerField()
    care_overdue = serializers.IntegerField(
        help_text=gettext_lazy("needs past their visit interval")
    )
    care_coverage = serializers.FloatField(allow_null=True)


def figures_data(total: Figures) -> dict:
    return {
        "residents": total.residents,
        "registered": total.registered,
        "unregistered": total.unregistered,
        "registration_coverage": total.coverage,
        "branches": total.branches,
        "pilots": total.pilots,
        "dissolved": total.dissolved,
        "branches_in_period": total.branches_in_period,
        "branches_behind": total.branches_behind,
        "cadence_compliance": total.compliance,
        "cells": {
            "met": total.cells[CellStatus.MET],
            "behind": total.cells[CellStatus.BEHIND],
            "in_progress": total.cells[CellStatus.IN_PROGRESS],
            "excused": total.cells[CellStatus.EXCUSED],
        },
        "attendance": total.tally,
        "home_members": total.home_members,
        "inactive_members": total.inactive,
        "branches_with_warnings": total.warned_branches,
        "warnings": [
            {"code": code, "label": warning_label(code), "branches": total.warnings[code]}
            for code in WARNING_TEXTS
        ],
        "care_needs": total.care_needs,
        "care_covered": total.care_covered,
        "care_overdue": total.care_overdue,
        "care_coverage": total.care_coverage,
    }


class UnitSerializer(serializers.Serializer):
    """A sub-unit of the node (a child node, a branch on a community's dashboard, or the
    branches sitting on the node itself: level "direct", id 0)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField()
    figures = FiguresSerializer()


class SubjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField()
    level_display = serializers.CharField()


class NodeFiguresSerializer(serializers.Serializer):
    subject = SubjectSerializer()
    period = PeriodOutSerializer()
    figures = FiguresSerializer()
    units = UnitSerializer(many=True)


class BranchFiguresSerializer(serializers.Serializer):
    subject = SubjectSerializer()
    period = PeriodOutSerializer()
    figures = FiguresSerializer()


class NodeFiguresView(ApiViewMixin, APIView):
    @extend_schema(
        summary=gettext_lazy("Dashboard figures of an organisation node for a period"),
        parameters=PERIOD_PARAMETERS,
        responses=NodeFiguresSerializer,
    )
    def get(self, request, pk):
        node = get_for_user(request, Organization.objects.all(), pk, read=VIEW_DASHBOARD)
        choice = parse_period(request)
        dashboard = cache.node_figures(node, choice, today=timezone.localdate())
        data = {
            "subject": {
                "id": node.pk,
                "name": node.name,
                "level": node.level,
                "level_display": str(Level(node.level).label),
            },
            "period": period_out(choice),
            "figures": figures_data(dashboard.total),
            "units": [
                {"id": u.key, "name": u.name, "level": u.level, "figures": figures_data(u.figures)}
                for u in dashboard.units
            ],
        }
        return Response(NodeFiguresSerializer(data).data)


class BranchFiguresView(ApiViewMixin, APIView):
    @extend_schema(
        summary=gettext_lazy("Dashboard figures of one branch for a period"),
        parameters=PERIOD_PARAMETERS,
        responses=BranchFiguresSerializer,
    )
    def get(self, request, pk):
        branch = get_for_user(
            request, Branch.objects.select_related("organization"), pk, read=VIEW_DASHBOARD
        )
        choice = parse_period(request)
        dashboard = build.branch_dashboard(branch, choice, today=timezone.localdate())
        data = {
            "subject": {
                "id": branch.pk,
                "name": branch.name,
                "level": "branch",
                "level_display": str(Branch._meta.verbose_name),
            },
            "period": period_out(choice),
            "figures": figures_data(dashboard.total),
        }
        return Response(BranchFiguresSerializer(data).data)
