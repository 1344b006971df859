"""Dashboards for organisation nodes and branches, their drill-down lists and exports.

Every page needs can_view_dashboard on the node (or branch) it shows: outside the scope
is 404. Drill-down lists of people or meetings also start from `visible_to(user)`.
Nothing here writes, but the exports leave an audit entry each.
"""

from __future__ import annotations

import datetime
from urllib.parse import parse_qsl, urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.meetings.models import Meeting
from activities.meetings.periods import Period, Span
from activities.year_end.selectors import area_summary
from branches.access import (
    VIEW_COMPLETENESS,
    VIEW_DASHBOARD,
    get_for_user,
    require_capability,
    scope_for,
)
from branches.models import Branch, BranchKind, Level, Organization
from members.models import Member
from rollout.completeness import selectors as completeness

from . import cache, charts, exports
from .selectors import build
from .selectors.dashboard import excusals_of, quorum_notes_of
from .selectors.drilldown import MEMBER_LISTS, held_meetings, member_list
from .selectors.figures import sort_units
from .selectors.periods import (
    INACTIVE_MONTHS,
    annual_return_year,
    choose_period,
    months_before,
)
from .selectors.structure import WARNING_TEXTS, warning_label

HEAT_PAGE = 25  # branches per heat map page (each has seven rows, one per kind)
LIST_PAGE = 50


def get_node_for_user(request, pk) -> Organization:
    return get_for_user(
        request, Organization.objects.select_related("parent"), pk, read=VIEW_DASHBOARD
    )


def get_branch_for_user(request, pk) -> Branch:
    return get_for_user(
        request, Branch.objects.select_related("organization"), pk, read=VIEW_DASHBOARD
    )


def _today():
    return timezone.localdate()


def index(request):
    """The user's top dashboard nodes, or straight into the only one."""
    scope = require_capability(request, VIEW_DASHBOARD)
    roots = list(Organization.objects.filter(path__in=scope.paths(VIEW_DASHBOARD)))
    if len(roots) == 1:
        return redirect("reports:org_dashboard", pk=roots[0].pk)
    return render(request, "reports/index.html", {"roots": roots})


def _breadcrumbs(request, path: str):
    """Ancestors of a node (or of a branch's organisation): named always, linked to their
    dashboard only when inside the scope. One query."""
    scope = scope_for(request.user)
    return [
        (ancestor, scope.covers_path(ancestor.path, VIEW_DASHBOARD))
        for ancestor in Organization.objects.filter(path__in=Organization.path_prefixes(path))
    ]


def _years(today) -> list[int]:
    return list(range(today.year, today.year - 6, -1))


def _period_context(choice, today):
    return {
        "choice": choice,
        "span": choice.span,
        "periods": Period.choices,
        "years": _years(today),
        "month_numbers": range(1, 13),
        "quarter_numbers": range(1, 5),
        "previous_query": choice.query(choice.previous),
        "next_query": choice.query(choice.next),
        "period_query": choice.query(),
    }


def _charts(dashboard, *, unit_url, month_url):
    trend = charts.column_chart(
        _("Attendance rate by month"),
        [(m.month.short_label, m.rate, month_url(m.month)) for m in dashboard.trend],
    )
    units = [u for u in dashboard.units if u.level != "direct"]
    coverage = charts.bar_chart(
        _("Registration coverage"),
        [(u.name, u.figures.coverage, unit_url(u)) for u in units],
    )
    compliance = charts.bar_chart(
        _("Cadence compliance"),
        [(u.name, u.figures.compliance, unit_url(u)) for u in units],
    )
    return {"trend_chart": trend, "coverage_chart": coverage, "compliance_chart": compliance}


def _q(url: str, **params) -> str:
    return f"{url}?{urlencode(params)}"


def _node_links(pk: int, choice) -> dict:
    members = reverse("reports:org_members", args=[pk])
    branches = reverse("reports:org_branches", args=[pk])
    period = dict(parse_qsl(choice.query()))
    links = {which: _q(members, list=which) for which in MEMBER_LISTS}
    links.update(
        branches=_q(branches, list="active"),
        pilots=_q(branches, list="pilot"),
        dissolved=_q(branches, list="dissolved"),
        behind=_q(branches, list="behind", **period),
        warnings=_q(branches, list="warning"),
        meetings=_q(reverse("reports:org_meetings", args=[pk]), **period),
        care=reverse("care:coverage", args=[pk]),
    )
    return links


def _unit_links(unit, choice) -> dict:
    if unit.level == "direct":
        return {}
    if unit.level == "branch":
        members = reverse("reports:branch_members", args=[unit.key])
        return {
            "inactive": _q(members, list="inactive"),
            "behind": unit.url,
            "warnings": unit.url,
            "care": reverse("care:branch", args=[unit.key]),
        }
    return _node_links(unit.key, choice)


