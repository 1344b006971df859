"""Compliance pages (a branch, an area), the cadence rules and the excusals."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from branches.access import (
    APPROVE_EXCUSALS,
    EDIT_RULES,
    VIEW_DASHBOARD,
    VIEW_MEMBERS,
    get_for_user,
    require_capability,
    scope_for,
)
from branches.models import Branch, Organization

from . import compliance
from .forms import (
    CadenceRuleForm,
    ExcusalForm,
    PeriodChoiceForm,
    can_edit_default_rules,
)
from .models import (
    CadenceRule,
    Excusal,
    MeetingKind,
)
from .periods import Period, quarter_span, year_span
from .services import cadence
from .views import (
    _years,
    get_branch_for_user,
    get_rule_for_user,
)

# --- Compliance ------------------------------------------------------------------------


def branch_compliance(request, branch_pk):
    """One branch, one year: every kind's periods, held vs required."""
    branch = get_branch_for_user(request, branch_pk)
    year, _quarter = PeriodChoiceForm(request.GET).period(default_quarter=False)
    span = year_span(year)
    today = timezone.localdate()
    cells = compliance.compliance([branch], span.start, span.end, today=today)[branch.pk]
    rows = [(value, label, cells.get(value, [])) for value, label in MeetingKind.choices]
    scope = scope_for(request.user)
    excusals = list(branch.excusals.filter(period_start__year=year))
    return render(
        request,
        "activities/compliance_branch.html",
        {
            "branch": branch,
            "year": year,
            "rows": rows,
            "rate": compliance.branch_rates([branch.pk], span.start, span.end).get(branch.pk),
            "excusals": excusals,
            "can_excuse": scope.covers_branch(branch, APPROVE_EXCUSALS),
            "years": _years(today),
        },
    )


def org_compliance(request, pk):
    """Branches of a community (or any node below the user's reach) x kinds, for a
    quarter or a year. One aggregate of meetings for the page's branches."""
    node = get_for_user(request, Organization.objects.all(), pk, read=VIEW_DASHBOARD)
    year, quarter = PeriodChoiceForm(request.GET).period(default_quarter=True)
    span = quarter_span(year, quarter) if quarter else year_span(year)
    today = timezone.localdate()
    branches = (
        Branch.objects.filter(organization__path__startswith=node.path)
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=span.start))
        .filter(Q(established_on__isnull=True) | Q(established_on__lte=span.end))
        .select_related("organization")
        .order_by("organization__path", "name")
    )
    page = Paginator(branches, 50).get_page(request.GET.get("page"))
    branch_list = list(page.object_list)
    cells = compliance.compliance(branch_list, span.start, span.end, today=today)
    rates = compliance.branch_rates([b.pk for b in branch_list], span.start, span.end)
    rows = []
    for branch in branch_list:
        summaries = [
            compliance.Summary(kind, cells[branch.pk].get(kind, [])) for kind in MeetingKind.values
        ]
        rows.append((branch, summaries, rates.get(branch.pk)))
    return render(
        request,
        "activities/compliance_overview.html",
        {
            "node": node,
            "page": page,
            "rows": rows,
            "kinds": MeetingKind.choices,
            "span": span,
            "year": year,
            "quarter": quarter,
            "years": _years(today),
        },
    )


# --- Cadence rules and excusals --------------------------------------------------------


def rule_list(request):
    require_capability(request, EDIT_RULES)
    rules = (
        CadenceRule.objects.visible_to(request.user)
        | CadenceRule.objects.filter(district__isnull=True)
    ).select_related("district", "updated_by")
    return render(
        request,
        "activities/rule_list.html",
        {
            "rules": rules.order_by("district__path", "kind", "-valid_from"),
            "can_edit_defaults": can_edit_default_rules(request.user),
            "periods": dict(Period.choices),
        },
    )


def rule_create(request):
    require_capability(request, EDIT_RULES)
    form = CadenceRuleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        cadence.cadence_rule_save(
            rule=form.save(commit=False), before=None, actor=request.user, request=request
        )
        messages.success(request, _("Cadence rule saved."))
        return redirect("activities:rule_list")
    return render(
        request, "activities/rule_form.html", {"form": form, "title": _("New cadence rule")}
    )


def rule_edit(request, pk):
    rule = get_rule_for_user(request, pk)
    before = audit.snapshot(rule, cadence.RULE_FIELDS)
    form = CadenceRuleForm(request.POST or None, instance=rule, user=request.user)
    if request.method == "POST" and form.is_valid():
        cadence.cadence_rule_save(
            rule=form.save(commit=False), before=before, actor=request.user, request=request
        )
        messages.success(request, _("Cadence rule saved."))
        return redirect("activities:rule_list")
    return render(
        request, "activities/rule_form.html", {"form": form, "title": _("Edit cadence rule")}
    )


def excusal_list(request):
    require_capability(request, APPROVE_EXCUSALS)
    excusals = (
        Excusal.objects.visible_to(request.user, APPROVE_EXCUSALS)
        .select_related("branch", "branch__organization", "created_by")
        .order_by("-period_start", "branch__name")
    )
    page = Paginator(excusals, 30).get_page(request.GET.get("page"))
    return render(request, "activities/excusal_list.html", {"page": page})


def excusal_create(request, branch_pk):
    branch = get_for_user(
        request,
        Branch.objects.select_related("organization"),
        branch_pk,
        read=VIEW_MEMBERS,
        write=APPROVE_EXCUSALS,
    )
    form = ExcusalForm(request.POST or None, branch=branch)
    if request.method == "POST" and form.is_valid():
        excusal = form.save(commit=False)
        excusal.branch = branch
        cadence.excusal_create(excusal=excusal, actor=request.user, request=request)
        messages.success(request, _("Excusal saved."))
        return redirect(
            reverse("activities:branch_compliance", args=[branch.pk])
            + f"?year={excusal.period_start.year}"
        )
    return render(
        request,
        "activities/excusal_form.html",
        {"form": form, "branch": branch, "title": _("Excuse the branch for a period")},
    )


def excusal_delete(request, pk):
    excusal = get_for_user(
        request,
        Excusal.objects.select_related("branch"),
        pk,
        read=VIEW_MEMBERS,
        write=APPROVE_EXCUSALS,
    )
    if request.method == "POST":
        cadence.excusal_delete(excusal=excusal, actor=request.user, request=request)
        messages.success(request, _("Excusal removed."))
        return redirect("activities:excusal_list")
    return render(request, "activities/excusal_delete.html", {"excusal": excusal})
