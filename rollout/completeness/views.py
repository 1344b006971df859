"""数据完整率: an area's figures per child area (a community's per branch) and the list
to fix, each item linking to the page where it is fixed. Within the user's scope; an
area outside it answers 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.access import VIEW_COMPLETENESS, require_capability
from branches.models import Level, Organization
from members.masking import mask_id, mask_phone
from members.selectors import MemberGate

from . import selectors
from .forms import CompletenessForm
from .selectors import (
    BRANCH_PROBLEMS,
    MEMBER_PROBLEMS,
    REGISTRATION_PROBLEMS,
    Completeness,
    Figures,
    Problem,
)

PAGE_SIZE = 25


def overview(request):
    require_capability(request, VIEW_COMPLETENESS)
    user = request.user
    today = timezone.localdate()
    form = CompletenessForm(request.GET)
    if not form.is_valid():
        messages.warning(
            request, _("The address asked for something unknown; the page shows the usual view.")
        )
    areas = selectors.user_areas(user)
    branch_ids = selectors.user_branch_ids(user)
    if not areas and not branch_ids:
        raise Http404
    node = None
    if area_pk := form.value("area"):
        node = Organization.objects.visible_to(user, VIEW_COMPLETENESS).filter(pk=area_pk).first()
        if node is None:
            raise Http404
    elif len(areas) == 1 and not branch_ids:
        node = areas[0]

    if node is not None:
        figures = selectors.cached_area(node, today)
    elif areas:
        figures = _several(areas, branch_ids, today)
    else:
        figures = selectors.branches_completeness(branch_ids, today)

    problem = form.value("problem")
    items, kind = _items(user, problem, node, today)
    page = Paginator(items, PAGE_SIZE).get_page(form.value("page") or 1)
    query = {k: v for k, v in (("area", node.pk if node else None), ("problem", problem)) if v}
    return render(
        request,
        "rollout/completeness/overview.html",
        {
            "form": form,
            "node": node,
            "parent": _parent(user, node),
            "figures": figures,
            "child_level": Level(node.child_level).label if node and node.child_level else "",
            "problem": problem or "",
            "problem_label": Problem(problem).label if problem else _("Any missing member field"),
            "kind": kind,
            "page": page,
            "rows": _decorate(list(page.object_list), kind, problem, MemberGate(user)),
            "query": urlencode(query),
            "area_query": urlencode({"problem": problem} if problem else {}),
            "member_problems": MEMBER_PROBLEMS,
        },
    )


def _several(areas, branch_ids, today) -> Completeness:
    """A user with several areas (or areas and branches): one line per area."""
    total = Figures()
    lines = []
    for area in areas:
        found = selectors.cached_area(area, today)
        total.add(found.total)
        lines.append(selectors.Line(area.name, found.total, pk=area.pk))
    if branch_ids:
        found = selectors.branches_completeness(branch_ids, today)
        total.add(found.total)
        lines += found.lines
    return Completeness(total, lines)


def _items(user, problem, node, today):
    if problem is None or problem in MEMBER_PROBLEMS:
        return selectors.problem_members(user, problem, node), "member"
    if problem in BRANCH_PROBLEMS:
        return selectors.problem_branches(user, problem, node, today), "branch"
    # Problem.NO_BRANCH
    return selectors.problem_communities(user, node, today), "community"


def _parent(user, node):
    """The area above, when the user may read it (the way back up)."""
    if node is None or node.parent_id is None:
        return None
    return (
        Organization.objects.visible_to(user, VIEW_COMPLETENESS).filter(pk=node.parent_id).first()
    )


def _decorate(rows, kind, problem, gate):
    """Members' problems, masked identifiers (never the plain values: the list is for
    finding the person) and the page that fixes the problem listed (or the first).
    Those who may not fix it there (the city, district and street read only) get the
    member's page instead of a link that answers 403."""
    if kind != "member":
        return list(rows)
    for member in rows:
        found = selectors.member_problems(member)
        member.missing = [str(Problem(p).label) for p in found]
        member.masked_id = mask_id(member.id_number)
        member.masked_phone = mask_phone(member.phone)
        first = problem or (found[0] if found else Problem.ID_NUMBER)
        registration = first in REGISTRATION_PROBLEMS
        member.may_fix = (
            gate.can_manage_registration(member) if registration else gate.can_edit(member)
        )
        if not member.may_fix:
            name = "members:member_detail"
        elif registration:
            name = "members:registration_report"
        else:
            name = "members:member_edit"
        member.fix_url = reverse(name, args=[member.pk])
    return rows