def _shared_context(dashboard, choice, today, links, *, subject, is_branch):
    total = dashboard.total
    branches = links.get("branches_base")
    return {
        "dashboard": dashboard,
        "total": total,
        "subject": subject,
        "is_branch": is_branch,
        "links": links,
        "export_url": "reports:branch_export" if is_branch else "reports:org_export",
        "kind_links": [
            (label, n, _q(branches, list="active", kind=value) if branches else "")
            for value, label, n in dashboard.kind_rows
        ],
        "warning_links": [
            (code, label, n, _q(branches, list="warning", code=code) if branches else "")
            for code, label, n in dashboard.warning_rows
        ],
        "heat_lines": dashboard.heat_lines,
        "behind_rows": dashboard.behind_first,
        # A callable: the template evaluates it only where the page shows these lines'
        # notes (the paginated page sets its own).
        "excusals": lambda: dashboard.excusals,
        "quorum_notes": lambda: dashboard.quorum_notes,
        **_period_context(choice, today),
    }


COLUMNS = [
    # (sort key, label, numeric, on a community's dashboard too)
    ("name", gettext_lazy("Name"), False, True),
    ("residents", gettext_lazy("Living here"), True, False),
    ("coverage", gettext_lazy("Registration coverage"), True, False),
    ("branches", gettext_lazy("Branches"), True, True),
    ("compliance", gettext_lazy("Compliance rate"), True, True),
    ("behind", gettext_lazy("Branches behind"), True, True),
    ("attendance", gettext_lazy("Attendance rate"), True, True),
    ("inactive", gettext_lazy("No participation (3 months)"), True, True),
    ("warnings", gettext_lazy("Branches with warnings"), True, True),
    ("care", gettext_lazy("Care visits on time"), True, True),
    ("overdue", gettext_lazy("Overdue for a visit"), True, True),
]


def _columns(request, sort: str, *, is_community: bool):
    columns = []
    for key, label, numeric, on_community in COLUMNS:
        if is_community and not on_community:
            continue
        query = request.GET.copy()
        query["sort"] = f"-{key}" if sort == key else key
        aria = ""
        if sort == key:
            aria = "ascending"
        elif sort == f"-{key}":
            aria = "descending"
        columns.append(
            {
                "key": key,
                "label": label,
                "numeric": numeric,
                "href": f"?{query.urlencode()}#comparison-title",
                "aria_sort": aria,
            }
        )
    return columns


def _node_page_context(request, node, choice, dashboard, today):
    period_query = choice.query()

    def unit_url(unit):
        if unit.level == "branch":
            return f"{reverse('reports:branch_dashboard', args=[unit.key])}?{period_query}"
        if unit.level == "direct":
            return ""
        return f"{reverse('reports:org_dashboard', args=[unit.key])}?{period_query}"

    def month_url(month: Span):
        meetings = reverse("reports:org_meetings", args=[node.pk])
        return f"{meetings}?{period_query}&month={month.start:%Y-%m}"

    for unit in dashboard.units:
        unit.url = unit_url(unit)
        unit.links = _unit_links(unit, choice)
    for point in dashboard.trend:
        point.url = month_url(point.month)
    links = _node_links(node.pk, choice)
    links["branches_base"] = reverse("reports:org_branches", args=[node.pk])
    sort = request.GET.get("sort", "")
    return {
        "node": node,
        "is_community": node.level == Level.COMMUNITY,
        "columns": _columns(request, sort, is_community=node.level == Level.COMMUNITY),
        **_shared_context(dashboard, choice, today, links, subject=node, is_branch=False),
        **_charts(dashboard, unit_url=unit_url, month_url=month_url),
    }


def org_dashboard(request, pk):
    node = get_node_for_user(request, pk)
    today = _today()
    # The rendered body is kept under the figures' version (reports.cache.page_key),
    # read before the figures so that a body is never older than its key.
    key = cache.page_key(node, request, today)
    body = cache.cached_page(key)
    if body is None:
        context = _org_dashboard_context(request, node, today)
        body = render_to_string("reports/includes/org_dashboard_body.html", context, request)
        cache.keep_page(key, body)
    return render(request, "reports/org_dashboard.html", {"node": node, "body": body})


