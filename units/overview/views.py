"""The unit overview (原单位视图): the list of units one may look at, and one unit's
retirees per district, street and community. Read-only; counts, never names."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from branches.access import VIEW_UNIT_WORK, get_for_user, require_capability
from branches.models import Organization, OriginalUnit

from . import exports, selectors
from .charts import area_chart
from .forms import OverviewForm


def _scope(request):
    scope = require_capability(request, VIEW_UNIT_WORK)
    if not selectors.reaches_units(scope):
        raise Http404
    return scope


def unit_list(request):
    scope = _scope(request)
    today = timezone.localdate()
    form = OverviewForm(request.GET, today=today)
    units = selectors.visible_units(request.user)
    # A liaison (no area over a district) goes straight to their one unit.
    if not selectors.covers_districts(scope) and len(units) == 1:
        return redirect("unit_overview:unit", pk=units[0].pk)
    lines = selectors.unit_lines(units, form.period(), today)
    return render(
        request,
        "units/overview/list.html",
        {"form": form, "lines": lines, "period": form.period()},
    )


def unit_page(request, pk):
    scope = _scope(request)
    unit = get_for_user(
        request, OriginalUnit.objects.select_related("district"), pk, read=VIEW_UNIT_WORK
    )
    today = timezone.localdate()
    form = OverviewForm(request.GET, today=today)
    period = form.period()
    node = None
    if area := form.value("area"):
        node = Organization.objects.filter(pk=area, level__in=selectors.DRILLABLE).first()
        if node is None or not selectors.may_drill(scope, unit, node):
            raise Http404
    table = selectors.area_table(unit, period, today, node=node, scope=scope)
    if form.value("format") == "xlsx":
        return exports.area_xlsx(request, unit, table, period)
    chart = area_chart(
        _("Registered share and attendance rate"),
        (pgettext("overview chart", "Registered"), pgettext("overview chart", "Attendance")),
        (
            (exports.area_label(line), (line.figures.registered_share, line.figures.tally.rate))
            for line in table.lines
        ),
    )
    trail = []
    if node is not None:
        trail = list(
            Organization.objects.filter(
                path__in=Organization.path_prefixes(node.path)[1:-1]
            ).order_by("path")
        )
    return render(
        request,
        "units/overview/unit.html",
        {
            "unit": unit,
            "form": form,
            "period": period,
            "table": table,
            "chart": chart,
            "node": node,
            "trail": trail,
        },
    )
