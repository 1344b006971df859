from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import shared_cache
from accounts.query import query_pk

from . import selectors, services
from .access import (
    MANAGE_BRANCHES,
    MANAGE_GROUPS,
    VIEW_STRUCTURE,
    get_for_user,
    require_capability,
    scope_for,
)
from .forms import BranchForm, PartyGroupForm, VenueForm
from .models import Branch, BranchKind, Organization, PartyGroup, Venue


def get_organization_for_user(request, pk, *, write=False):
    return get_for_user(
        request,
        Organization.objects.select_related("parent"),
        pk,
        write=MANAGE_BRANCHES if write else None,
    )


def get_branch_for_user(request, pk, *, write=False):
    return get_for_user(
        request,
        Branch.objects.select_related("organization", "venue"),
        pk,
        write=MANAGE_BRANCHES if write else None,
    )


def get_party_group_for_user(request, pk, *, write=False):
    return get_for_user(
        request,
        PartyGroup.objects.select_related("branch"),
        pk,
        write=MANAGE_GROUPS if write else None,
    )


def get_venue_for_user(request, pk, *, write=False):
    return get_for_user(
        request,
        Venue.objects.select_related("organization"),
        pk,
        write=MANAGE_BRANCHES if write else None,
    )


def org_tree(request):
    """Entry to the tree: the user's top nodes, or straight into the only one."""
    require_capability(request, VIEW_STRUCTURE)
    roots = selectors.top_nodes(request.user)
    if len(roots) == 1:
        return redirect("branches:org_detail", pk=roots[0].pk)
    return render(request, "branches/org_tree.html", {"roots": roots})


def org_detail(request, pk):
    node = get_organization_for_user(request, pk)
    scope = scope_for(request.user)
    # Breadcrumbs: every ancestor is named, only those inside the scope are links.
    breadcrumbs = [
        (ancestor, scope.covers_path(ancestor.path, VIEW_STRUCTURE))
        for ancestor in Organization.objects.filter(path__in=node.ancestor_paths)
    ]
    branches = list(selectors.branch_list(request.user).filter(organization=node))
    return render(
        request,
        "branches/org_detail.html",
        {
            "node": node,
            "breadcrumbs": breadcrumbs,
            "children": selectors.children_with_counts(node),
            "branches": branches,
            "can_manage": scope.covers_path(node.path, MANAGE_BRANCHES),
        },
    )


def branch_list(request):
    require_capability(request, VIEW_STRUCTURE)
    q = request.GET.get("q", "").strip()[:50]
    kind = request.GET.get("kind", "")
    if kind not in BranchKind.values:
        kind = ""
    show_dissolved = request.GET.get("dissolved") == "1"
    qs = selectors.branch_list(request.user, q=q, kind=kind, active=not show_dissolved)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "branches/branch_list.html",
        {
            "page": page,
            "q": q,
            "kind": kind,
            "show_dissolved": show_dissolved,
            "kinds": BranchKind.choices,
        },
    )


# The branch page's members panel and party groups (six queries: the groups, the member
# counts, the current term, its posts, the group leaders, the seconded members) are kept
# rendered under the figures version of the branch's street, which every audited write of
# its members, memberships, terms and posts, groups, leaders and seconded members moves
# (reports.freshness; an original unit's, whose names the panel shows, moves them all),
# the day (the current term, the secondments ending), the language and the reader's
# grants (the links and buttons): two readers share them only with the very same grants.
BRANCH_PANELS_PREFIX = "branch-panels:v1"


def branch_detail(request, pk):
    branch = get_branch_for_user(request, pk)
    scope = scope_for(request.user)
    can_manage = scope.covers_branch(branch, MANAGE_BRANCHES)
    key = shared_cache.kept_key(
        BRANCH_PANELS_PREFIX,
        branch.pk,
        version=branch.organization.figures_key(),
        today=timezone.localdate(),
        grants=scope.digest(),
    )

    def render_panels():
        context = {
            "branch": branch,
            "groups": list(branch.groups.all()),
            "can_manage_groups": scope.covers_branch(branch, MANAGE_GROUPS),
        }
        return render_to_string("branches/includes/branch_panels.html", context, request=request)

    panels = shared_cache.kept_page(key, render_panels, settings.DASHBOARD_CACHE_SECONDS)
    return render(
        request,
        "branches/branch_detail.html",
        {
            "branch": branch,
            "can_manage": can_manage,
            "panels": panels,
            # A branch secretary reads the branch but not the organisation it sits on:
            # name it without a link that would lead to a 404.
            "org_link": scope.covers_path(branch.organization.path, VIEW_STRUCTURE),
        },
    )


