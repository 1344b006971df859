"""Care (党内关怀) and activity pages. Thin: resolve through the access helpers, validate
with a form, call the care services or selectors, render or redirect.

Reading needs can_view_members over the member (or the branch / node); recording care
needs can_record_care; activities are recorded with can_record_meeting. Health and care
notes are shown only where the user has can_view_sensitive over the member.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.query import query_int
from branches.access import (
    RECORD_CARE,
    RECORD_MEETING,
    VIEW_MEMBERS,
    get_for_user,
    require_capability,
    scope_for,
)
from branches.models import Branch, Level, Organization
from branches.pages import form_page
from members.models import Member

from . import exports, selectors, services
from .forms import (
    CareNeedForm,
    CarerForm,
)
from .models import Activity, CareNeed, Carer, CareVisit, FollowUp
from .selectors import CareGate

PAGE_SIZE = 25

# --- Access helpers: every object a care view touches comes through one of these --------


def get_member_for_care(request, pk, *, write=False):
    """The member, if the user may read their care (404 otherwise: a unit liaison sees
    a member's status, not their care); with `write`, 403 without can_record_care."""
    member = get_for_user(
        request,
        Member.objects.select_related("community", "home_branch", "party_group"),
        pk,
        read=VIEW_MEMBERS,
    )
    gate = CareGate(request.user)
    if not gate.reads(member):
        raise Http404
    if write and not gate.can_record(member):
        raise PermissionDenied
    return member


def get_visit_for_user(request, pk, *, write=False):
    return get_for_user(
        request,
        CareVisit.objects.select_related(
            "member", "member__community", "member__home_branch", "meeting", "recorded_by"
        ),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_CARE if write else None,
    )


def get_follow_up_for_user(request, pk, *, write=False):
    return get_for_user(
        request,
        FollowUp.objects.select_related(
            "visit", "visit__member", "visit__member__community", "owner"
        ),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_CARE if write else None,
    )


def get_carer_for_user(request, pk):
    return get_for_user(
        request,
        Carer.objects.select_related("need", "need__member"),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_CARE,
    )


def get_branch_for_care(request, pk, *, write: str | None = None):
    return get_for_user(
        request,
        Branch.objects.select_related("organization"),
        pk,
        read=VIEW_MEMBERS,
        write=write,
    )


def get_activity_for_user(request, pk, *, write=False):
    return get_for_user(
        request,
        Activity.objects.select_related("branch", "organization", "created_by"),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_MEETING if write else None,
    )


def _next_or(request, default: str) -> str:
    """Back to the list the user came from (a local URL only), else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _with_notes(follow_ups, gate: CareGate):
    """Mark which follow-ups' matters the user may read (no queries)."""
    for item in follow_ups:
        item.show_notes = gate.sensitive(item.visit.member)
    return follow_ups


def _care_form(request, form, save, *, template="activities/care/form.html", **kwargs):
    """The care pages' forms: branches.pages.form_page, a CareError shown on the form."""
    return form_page(
        request, form, save, template=template, refusals=(services.CareError,), **kwargs
    )


def _year(request, today) -> int:
    return query_int(request.GET.get("year"), 2000, today.year + 1) or today.year


def _years(today):
    return list(range(today.year, today.year - 5, -1))


# --- A carer's own work -----------------------------------------------------------------


def my_care(request):
    """Who to visit this week (the members I am a carer of, overdue first), my open
    follow-ups, and the areas and branches whose coverage I may open."""
    scope = require_capability(request, RECORD_CARE)
    today = timezone.localdate()
    gate = CareGate(request.user)
    due = selectors.decorate(list(selectors.carer_week(request.user, today)[:200]), today, gate)
    mine = _with_notes(list(selectors.open_follow_ups(request.user, today, mine=True)[:50]), gate)
    nodes = Organization.objects.filter(
        path__in=scope.paths(VIEW_MEMBERS),
        level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY],
    ).order_by("path")
    branches = Branch.objects.filter(pk__in=scope.branch_ids(RECORD_CARE)).order_by("name")
    return render(
        request,
        "activities/care/my_care.html",
        {
            "due": due,
            "follow_ups": mine,
            "nodes": list(nodes),
            "branches": list(branches),
            "week_end": selectors.week_end(today),
            "today": today,
        },
    )


