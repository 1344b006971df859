"""A branch's committee terms and its party groups' leaders."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from branches.access import EDIT_MEMBERS, VIEW_STRUCTURE, get_for_user
from branches.models import Branch, PartyGroup

from .. import selectors
from ..forms.committees import CommitteeTermEditForm, CommitteeTermForm, GroupLeaderForm
from ..models import CommitteeTerm
from ..services import committees as committee_services
from .shared import member_form_page


def group_leader(request, group_pk):
    group = get_for_user(
        request,
        PartyGroup.objects.select_related("branch"),
        group_pk,
        read=VIEW_STRUCTURE,
        write=EDIT_MEMBERS,
    )
    return member_form_page(
        request,
        GroupLeaderForm(request.POST or None, group=group),
        lambda data: committee_services.group_leader_set(
            group=group,
            member=data["member"],
            starts_on=data["starts_on"],
            actor=request.user,
            request=request,
        ),
        done=_("Saved."),
        success_url=reverse("branches:branch_detail", args=[group.branch_id]),
        title=_("Party group leader: %(group)s") % {"group": group.name},
        branch=group.branch,
    )


# --- branch committee ------------------------------------------------------------------


def term_create(request, branch_pk):
    branch = get_for_user(
        request,
        Branch.objects.select_related("organization"),
        branch_pk,
        read=VIEW_STRUCTURE,
        write=EDIT_MEMBERS,
    )
    last = CommitteeTerm.objects.filter(branch=branch).order_by("-number").first()
    form = CommitteeTermForm(
        request.POST or None,
        branch=branch,
        initial_number=(last.number + 1) if last else 1,
        years=selectors.term_years(branch),
    )
    return member_form_page(
        request,
        form,
        lambda data: committee_services.committee_term_create(
            branch=branch,
            number=data["number"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            has_committee=data["has_committee"],
            holders=form.holders(),
            actor=request.user,
            request=request,
        ),
        done=_("Committee term saved."),
        success_url=reverse("branches:branch_detail", args=[branch.pk]),
        title=_("New committee term: %(name)s") % {"name": branch.name},
        branch=branch,
    )


def term_edit(request, pk):
    """Correct a committee term and fill, change or clear its posts: how a branch whose
    secretary died or moved away records the successor."""
    term = get_for_user(
        request,
        CommitteeTerm.objects.select_related("branch", "branch__organization"),
        pk,
        read=VIEW_STRUCTURE,
        write=EDIT_MEMBERS,
    )
    branch = term.branch
    form = CommitteeTermEditForm(request.POST or None, term=term)
    return member_form_page(
        request,
        form,
        lambda data: bool(
            committee_services.committee_term_update(
                term=term,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                has_committee=data["has_committee"],
                holders=form.holders(),
                actor=request.user,
                request=request,
            )
        ),
        done=_("Committee term saved."),
        success_url=reverse("branches:branch_detail", args=[branch.pk]),
        title=_("Term %(number)d of %(name)s: dates and posts")
        % {"number": term.number, "name": branch.name},
        branch=branch,
    )