def branch_create(request):
    require_capability(request, MANAGE_BRANCHES)
    initial = {}
    if org_id := query_pk(request.GET.get("organization")):
        initial["organization"] = get_organization_for_user(request, org_id, write=True)
    form = BranchForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        branch = services.structure_save(request=request, form=form)
        messages.success(request, _("Branch “%(name)s” created.") % {"name": branch.name})
        return redirect("branches:branch_detail", pk=branch.pk)
    return render(request, "branches/form.html", {"form": form, "title": _("New branch")})


def branch_edit(request, pk):
    branch = get_branch_for_user(request, pk, write=True)
    form = BranchForm(request.POST or None, instance=branch, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.structure_save(request=request, form=form)
        messages.success(request, _("Branch “%(name)s” saved.") % {"name": branch.name})
        return redirect("branches:branch_detail", pk=branch.pk)
    return render(
        request,
        "branches/form.html",
        {"form": form, "title": _("Edit branch"), "back": branch},
    )


def _get_branch_for_groups(request, pk):
    """Party groups are managed by whoever manages the branch, and by its secretary."""
    return get_for_user(
        request, Branch.objects.select_related("organization"), pk, write=MANAGE_GROUPS
    )


def group_create(request, branch_pk):
    branch = _get_branch_for_groups(request, branch_pk)
    form = PartyGroupForm(request.POST or None, branch=branch)
    if request.method == "POST" and form.is_valid():
        form.instance.branch = branch
        group = services.structure_save(request=request, form=form)
        messages.success(request, _("Party group “%(name)s” created.") % {"name": group.name})
        return redirect("branches:branch_detail", pk=branch.pk)
    return render(
        request,
        "branches/form.html",
        {"form": form, "title": _("New party group"), "back": branch},
    )


def group_edit(request, pk):
    group = get_party_group_for_user(request, pk, write=True)
    form = PartyGroupForm(request.POST or None, instance=group, branch=group.branch)
    if request.method == "POST" and form.is_valid():
        services.structure_save(request=request, form=form)
        messages.success(request, _("Party group “%(name)s” saved.") % {"name": group.name})
        return redirect("branches:branch_detail", pk=group.branch_id)
    return render(
        request,
        "branches/form.html",
        {"form": form, "title": _("Edit party group"), "back": group.branch},
    )


def venue_list(request):
    require_capability(request, VIEW_STRUCTURE)
    venues = Venue.objects.visible_to(request.user).select_related("organization", "owner_unit")
    page = Paginator(venues, 25).get_page(request.GET.get("page"))
    return render(request, "branches/venue_list.html", {"page": page})


def venue_create(request):
    require_capability(request, MANAGE_BRANCHES)
    form = VenueForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        venue = services.venue_save(request=request, form=form)
        messages.success(request, _("Venue “%(name)s” created.") % {"name": venue.name})
        return redirect("branches:venue_list")
    return render(request, "branches/form.html", {"form": form, "title": _("New venue")})


def venue_edit(request, pk):
    venue = get_venue_for_user(request, pk, write=True)
    form = VenueForm(request.POST or None, instance=venue, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.venue_save(request=request, form=form, version=form.cleaned_data["version"])
        except services.EditConflict as error:
            # The user's input stays; the form moves on to the saved version, so saving
            # again is a deliberate overwrite.
            form.add_error(None, error)
            form.data = form.data.copy()
            form.data["version"] = Venue.objects.get(pk=venue.pk).version
            status = 409
        else:
            messages.success(request, _("Venue “%(name)s” saved.") % {"name": venue.name})
            return redirect("branches:venue_list")
    return render(
        request, "branches/form.html", {"form": form, "title": _("Edit venue")}, status=status
    )