def review_list(request):
    """Members whose data suggests a need but who have no care record."""
    require_capability(request, RECORD_CARE)
    today = timezone.localdate()
    page = Paginator(selectors.to_review(request.user, today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for member in page.object_list:
        member.review_reasons = selectors.review_reasons(member, today)
    return render(request, "activities/care/review_list.html", {"page": page, "today": today})


# --- Coverage ---------------------------------------------------------------------------


def org_coverage(request, pk):
    """A district, street or community: coverage per community and per home branch,
    then the overdue members, the longest without a visit first."""
    node = get_for_user(request, Organization.objects.all(), pk, read=VIEW_MEMBERS)
    today = timezone.localdate()
    group = request.GET.get("by", "community" if node.level != Level.COMMUNITY else "branch")
    if group not in selectors.GROUPS:
        group = "branch"
    needs = selectors.open_needs(request.user).filter(member__community__path__startswith=node.path)
    follow_ups = FollowUp.objects.visible_to(request.user).filter(
        visit__member__community__path__startswith=node.path
    )
    rows = selectors.coverage(needs, follow_ups, group=group, today=today)
    page = Paginator(selectors.overdue_needs(needs, today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    selectors.decorate(page.object_list, today, CareGate(request.user))
    return render(
        request,
        "activities/care/coverage.html",
        {
            "node": node,
            "rows": rows,
            "total": selectors.coverage_total(rows),
            "group": group,
            "page": page,
            "today": today,
        },
    )


def branch_care(request, branch_pk):
    """One branch: its coverage, who is overdue, who falls due this week, follow-ups
    past due and the latest visits."""
    branch = get_branch_for_care(request, branch_pk)
    today = timezone.localdate()
    gate = CareGate(request.user)
    needs = selectors.open_needs(request.user).filter(member__home_branch=branch)
    follow_ups = FollowUp.objects.visible_to(request.user).filter(visit__member__home_branch=branch)
    rows = selectors.coverage(needs, follow_ups, group="branch", today=today)
    overdue = selectors.decorate(list(selectors.overdue_needs(needs, today)[:100]), today, gate)
    overdue_ids = {n.pk for n in overdue}
    this_week = [
        n
        for n in selectors.decorate(
            list(selectors.visits_due(needs, today=today, until=selectors.week_end(today))[:200]),
            today,
            gate,
        )
        if n.pk not in overdue_ids
    ]
    late = _with_notes(
        list(
            selectors.open_follow_ups(request.user, today, past_due_only=True).filter(
                visit__member__home_branch=branch
            )[:50]
        ),
        gate,
    )
    recent = list(
        CareVisit.objects.visible_to(request.user)
        .filter(member__home_branch=branch)
        .select_related("member")
        .order_by("-visited_on", "-pk")[:20]
    )
    return render(
        request,
        "activities/care/branch_care.html",
        {
            "branch": branch,
            "row": selectors.coverage_total(rows),
            "overdue": overdue,
            "this_week": this_week,
            "late": late,
            "recent": recent,
            "can_record": scope_for(request.user).covers_branch(branch, RECORD_CARE),
            "today": today,
            "year": today.year,
        },
    )


def follow_up_list(request):
    """Open follow-ups in the user's scope, the most overdue first (or only mine, or
    only those past due)."""
    require_capability(request, VIEW_MEMBERS)
    today = timezone.localdate()
    mine = request.GET.get("mine") == "1"
    late = request.GET.get("late") == "1"
    qs = selectors.open_follow_ups(request.user, today, past_due_only=late, mine=mine)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_notes(page.object_list, CareGate(request.user))
    return render(
        request,
        "activities/care/follow_up_list.html",
        {"page": page, "mine": mine, "late": late, "today": today},
    )


# --- One member -------------------------------------------------------------------------


def member_care(request, pk):
    """The member's care record, carers, visits with follow-ups, activities and
    service hours."""
    member = get_member_for_care(request, pk)
    today = timezone.localdate()
    gate = CareGate(request.user)
    care = selectors.member_care(member, today)
    return render(
        request,
        "activities/care/member_care.html",
        {
            "member": member,
            "care": care,
            "show_notes": gate.sensitive(member),
            "can_record": gate.can_record(member),
            "today": today,
        },
    )


def need_edit(request, pk):
    member = get_member_for_care(request, pk, write=True)
    need = CareNeed.objects.filter(member=member).first()
    sensitive = CareGate(request.user).sensitive(member)
    initial = selectors.suggested_need(member, timezone.localdate()) if need is None else {}
    form = CareNeedForm(request.POST or None, instance=need, initial=initial, sensitive=sensitive)
    back = reverse("care:member", args=[member.pk])
    return _care_form(
        request,
        form,
        lambda data: services.need_save(
            member=member, data=form.data_for_service(), actor=request.user, request=request
        ),
        done=_("Care record saved for %(name)s.") % {"name": member.name},
        success_url=back,
        member=member,
        title=_("Care record") if need else _("New care record"),
        back=back,
    )


def need_delete(request, pk):
    member = get_member_for_care(request, pk, write=True)
    need = CareNeed.objects.filter(member=member).first()
    if need is None:
        raise Http404
    if request.method == "POST":
        services.need_delete(need=need, actor=request.user, request=request)
        messages.success(request, _("Care record removed."))
        return redirect("care:member", pk=member.pk)
    return render(
        request,
        "activities/care/confirm.html",
        {
            "title": _("Remove the care record"),
            "question": _(
                "Remove the care record of %(name)s and its carers? The visits stay. "
                "If care has ended, record the end date instead."
            )
            % {"name": member.name},
            "button": _("Remove"),
            "back": reverse("care:member", args=[member.pk]),
        },
    )


def carer_add(request, pk):
    member = get_member_for_care(request, pk, write=True)
    need = CareNeed.objects.filter(member=member).first()
    if need is None:
        messages.error(request, _("Record the member's care need first."))
        return redirect("care:need_edit", pk=member.pk)
    form = CarerForm(request.POST or None, user=request.user)
    back = reverse("care:member", args=[member.pk])
    return _care_form(
        request,
        form,
        lambda data: services.carer_add(
            need=need, carer=form.carer(), actor=request.user, request=request
        ),
        done=_("Carer added."),
        success_url=back,
        member=member,
        title=_("Add a carer"),
        back=back,
    )


def carer_remove(request, pk):
    carer = get_carer_for_user(request, pk)
    member = carer.need.member
    if request.method == "POST":
        services.carer_remove(carer=carer, actor=request.user, request=request)
        messages.success(request, _("Carer removed."))
        return redirect("care:member", pk=member.pk)
    return render(
        request,
        "activities/care/confirm.html",
        {
            "title": _("Remove a carer"),
            "question": _("Remove %(carer)s as carer of %(name)s?")
            % {"carer": carer.name, "name": member.name},
            "button": _("Remove"),
            "back": reverse("care:member", args=[member.pk]),
        },
    )


# --- The register -----------------------------------------------------------------------


def register(request, branch_pk):
    """关怀走访登记簿 of a branch for a year: HTML print, PDF and Excel from the same
    rows; care notes masked unless asked for (`full=1`) by a user who may read them."""
    branch = get_branch_for_care(request, branch_pk)
    today = timezone.localdate()
    year = _year(request, today)
    fmt = request.GET.get("format", "html")
    fmt = fmt if fmt in {"html", "pdf", "xlsx"} else "html"
    return exports.register(
        request,
        branch,
        year,
        fmt,
        reveal=request.GET.get("full") == "1",
        page={"years": _years(today), "year": year, "branch": branch},
    )
