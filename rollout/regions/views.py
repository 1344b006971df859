"""The 区划调整 pages: choose, preview ("this will move N branches, M members..."),
confirm. Both the old and the new place must lie inside the user's area, else 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from branches.access import REORGANIZE_TREE, get_for_user, require_capability
from branches.models import Branch, Level, Organization

from . import selectors, services
from .forms import (
    BranchMergeForm,
    BranchSplitForm,
    CommunityMergeForm,
    MoveForm,
    RenameForm,
    SplitChooseForm,
    SplitForm,
)


def index(request):
    require_capability(request, REORGANIZE_TREE)
    return render(request, "rollout/regions/index.html")


def _flow(request, form, *, title: str, intro: str, run, done: str):
    """Validate, check the places, preview; with "confirm" and the preview's token, do it.
    A token that no longer matches shows the new preview and changes nothing."""
    preview = None
    if request.method == "POST" and form.is_valid():
        if not selectors.covers(request.user, *form.places()):
            raise Http404
        preview = form.preview()
        token = form.cleaned_data.get("token")
        if "confirm" in request.POST and token:
            try:
                run(form.cleaned_data, token)
            except services.Conflict:
                messages.error(
                    request,
                    _("The tree changed since the preview. Check the new preview, then confirm."),
                )
            except ValidationError as error:
                form.add_error(None, error)
                preview = None
            else:
                messages.success(request, done)
                return redirect("regions:index")
        if preview is not None:
            data = form.data.copy()
            data["token"] = preview.token
            form.data = data
    return render(
        request,
        "rollout/regions/operation.html",
        {"form": form, "title": title, "intro": intro, "preview": preview},
    )


def _form(request, form_class, **kwargs):
    data = request.POST if request.method == "POST" else None
    return form_class(data, user=request.user, **kwargs)


def move(request):
    require_capability(request, REORGANIZE_TREE)
    return _flow(
        request,
        _form(request, MoveForm),
        title=_("Move a community to another street"),
        intro=_(
            "Its branches, members, meetings and care history go with it; its code stays. "
            "Figures of past periods follow it to the new street."
        ),
        run=lambda data, token: services.community_move(
            community=data["community"],
            street=data["street"],
            actor=request.user,
            request=request,
            expected=token,
        ),
        done=_("The community was moved."),
    )


def merge_communities(request):
    require_capability(request, REORGANIZE_TREE)
    return _flow(
        request,
        _form(request, CommunityMergeForm),
        title=_("Merge two communities"),
        intro=_(
            "Branches, members, registrations and venues of the merged-away community join "
            "the other one. It is closed on the date given and kept, with its code."
        ),
        run=lambda data, token: services.community_merge(
            kept=data["kept"],
            merged=data["merged"],
            on=data["on"],
            actor=request.user,
            request=request,
            expected=token,
        ),
        done=_("The communities were merged."),
    )


def merge_branches(request):
    require_capability(request, REORGANIZE_TREE)
    return _flow(
        request,
        _form(request, BranchMergeForm),
        title=_("Merge two branches"),
        intro=_(
            "Members, registrations and party groups join the other branch. The merged-away "
            "branch keeps its meetings as they were held and is dissolved on the date given."
        ),
        run=lambda data, token: services.branch_merge(
            kept=data["kept"],
            merged=data["merged"],
            on=data["on"],
            actor=request.user,
            request=request,
            expected=token,
        ),
        done=_("The branches were merged."),
    )


def split_choose(request):
    require_capability(request, REORGANIZE_TREE)
    choose = SplitChooseForm(request.GET)
    if choose.is_valid():
        if pk := choose.cleaned_data["community"]:
            return redirect("regions:split", pk=pk)
        if pk := choose.cleaned_data["branch"]:
            return redirect("regions:split_branch", pk=pk)
    return render(
        request,
        "rollout/regions/split_choose.html",
        {
            "choose": choose,
            "communities": selectors.reorganizable(request.user, Level.COMMUNITY),
            "branches": selectors.reorganizable_branches(request.user),
        },
    )


def split(request, pk):
    require_capability(request, REORGANIZE_TREE)
    community = get_for_user(
        request,
        Organization.objects.filter(level=Level.COMMUNITY, closed_on__isnull=True).select_related(
            "parent"
        ),
        pk,
        read=REORGANIZE_TREE,
    )
    return _flow(
        request,
        _form(request, SplitForm, community=community),
        title=_("Split %(name)s") % {"name": community.name},
        intro=_(
            "A new community under the same street takes the branches you choose, with the "
            "members whose home branch they are."
        ),
        run=lambda data, token: services.community_split(
            community=community,
            name=data["name"],
            code=data["code"],
            branches=data["branches"],
            actor=request.user,
            request=request,
            expected=token,
        ),
        done=_("The community was split."),
    )


def split_branch(request, pk):
    require_capability(request, REORGANIZE_TREE)
    branch = get_for_user(
        request,
        Branch.objects.active().select_related("organization"),
        pk,
        read=REORGANIZE_TREE,
    )
    return _flow(
        request,
        _form(request, BranchSplitForm, branch=branch),
        title=_("Split %(name)s") % {"name": branch.name},
        intro=_(
            "A new branch of the same kind in the same place takes the members you choose; "
            "they leave their party groups, which stay with this branch."
        ),
        run=lambda data, token: services.branch_split(
            branch=branch,
            name=data["name"],
            members=data["members"],
            actor=request.user,
            request=request,
            expected=token,
        ),
        done=_("The branch was split."),
    )


def rename(request):
    require_capability(request, REORGANIZE_TREE)
    return _flow(
        request,
        _form(request, RenameForm),
        title=_("Rename a street or community"),
        intro=_("The code and the place in the tree stay."),
        run=lambda data, token: services.node_rename(
            node=data["node"],
            name=data["name"],
            actor=request.user,
            request=request,
            expected=token,
        ),
        done=_("The new name is saved."),
    )