def _org_dashboard_context(request, node, today) -> dict:
    choice = choose_period(request.GET, today=today)
    dashboard = cache.node_figures(node, choice, today=today)
    units, sort = sort_units(dashboard.units, request.GET.get("sort", ""))
    dashboard.units = units
    only_behind = request.GET.get("heat") == "behind"
    heat = dashboard.behind if only_behind else dashboard.heat_lines
    heat_page = Paginator(heat, HEAT_PAGE).get_page(request.GET.get("hpage"))
    heat_lines = cache.with_heat_cells(dashboard, list(heat_page.object_list))
    context = _node_page_context(request, node, choice, dashboard, today)
    context.update(
        {
            "breadcrumbs": _breadcrumbs(request, node.path)[:-1],
            "sort": sort,
            "heat_page": heat_page,
            "heat_lines": heat_lines,
            "excusals": excusals_of(heat_lines),
            "quorum_notes": quorum_notes_of(heat_lines),
            "only_behind": only_behind,
            "annual_year": annual_return_year(today),
            # Per request, not in the cached figures (see area_summary): one query.
            "year_end": area_summary(request.user, node, today),
            "completeness": _completeness(request, node, today),
        }
    )
    return context


def _completeness(request, node, today):
    """数据完整率 of the node, for a reader who may open its list (the body is kept per
    grants): kept under the node's figures version (rollout.completeness)."""
    if not scope_for(request.user).covers_path(node.path, VIEW_COMPLETENESS):
        return None
    return {
        "figures": completeness.cached_area(node, today).total,
        "url": f"{reverse('completeness:overview')}?area={node.pk}",
    }


def org_export(request, pk, table):
    node = get_node_for_user(request, pk)
    if table not in exports.NODE_TABLES:
        raise Http404
    today = _today()
    choice = choose_period(request.GET, today=today)
    dashboard = cache.node_figures(node, choice, today=today)
    if table == "heatmap":  # every branch's cells (the page computes only its own)
        cache.with_heat_cells(dashboard, list(dashboard.heat_lines))
    dashboard.units, _sort = sort_units(dashboard.units, request.GET.get("sort", ""))
    return exports.table_response(request, node, dashboard, table)


def org_pdf(request, pk):
    node = get_node_for_user(request, pk)
    today = _today()
    choice = choose_period(request.GET, today=today)
    dashboard = cache.node_figures(node, choice, today=today)
    context = _node_page_context(request, node, choice, dashboard, today)
    return exports.dashboard_pdf(
        request, node, context, span=choice.span, fill=cache.with_heat_cells
    )


def branch_dashboard(request, pk):
    branch = get_branch_for_user(request, pk)
    today = _today()
    # Kept like a node's page, under its street's (or district's) figures version.
    key = cache.page_key(branch.organization, request, today, branch=branch)
    body = cache.cached_page(key)
    if body is None:
        choice = choose_period(request.GET, today=today)
        dashboard = build.branch_dashboard(branch, choice, today=today)
        context = _branch_page_context(branch, choice, dashboard, today)
        context["breadcrumbs"] = _breadcrumbs(request, branch.organization.path)
        body = render_to_string("reports/includes/branch_dashboard_body.html", context, request)
        cache.keep_page(key, body)
    return render(request, "reports/branch_dashboard.html", {"branch": branch, "body": body})


def _branch_page_context(branch, choice, dashboard, today):
    members = reverse("reports:branch_members", args=[branch.pk])
    links = {
        "placed": _q(members, list="placed"),
        "inactive": _q(members, list="inactive"),
        "meetings": reverse("activities:meeting_list", args=[branch.pk]),
        "behind": _q(
            reverse("activities:branch_compliance", args=[branch.pk]), year=choice.span.start.year
        ),
        "warnings": reverse("branches:branch_detail", args=[branch.pk]),
        "roster": _q(reverse("members:roster"), branch=branch.pk),
        "care": reverse("care:branch", args=[branch.pk]),
    }
    return {
        "branch": branch,
        "line": dashboard.lines[0] if dashboard.lines else None,
        **_shared_context(dashboard, choice, today, links, subject=branch, is_branch=True),
        **_charts(dashboard, unit_url=lambda unit: "", month_url=lambda month: ""),
    }


def branch_export(request, pk, table):
    branch = get_branch_for_user(request, pk)
    if table not in exports.BRANCH_TABLES:
        raise Http404
    today = _today()
    choice = choose_period(request.GET, today=today)
    dashboard = build.branch_dashboard(branch, choice, today=today)
    return exports.table_response(request, branch, dashboard, table)


def branch_pdf(request, pk):
    branch = get_branch_for_user(request, pk)
    today = _today()
    choice = choose_period(request.GET, today=today)
    dashboard = build.branch_dashboard(branch, choice, today=today)
    context = _branch_page_context(branch, choice, dashboard, today)
    return exports.dashboard_pdf(request, branch, context, span=choice.span)


# --- Drill-down lists ------------------------------------------------------------------

