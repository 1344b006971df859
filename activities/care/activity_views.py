"""Activity pages (activities besides meetings): list, record, edit, participants."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from branches.access import (
    RECORD_MEETING,
    scope_for,
)
from members.models import Member

from . import activity_services, selectors
from .forms import (
    ActivityForm,
    ParticipantsForm,
)
from .models import ActivityKind
from .views import _care_form, _year, _years, get_activity_for_user, get_branch_for_care

# --- Activities -------------------------------------------------------------------------


def activity_list(request, branch_pk):
    """Activities the branch organised in a year, and its members' part in activities
    organised elsewhere (credited to them, never a meeting of this branch)."""
    branch = get_branch_for_care(request, branch_pk)
    today = timezone.localdate()
    year = _year(request, today)
    return render(
        request,
        "activities/care/activity_list.html",
        {
            "branch": branch,
            "year": year,
            "years": _years(today),
            "activities": list(selectors.branch_activities(branch, year)),
            "credited": list(selectors.credited_elsewhere(branch, year)[:200]),
            "can_record": scope_for(request.user).covers_branch(branch, RECORD_MEETING),
            "kinds": ActivityKind.choices,
        },
    )


def activity_create(request, branch_pk):
    branch = get_branch_for_care(request, branch_pk, write=RECORD_MEETING)
    form = ActivityForm(request.POST or None, initial={"held_on": timezone.localdate()})

    def save(data):
        activity = form.save(commit=False)
        activity.branch = branch
        activity.organization = branch.organization
        return activity_services.activity_save(
            activity=activity, before=None, actor=request.user, request=request
        )

    return _care_form(
        request,
        form,
        save,
        done=_("Activity saved. Now tick who took part."),
        success_url=lambda activity: reverse("care:activity_participants", args=[activity.pk]),
        branch=branch,
        title=_("Record an activity"),
        back=reverse("care:activity_list", args=[branch.pk]),
    )


def activity_detail(request, pk):
    activity = get_activity_for_user(request, pk)
    participants = list(
        activity.participants.select_related("member", "member__home_branch").order_by(
            "member__name", "pk"
        )
    )
    return render(
        request,
        "activities/care/activity_detail.html",
        {
            "activity": activity,
            "participants": participants,
            "total_hours": sum((p.service_hours for p in participants), 0),
            "can_record": _can_record_activity(request, activity),
        },
    )


def _can_record_activity(request, activity) -> bool:
    scope = scope_for(request.user)
    if activity.branch_id:
        return scope.covers_branch(activity.branch, RECORD_MEETING)
    return scope.covers_path(activity.organization.path, RECORD_MEETING)


def activity_edit(request, pk):
    activity = get_activity_for_user(request, pk, write=True)
    before = audit.snapshot(activity, activity_services.ACTIVITY_FIELDS)
    form = ActivityForm(request.POST or None, instance=activity)
    back = reverse("care:activity_detail", args=[activity.pk])
    return _care_form(
        request,
        form,
        lambda data: activity_services.activity_save(
            activity=form.save(commit=False), before=before, actor=request.user, request=request
        ),
        done=_("Activity saved."),
        success_url=back,
        branch=activity.branch,
        title=_("Change the activity"),
        back=back,
    )


def activity_participants(request, pk):
    activity = get_activity_for_user(request, pk, write=True)
    current = {p.member_id: p.service_hours for p in activity.participants.all()}
    candidates = (
        selectors.activity_candidates(activity.branch, activity)
        if activity.branch_id
        else Member.objects.filter(activity_participations__activity=activity).order_by("name")
    )
    form = ParticipantsForm(request.POST or None, candidates=candidates, current=current)
    return _care_form(
        request,
        form,
        lambda data: activity_services.participants_set(
            activity=activity, hours=form.hours(), actor=request.user, request=request
        ),
        done=_("Participants saved."),
        success_url=reverse("care:activity_detail", args=[activity.pk]),
        template="activities/care/participants_form.html",
        activity=activity,
    )


def activity_delete(request, pk):
    activity = get_activity_for_user(request, pk, write=True)
    if request.method == "POST":
        branch_id = activity.branch_id
        activity_services.activity_delete(activity=activity, actor=request.user, request=request)
        messages.success(request, _("Activity deleted."))
        if branch_id:
            return redirect("care:activity_list", branch_pk=branch_id)
        return redirect("care:mine")
    return render(
        request,
        "activities/care/confirm.html",
        {
            "title": _("Delete the activity"),
            "question": _("Delete %(title)s and its participants?") % {"title": activity.title},
            "button": _("Delete"),
            "back": reverse("care:activity_detail", args=[activity.pk]),
        },
    )
