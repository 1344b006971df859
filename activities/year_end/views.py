"""Year-end pages (年终): the branch's checklist, planning and recording the talks, the
组织生活会's records, the appraisal of each member, and 整改; the area's list.

Reading needs can_view_members over the branch; every form needs can_record_meeting
(403 for readers, 404 outside the scope). Talk notes and criticism texts show only with
can_view_sensitive over the branch.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.query import query_int
from activities.care.models import CareVisit
from branches.access import RECORD_MEETING, VIEW_MEMBERS, get_for_user
from branches.models import Branch, Organization
from branches.pages import form_page

from . import selectors, services
from .forms import (
    AppraisalForm,
    CloseForm,
    ItemForm,
    LifeMeetingForm,
    PairForm,
    SuggestForm,
    TalkForm,
)
from .models import Appraisal, RectificationItem, TalkPair, YearEndCycle

FORM = "activities/year_end/form.html"
OVERDUE_SHOWN = 100


def _branch(request, pk, *, write=False):
    return get_for_user(
        request,
        Branch.objects.select_related("organization"),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_MEETING if write else None,
    )


def _check_year(year: int, today) -> int:
    if not 2000 <= year <= today.year + 1:
        raise Http404
    return year


def _page(request, form, save, **kwargs):
    return form_page(
        request, form, save, template=FORM, refusals=(services.YearEndError,), **kwargs
    )


def _back(branch, year) -> str:
    return f"{reverse('year_end:branch', args=[branch.pk])}?year={year}"


# --- The branch's checklist -------------------------------------------------------------


def branch_page(request, branch_pk):
    branch = _branch(request, branch_pk)
    today = timezone.localdate()
    year = query_int(request.GET.get("year"), 2000, today.year + 1) or today.year
    status = selectors.year_end_status([branch.pk], year, today)[branch.pk]
    cycle = (
        YearEndCycle.objects.select_related("life_meeting").filter(branch=branch, year=year).first()
    )
    members = list(selectors.branch_members(branch))
    pairs, appraisals, records = [], {}, {}
    if cycle:
        pairs = list(cycle.pairs.select_related("first", "second", "care_visit"))
        appraisals = {a.member_id: a for a in cycle.appraisals.all()}
        records = {r.member_id: r for r in cycle.life_records.all()}
    paired = {p.first_id for p in pairs} | {p.second_id for p in pairs}
    return render(
        request,
        "activities/year_end/branch.html",
        {
            "branch": branch,
            "year": year,
            "years": list(range(today.year + 1, today.year - 4, -1)),
            "status": status,
            "steps": [(key, label, status.steps[key]) for key, label in selectors.STEPS],
            "state_labels": selectors.STATE_LABELS,
            "days_left": selectors.days_left(year, today),
            "cycle": cycle,
            "members": members,
            "unpaired": [m for m in members if m.pk not in paired],
            "pairs": pairs,
            "pairs_open": sum(1 for p in pairs if not p.is_done),
            "rows": [(m, records.get(m.pk), appraisals.get(m.pk)) for m in members],
            "ungraded": [m for m in members if not getattr(appraisals.get(m.pk), "decision", "")],
            "items": list(selectors.shown_items(branch, year)),
            "today": today,
            "can_record": selectors.can_record(request.user, branch),
            "show_notes": selectors.sensitive_for(request.user, branch),
        },
    )


# --- 谈心谈话 ---------------------------------------------------------------------------


def pair_add(request, branch_pk, year):
    branch = _branch(request, branch_pk, write=True)
    today = timezone.localdate()
    _check_year(year, today)
    form = PairForm(request.POST or None, members=selectors.branch_members(branch))
    return _page(
        request,
        form,
        lambda data: (
            services.pairs_add(
                branch=branch,
                year=year,
                pairs=[(data["first"], data["second"], data["kind"])],
                actor=request.user,
                request=request,
            )
            or False
        ),
        done=_("Pair planned."),
        success_url=_back(branch, year),
        branch=branch,
        year=year,
        title=_("Plan a heart-to-heart talk"),
        back=_back(branch, year),
    )


def pair_suggest(request, branch_pk, year):
    """The pairs the rules suggest (?which=secretary|committee), planned on confirm."""
    branch = _branch(request, branch_pk, write=True)
    today = timezone.localdate()
    _check_year(year, today)
    back = _back(branch, year)
    choice = SuggestForm(request.POST if request.method == "POST" else request.GET)
    if not choice.is_valid():  # no such suggestion: back to the checklist
        return redirect(back)
    which = choice.cleaned_data["which"]
    try:
        suggested = services.pair_suggestions(branch=branch, year=year, today=today, which=which)
    except services.YearEndError as error:
        messages.error(request, str(error))
        return redirect(back)
    if request.method == "POST":
        added = services.pairs_add(
            branch=branch, year=year, pairs=suggested, actor=request.user, request=request
        )
        messages.success(request, _("%(n)s pairs planned.") % {"n": added})
        return redirect(back)
    return render(
        request,
        "activities/year_end/suggest.html",
        {"branch": branch, "year": year, "which": which, "pairs": suggested, "back": back},
    )


def _pair(request, pk):
    return get_for_user(
        request,
        TalkPair.objects.select_related(
            "cycle", "cycle__branch", "cycle__branch__organization", "first", "second"
        ),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_MEETING,
    )


def talk_record(request, pk):
    pair = _pair(request, pk)
    branch, year = pair.cycle.branch, pair.cycle.year
    sensitive = selectors.sensitive_for(request.user, branch)
    visits = CareVisit.objects.filter(
        member_id__in=[pair.first_id, pair.second_id], visited_on__year=year
    ).select_related("member")
    form = TalkForm(
        request.POST or None,
        visits=visits,
        sensitive=sensitive,
        initial={
            "held_on": pair.held_on,
            "note": pair.note,
            "care_visit": pair.care_visit_id,
            "version": pair.version,
        },
    )
    return _page(
        request,
        form,
        lambda data: services.talk_record(
            pair=pair,
            data=form.talk_data(),
            version=data["version"],
            actor=request.user,
            request=request,
        ),
        done=_("Talk recorded."),
        success_url=_back(branch, year),
        branch=branch,
        year=year,
        title=_("Talk of %(a)s and %(b)s") % {"a": pair.first.name, "b": pair.second.name},
        back=_back(branch, year),
    )


def pair_delete(request, pk):
    pair = _pair(request, pk)
    branch, year = pair.cycle.branch, pair.cycle.year
    if request.method == "POST":
        services.pair_delete(pair=pair, actor=request.user, request=request)
        messages.success(request, _("Pair removed."))
        return redirect(_back(branch, year))
    return render(
        request,
        "activities/year_end/confirm.html",
        {
            "branch": branch,
            "title": _("Remove the pair"),
            "question": _("Remove the pair %(a)s and %(b)s (and what was recorded of their talk)?")
            % {"a": pair.first.name, "b": pair.second.name},
            "button": _("Remove"),
            "back": _back(branch, year),
        },
    )


# --- 组织生活会 ---------------------------------------------------------------------------


def life_meeting(request, branch_pk, year):
    branch = _branch(request, branch_pk, write=True)
    _check_year(year, timezone.localdate())
    cycle = YearEndCycle.objects.filter(branch=branch, year=year).first()
    sensitive = selectors.sensitive_for(request.user, branch)
    records = {r.member_id: r for r in cycle.life_records.all()} if cycle else {}
    form = LifeMeetingForm(
        request.POST or None,
        meetings=selectors.life_meetings(branch, year),
        members=selectors.branch_members(branch),
        records=records,
        sensitive=sensitive,
        initial={
            "meeting": cycle.life_meeting_id if cycle else None,
            "observer": cycle.observer if cycle else "",
            "version": cycle.version if cycle else None,
        },
    )
    return form_page(
        request,
        form,
        lambda data: services.life_meeting_save(
            branch=branch,
            year=year,
            meeting=data["meeting"],
            observer=data["observer"],
            records=form.records(),
            version=data["version"],
            actor=request.user,
            request=request,
        ),
        template="activities/year_end/life_meeting.html",
        refusals=(services.YearEndError,),
        done=_("Meeting records saved."),
        success_url=_back(branch, year),
        branch=branch,
        year=year,
        sensitive=sensitive,
        back=_back(branch, year),
    )


# --- 民主评议 ---------------------------------------------------------------------------


def appraisal_edit(request, branch_pk, year, member_pk):
    branch = _branch(request, branch_pk, write=True)
    _check_year(year, timezone.localdate())
    members = selectors.branch_members(branch)
    member = members.filter(pk=member_pk).first()
    if member is None:  # not a member of this branch (or no longer active)
        raise Http404
    row = Appraisal.objects.filter(cycle__branch=branch, cycle__year=year, member=member).first()
    form = AppraisalForm(request.POST or None, instance=row, voters=members.count())
    return _page(
        request,
        form,
        lambda data: services.appraisal_save(
            branch=branch,
            year=year,
            member=member,
            data=form.appraisal_data(),
            version=data.get("version"),
            actor=request.user,
            request=request,
        )[1],
        done=_("Appraisal of %(name)s saved.") % {"name": member.name},
        success_url=_back(branch, year),
        branch=branch,
        year=year,
        title=_("Appraisal of %(name)s") % {"name": member.name},
        back=_back(branch, year),
    )


# --- 整改 -------------------------------------------------------------------------------


def item_add(request, branch_pk, year):
    branch = _branch(request, branch_pk, write=True)
    today = timezone.localdate()
    _check_year(year, today)
    board = selectors.committee(branch, today)
    form = ItemForm(
        request.POST or None,
        committee_members=selectors.branch_members(branch).filter(pk__in=[m.pk for m in board.all]),
    )
    return _page(
        request,
        form,
        lambda data: services.item_add(
            branch=branch,
            year=year,
            data=data,
            client_key=data.get("client_key"),
            actor=request.user,
            request=request,
        ),
        done=lambda result: _("Rectification item added.") if result[1] else None,
        success_url=_back(branch, year),
        branch=branch,
        year=year,
        title=_("Add a rectification item"),
        back=_back(branch, year),
    )


def item_close(request, pk):
    item = get_for_user(
        request,
        RectificationItem.objects.select_related("branch", "branch__organization"),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_MEETING,
    )
    back = _back(item.branch, max(item.year, timezone.localdate().year))
    if not item.is_open:
        messages.info(request, _("This item is closed already."))
        return redirect(back)
    form = CloseForm(request.POST or None)
    return _page(
        request,
        form,
        lambda data: services.item_close(
            item=item,
            evidence=data["evidence"],
            closed_on=data["closed_on"],
            actor=request.user,
            request=request,
        ),
        done=lambda closed: _("Item closed.") if closed else _("This item is closed already."),
        success_url=back,
        branch=item.branch,
        item=item,
        title=_("Close a rectification item"),
        back=back,
    )


def no_problems(request, branch_pk, year):
    """State that the meeting found nothing to rectify (or take it back)."""
    branch = _branch(request, branch_pk, write=True)
    _check_year(year, timezone.localdate())
    back = _back(branch, year)
    cycle = YearEndCycle.objects.filter(branch=branch, year=year).first()
    current = bool(cycle and cycle.no_problems)
    if request.method == "POST":
        # The form says what it asked for, so a doubled submit does not take it back.
        wanted = request.POST.get("value") == "1"
        try:
            services.no_problems_set(
                branch=branch, year=year, value=wanted, actor=request.user, request=request
            )
        except services.YearEndError as error:
            messages.error(request, str(error))
        return redirect(back)
    return render(
        request,
        "activities/year_end/confirm.html",
        {
            "branch": branch,
            "title": _("Nothing to rectify"),
            "question": _("Take back that the meeting found nothing to rectify?")
            if current
            else _("Record that the meeting found nothing to rectify this year?"),
            "button": _("Confirm"),
            "back": back,
            "value": "0" if current else "1",
        },
    )


# --- An area's branches -----------------------------------------------------------------


def overview(request, pk):
    """A street, community or district: each branch's year end, and the overdue items."""
    node = get_for_user(request, Organization.objects.all(), pk, read=VIEW_MEMBERS)
    today = timezone.localdate()
    year = query_int(request.GET.get("year"), 2000, today.year + 1) or today.year
    branches = list(
        selectors.area_branches(request.user, node, today)
        .select_related("organization")
        .order_by("organization__path", "name")
    )
    statuses = selectors.year_end_status([b.pk for b in branches], year, today)
    rows = [(b, statuses[b.pk]) for b in branches]
    counts = {key: sum(1 for _b, s in rows if s.state == key) for key in selectors.STATE_LABELS}
    overdue = list(
        RectificationItem.objects.filter(branch__in=branches, year__lte=year, deadline__lt=today)
        .still_open()
        .select_related("branch")
        .order_by("deadline", "pk")[:OVERDUE_SHOWN]
    )
    return render(
        request,
        "activities/year_end/overview.html",
        {
            "node": node,
            "year": year,
            "years": list(range(today.year + 1, today.year - 4, -1)),
            "rows": rows,
            "counts": [(selectors.STATE_LABELS[k], n) for k, n in counts.items()],
            "days_left": selectors.days_left(year, today),
            "overdue": overdue,
            "today": today,
        },
    )
