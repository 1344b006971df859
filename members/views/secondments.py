"""A branch's seconded in-service members (选派在职党员): the list, recording one,
correcting, ending and deleting. The community and branch secretaries (EDIT_MEMBERS)
keep them; the area staff read them; the sending unit's liaison reads them on the
workbench."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.access import EDIT_MEMBERS, VIEW_MEMBERS, get_for_user, scope_for
from branches.models import Branch

from .. import selectors
from ..forms.secondments import SecondedDeleteForm, SecondedMemberForm, SecondmentEndForm
from ..models import SecondedMember
from ..services import secondments as services
from .shared import member_form_page

ENDED_SHOWN = 20  # the most recent ended secondments listed under the current ones


def _get_seconded(request, pk):
    return get_for_user(
        request,
        SecondedMember.objects.select_related("branch", "branch__organization", "unit"),
        pk,
        read=VIEW_MEMBERS,
        write=EDIT_MEMBERS,
    )


def _list_url(branch_id) -> str:
    return reverse("members:seconded_list", args=[branch_id])


def seconded_list(request, branch_pk):
    branch = get_for_user(
        request, Branch.objects.select_related("organization"), branch_pk, read=VIEW_MEMBERS
    )
    today = timezone.localdate()
    current = list(selectors.branch_seconded(branch, today).prefetch_related("positions__term"))
    ended = list(
        SecondedMember.objects.filter(branch=branch, ends_on__lt=today)
        .select_related("unit")
        .order_by("-ends_on", "pk")[:ENDED_SHOWN]
    )
    upcoming = list(
        SecondedMember.objects.filter(branch=branch, starts_on__gt=today)
        .select_related("unit")
        .order_by("starts_on", "pk")
    )
    for person in current:
        # The posts of terms still running (a past term's post is history).
        person.posts = [p for p in person.positions.all() if p.term.ends_on >= today]
    return render(
        request,
        "members/seconded_list.html",
        {
            "branch": branch,
            "current": current,
            "upcoming": upcoming,
            "ended": ended,
            "ending": {s.pk for s in selectors.ending_soon(current, today)},
            "warning_days": selectors.SECONDMENT_WARNING_DAYS,
            "can_edit": scope_for(request.user).covers_branch(branch, EDIT_MEMBERS),
        },
    )


def seconded_create(request, branch_pk):
    branch = get_for_user(
        request,
        Branch.objects.select_related("organization"),
        branch_pk,
        read=VIEW_MEMBERS,
        write=EDIT_MEMBERS,
    )
    form = SecondedMemberForm(request.POST or None, branch=branch)
    return member_form_page(
        request,
        form,
        lambda data: services.seconded_create(
            branch=branch,
            unit=data["unit"],
            name=data["name"],
            role=data["role"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            phone=data["phone"],
            job_title=data["job_title"],
            note=data["note"],
            actor=request.user,
            request=request,
        ),
        done=_("Seconded member recorded."),
        success_url=_list_url(branch.pk),
        title=_("Record a seconded member: %(name)s") % {"name": branch.name},
        branch=branch,
    )


def seconded_edit(request, pk):
    seconded = _get_seconded(request, pk)
    form = SecondedMemberForm(request.POST or None, branch=seconded.branch, instance=seconded)
    return member_form_page(
        request,
        form,
        lambda data: bool(
            services.seconded_update(
                seconded=seconded,
                changes=form.changes(),
                version=data["version"],
                actor=request.user,
                request=request,
            )
        ),
        done=_("Saved."),
        success_url=_list_url(seconded.branch_id),
        title=_("Seconded member %(name)s") % {"name": seconded.name},
        branch=seconded.branch,
    )


def seconded_end(request, pk):
    seconded = _get_seconded(request, pk)
    return member_form_page(
        request,
        SecondmentEndForm(request.POST or None, seconded=seconded),
        lambda data: services.seconded_end(
            seconded=seconded,
            ends_on=data["ends_on"],
            version=data["version"],
            actor=request.user,
            request=request,
        ),
        done=_("The end of the secondment is recorded."),
        success_url=_list_url(seconded.branch_id),
        title=_("End the secondment of %(name)s") % {"name": seconded.name},
        branch=seconded.branch,
    )


def seconded_delete(request, pk):
    seconded = _get_seconded(request, pk)
    return member_form_page(
        request,
        # The form has no field: a POST, even an empty one, confirms.
        SecondedDeleteForm(request.POST if request.method == "POST" else None),
        lambda data: services.seconded_delete(
            seconded=seconded, actor=request.user, request=request
        ),
        done=_("The record is deleted."),
        success_url=_list_url(seconded.branch_id),
        title=_("Delete the record of %(name)s (recorded by mistake)") % {"name": seconded.name},
        branch=seconded.branch,
    )
