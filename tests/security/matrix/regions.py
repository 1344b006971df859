"""区划调整 (rollout.regions) x roles. Reorganising is can_reorganize_tree (the city
administrator and district staff); the pages are for anyone holding it somewhere,
a community's split page for those whose area holds the community. Everyone else
gets 404. Each write is previewed, then confirmed with the preview's token."""

import datetime

from branches.models import Branch, Organization
from members.models import Member
from rollout.regions import selectors

from . import Spec

REORGANIZERS = frozenset({"city_admin", "district_staff", "district_b_staff"})
DISTRICT_A = frozenset({"city_admin", "district_staff"})
TODAY = datetime.date(2026, 12, 6)


def _parent(cast):
    return Organization.objects.get(pk=cast.community_a.pk).parent_id


def move_post(cast):
    community = Organization.objects.get(pk=cast.community_a.pk)
    street = Organization.objects.get(pk=cast.street_a2.pk)
    token = selectors.move_preview(community, street).token
    return {"community": community.pk, "street": street.pk, "token": token, "confirm": "1"}


def merge_post(cast):
    kept = Organization.objects.get(pk=cast.community_a.pk)
    merged = Organization.objects.get(pk=cast.community_a2.pk)
    token = selectors.community_merge_preview(kept, merged).token
    return {"kept": kept.pk, "merged": merged.pk, "on": TODAY, "token": token, "confirm": "1"}


def branch_merge_post(cast):
    kept, merged = Branch.objects.get(pk=cast.branch_a.pk), Branch.objects.get(pk=cast.branch_a2.pk)
    token = selectors.branch_merge_preview(kept, merged).token
    return {"kept": kept.pk, "merged": merged.pk, "on": TODAY, "token": token, "confirm": "1"}


def split_post(cast):
    community = Organization.objects.get(pk=cast.community_a.pk)
    branches = [Branch.objects.get(pk=cast.branch_a.pk)]
    token = selectors.split_preview(community, branches).token
    return {
        "name": "翠园东社区",
        "code": "319901001009",
        "branches": [cast.branch_a.pk],
        "token": token,
        "confirm": "1",
    }


def branch_split_post(cast):
    branch = Branch.objects.get(pk=cast.branch_a.pk)
    members = list(Member.objects.filter(home_branch=branch).order_by("pk")[:1])
    token = selectors.branch_split_preview(branch, members).token
    return {
        "name": "翠园社区第二党支部",
        "members": [m.pk for m in members],
        "token": token,
        "confirm": "1",
    }


def rename_post(cast):
    node = Organization.objects.get(pk=cast.community_a.pk)
    token = selectors.rename_preview(node).token
    return {"node": node.pk, "name": "翠园新村社区", "token": token, "confirm": "1"}


SPECS = [
    Spec("regions:index", ok=REORGANIZERS),
    Spec(
        "regions:move",
        ok=REORGANIZERS,
        post=move_post,
        state=_parent,
    ),
    Spec(
        "regions:merge_communities",
        ok=REORGANIZERS,
        post=merge_post,
        state=lambda c: Organization.objects.get(pk=c.community_a2.pk).closed_on,
    ),
    Spec(
        "regions:merge_branches",
        ok=REORGANIZERS,
        post=branch_merge_post,
        state=lambda c: Branch.objects.get(pk=c.branch_a2.pk).dissolved_on,
    ),
    Spec("regions:split_choose", ok=REORGANIZERS),
    Spec(
        "regions:split",
        kwargs=lambda c: {"pk": c.community_a.pk},
        ok=DISTRICT_A,
        post=split_post,
        state=lambda c: Organization.objects.count(),
    ),
    Spec(
        "regions:split_branch",
        kwargs=lambda c: {"pk": c.branch_a.pk},
        ok=DISTRICT_A,
        post=branch_split_post,
        state=lambda c: Branch.objects.count(),
    ),
    Spec(
        "regions:rename",
        ok=REORGANIZERS,
        post=rename_post,
        state=lambda c: Organization.objects.get(pk=c.community_a.pk).name,
    ),
]
