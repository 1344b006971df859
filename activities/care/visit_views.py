"""Care visit pages: record, read, edit and delete a visit, and its follow-ups."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors, services
from .forms import (
    CareVisitForm,
    FollowUpAddForm,
    FollowUpForm,
)
from .models import CareVisitKind
from .selectors import CareGate
from .views import (
    _care_form,
    _next_or,
    get_follow_up_for_user,
    get_member_for_care,
    get_visit_for_user,
)

# --- Visits -----------------------------------------------------------------------------


def visit_create(request, pk):
    member = get_member_for_care(request, pk, write=True)
    today = timezone.localdate()
    sensitive = CareGate(request.user).sensitive(member)
    meetings = selectors.make_up_choices(member, today=today)
    initial = {}
    if (kind := request.GET.get("kind")) in CareVisitKind.values:
        initial["kind"] = kind
    form = CareVisitForm(
        request.POST or None,
        meetings=meetings,
        user=request.user,
        sensitive=sensitive,
        initial=initial,
    )
    back = _next_or(request, reverse("care:member", args=[member.pk]))
    return _care_form(
        request,
        form,
        lambda data: services.visit_record(
            member=member,
            data=form.visit_data(),
            follow_up=form.follow_up_data(),
            client_key=data.get("client_key"),
            actor=request.user,
            request=request,
        ),
        # A replayed submission (the same client key) records nothing: nothing to say.
        done=lambda result: (
            _("Visit to %(name)s recorded.") % {"name": member.name} if result[1] else None
        ),
        success_url=back,
        template="activities/care/visit_form.html",
        refusal_field="meeting",
        member=member,
        title=_("Record a visit"),
        next=_next_or(request, ""),
        back=back,
    )


def visit_detail(request, pk):
    visit = get_visit_for_user(request, pk)
    gate = CareGate(request.user)
    return render(
        request,
        "activities/care/visit_detail.html",
        {
            "visit": visit,
            "member": visit.member,
            "follow_ups": list(visit.follow_ups.select_related("owner")),
            "show_notes": gate.sensitive(visit.member),
            "can_record": gate.can_record(visit.member),
        },
    )


def visit_edit(request, pk):
    visit = get_visit_for_user(request, pk, write=True)
    member = visit.member
    sensitive = CareGate(request.user).sensitive(member)
    meetings = selectors.make_up_choices(
        member, today=timezone.localdate(), current_meeting_id=visit.meeting_id
    )
    form = CareVisitForm(
        request.POST or None,
        instance=visit,
        meetings=meetings,
        user=request.user,
        sensitive=sensitive,
    )
    back = reverse("care:visit_detail", args=[visit.pk])
    return _care_form(
        request,
        form,
        lambda data: services.visit_update(
            visit=visit, data=form.visit_data(), actor=request.user, request=request
        ),
        done=_("Visit saved."),
        success_url=back,
        template="activities/care/visit_form.html",
        refusal_field="meeting",
        member=member,
        visit=visit,
        title=_("Change the visit"),
        back=back,
    )


def visit_delete(request, pk):
    visit = get_visit_for_user(request, pk, write=True)
    member = visit.member
    if request.method == "POST":
        services.visit_delete(visit=visit, actor=request.user, request=request)
        messages.success(request, _("Visit deleted."))
        return redirect("care:member", pk=member.pk)
    question = _("Delete the visit of %(day)s to %(name)s and its follow-ups?") % {
        "day": f"{visit.visited_on:%Y-%m-%d}",
        "name": member.name,
    }
    if visit.make_up_id:
        question += " " + _("The make-up it delivered is removed too: the absence opens again.")
    return render(
        request,
        "activities/care/confirm.html",
        {
            "title": _("Delete the visit"),
            "question": question,
            "button": _("Delete"),
            "back": reverse("care:visit_detail", args=[visit.pk]),
        },
    )


def follow_up_add(request, pk):
    visit = get_visit_for_user(request, pk, write=True)
    form = FollowUpAddForm(request.POST or None, visit=visit, user=request.user)
    back = reverse("care:visit_detail", args=[visit.pk])
    return _care_form(
        request,
        form,
        lambda data: services.follow_up_add(
            visit=visit, data=data, actor=request.user, request=request
        ),
        done=_("Follow-up added."),
        success_url=back,
        member=visit.member,
        title=_("Add a follow-up"),
        plain_form=True,
        back=back,
    )


def follow_up_edit(request, pk):
    item = get_follow_up_for_user(request, pk, write=True)
    form = FollowUpForm(request.POST or None, follow_up=item)
    back = reverse("care:visit_detail", args=[item.visit_id])
    return _care_form(
        request,
        form,
        lambda data: services.follow_up_update(
            follow_up=item, data=data, actor=request.user, request=request
        ),
        done=_("Follow-up saved."),
        success_url=_next_or(request, back),
        member=item.visit.member,
        follow_up=item,
        show_notes=CareGate(request.user).sensitive(item.visit.member),
        title=_("Follow-up"),
        plain_form=True,
        next=_next_or(request, ""),
        back=back,
    )