MEMBER_LIST_TITLES = {
    "residents": gettext_lazy("Active members living here"),
    "registered": gettext_lazy("Registered with their community"),
    "unregistered": gettext_lazy("Not yet registered with their community"),
    "placed": gettext_lazy("Members placed in these branches"),
    "inactive": gettext_lazy("No participation in the last three months"),
}


def _member_list_page(request, *, subject, members, back_url, today):
    which = request.GET.get("list", "residents")
    if which not in MEMBER_LISTS:
        which = "residents"
    qs = member_list(members, which, today=today)
    page = Paginator(qs, LIST_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/member_list.html",
        {
            "subject": subject,
            "which": which,
            "title": MEMBER_LIST_TITLES[which],
            "page": page,
            "back_url": back_url,
            "since": months_before(today, INACTIVE_MONTHS),
        },
    )


def org_members(request, pk):
    node = get_node_for_user(request, pk)
    which = request.GET.get("list", "residents")
    members = Member.objects.visible_to(request.user)
    if which in ("placed", "inactive"):
        members = members.filter(home_branch__organization__path__startswith=node.path)
    else:
        members = members.filter(community__path__startswith=node.path)
    return _member_list_page(
        request,
        subject=node,
        members=members,
        back_url=reverse("reports:org_dashboard", args=[node.pk]),
        today=_today(),
    )


def branch_members(request, pk):
    branch = get_branch_for_user(request, pk)
    members = Member.objects.visible_to(request.user).filter(home_branch=branch)
    return _member_list_page(
        request,
        subject=branch,
        members=members,
        back_url=reverse("reports:branch_dashboard", args=[branch.pk]),
        today=_today(),
    )


BRANCH_LISTS = ("active", "pilot", "dissolved", "behind", "warning")


def org_branches(request, pk):
    """Branches behind a figure: by kind, pilots, dissolved; behind on the cadence in the
    period; with a structure warning (?code= one of them)."""
    node = get_node_for_user(request, pk)
    today = _today()
    choice = choose_period(request.GET, today=today)
    which = request.GET.get("list", "active")
    if which not in BRANCH_LISTS:
        which = "active"
    kind = request.GET.get("kind", "")
    kind = kind if kind in BranchKind.values else ""
    code = request.GET.get("code", "")
    code = code if code in WARNING_TEXTS else ""
    lines = None
    if which in ("behind", "warning"):
        dashboard = cache.node_figures(node, choice, today=today)
        lines = dashboard.behind if which == "behind" else dashboard.warned
        if code:
            lines = [line for line in lines if code in line.warnings]
        branches = lines
    else:
        qs = Branch.objects.filter(organization__path__startswith=node.path).select_related(
            "organization"
        )
        if which == "dissolved":
            qs = qs.filter(dissolved_on__isnull=False, dissolved_on__lte=today)
        else:
            qs = qs.active(today)
            if which == "pilot":
                qs = qs.filter(is_pilot=True)
        if kind:
            qs = qs.filter(kind=kind)
        branches = qs.order_by("organization__path", "name", "pk")
    page = Paginator(branches, LIST_PAGE).get_page(request.GET.get("page"))
    if lines is not None:  # cached lines name their branch only: load this page's
        cache.load_branches(page.object_list)
    titles = {
        "active": _("Branches"),
        "pilot": _("Pilot branches"),
        "dissolved": _("Dissolved branches"),
        "behind": _("Branches behind on the cadence"),
        "warning": _("Branches with structure warnings"),
    }
    title = titles[which]
    if kind:
        title = f"{title} · {BranchKind(kind).label}"
    if code:
        title = f"{title} · {warning_label(code)}"
    return render(
        request,
        "reports/branch_list.html",
        {
            "node": node,
            "which": which,
            "title": title,
            "page": page,
            "lines": lines is not None,
            **_period_context(choice, today),
        },
    )


def _parse_month(value) -> Span | None:
    try:
        day = datetime.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None
    return Span(day, Period.MONTH) if 2000 <= day.year <= 2100 else None


def org_meetings(request, pk):
    """Held meetings behind an attendance figure: one month (?month=2026-03) or the
    chosen period, with each meeting's tally."""
    node = get_node_for_user(request, pk)
    today = _today()
    choice = choose_period(request.GET, today=today)
    month = _parse_month(request.GET.get("month"))
    meetings = Meeting.objects.visible_to(request.user).filter(
        branch__organization__path__startswith=node.path
    )
    qs = held_meetings(meetings, month, choice.span)
    page = Paginator(qs, LIST_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/meeting_list.html",
        {
            "node": node,
            "page": page,
            "window": month or choice.span,
            **_period_context(choice, today),
        },
    )
