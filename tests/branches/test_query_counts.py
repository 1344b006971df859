"""The hot structure pages run a fixed number of SQL queries, whatever the size of the tree.

Each page is requested at "small" size (2 districts x 2 streets x 3 communities) and at
"district" size (13 streets, ~250 communities, ~350 branches: a real urban district), as
a district bureau staff member, and must run exactly the same queries at both. The counts
are exact, with the queries listed, so that an N+1 or a forgotten select_related shows up
as a failing number rather than as a slow page in production.
"""

import datetime
import random
from dataclasses import dataclass

import pytest
from django.urls import reverse

from branches.demo import SIZES as DEMO_SIZES
from branches.demo import seed_structure
from branches.models import Branch, Level, Organization, PartyGroup

from .. import factories as f
from ..factories import Role

pytestmark = pytest.mark.django_db

SIZES = ["small", "district"]

# Every page for a logged-in user starts with the same three queries:
#   1. the session row, 2. the user row, 3. the user's staff roles with their nodes' paths
#      (Scope.for_user, cached on the user for the rest of the request).
PER_REQUEST = 3

ORG_DETAIL = PER_REQUEST + 6
# 4. the node, with its parent (get_for_user)
# 5. the ancestors for the breadcrumbs (path IN the node's path prefixes)
# 6. the branches sitting directly at the node, with organisation, venue, group count
# 7. the node's children
# 8. the community paths in the subtree (counted per child in Python)
# 9. active branches in the subtree, counted per organisation path (GROUP BY)

ORG_TREE = PER_REQUEST + 1
# 4. the user's top nodes; with one top node the page redirects straight into it

BRANCH_LIST = PER_REQUEST + 2
# 4. COUNT(*) of the visible active branches (for the paginator)
# 5. one page (25) of branches with organisation, parent organisation, venue, group count

BRANCH_DETAIL = PER_REQUEST + 2
# 4. the branch with its organisation and venue (get_for_user)
# 5. the figures version of its street, which keys its panels as kept (branches.views)
BRANCH_DETAIL_UNKEPT = BRANCH_DETAIL + 5  # the panels rendered:
# 6. its party groups
# 7. members' section: active members and full members of the branch (one aggregate)
# 8. members' section: the branch committee's current term (none here, so no posts query)
# 9. members' section: the party groups' current leaders
# 10. members' section: the branch's current seconded members (选派), with their units


@dataclass
class Seeded:
    district: object
    branch: object
    branch_count: int
    street_count: int


@pytest.fixture(params=SIZES)
def seeded(request, client):
    structure = seed_structure(
        rng=random.Random(2026), size=request.param, today=datetime.date(2026, 11, 1)
    )
    district = structure.districts[0]
    client.force_login(f.user(username="district", role=Role.DISTRICT_STAFF, node=district))
    branches = [b for b in structure.branches if b.organization.path.startswith(district.path)]
    return Seeded(
        district=district,
        # the busiest branch: the most party groups
        branch=max(branches, key=lambda b: sum(g.branch is b for g in structure.groups)),
        branch_count=len(branches),
        street_count=sum(s.parent_id == district.pk for s in structure.streets),
    )


def test_the_district_size_really_is_bigger(seeded):
    if seeded.street_count == DEMO_SIZES["small"].streets_per_district:
        assert seeded.branch_count < 20
    else:
        assert seeded.street_count == 13
        assert seeded.branch_count > 300


def test_the_org_tree_entry_runs_a_fixed_number_of_queries(
    seeded, client, django_assert_num_queries
):
    with django_assert_num_queries(ORG_TREE):
        response = client.get(reverse("branches:org_tree"))
    assert response.status_code == 302
    assert response.url == reverse("branches:org_detail", args=[seeded.district.pk])


def test_the_district_page_runs_a_fixed_number_of_queries(
    seeded, client, django_assert_num_queries
):
    with django_assert_num_queries(ORG_DETAIL):
        response = client.get(reverse("branches:org_detail", args=[seeded.district.pk]))
    assert response.status_code == 200
    children = response.context["children"]
    assert len(children) == seeded.street_count
    assert {child.level for child in children} == {Level.STREET}
    # The per-street counts, checked against a plain count per street.
    subtree = Organization.objects.subtree
    assert {c.pk: (c.community_count, c.branch_count) for c in children} == {
        c.pk: (
            subtree(c).filter(level=Level.COMMUNITY).count(),
            Branch.objects.active().filter(organization__in=subtree(c)).count(),
        )
        for c in children
    }
    assert all(child.community_count >= 3 for child in children)


def test_the_branch_list_runs_a_fixed_number_of_queries(seeded, client, django_assert_num_queries):
    with django_assert_num_queries(BRANCH_LIST):
        response = client.get(reverse("branches:branch_list"))
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count >= seeded.branch_count - 1
    assert len(page.object_list) == min(25, page.paginator.count)
    html = response.content.decode()
    assert all(branch.name in html for branch in page.object_list)
    shown = {branch.pk: branch.group_count for branch in page.object_list}
    assert shown == {pk: PartyGroup.objects.filter(branch_id=pk).count() for pk in shown}


def test_a_later_page_of_the_branch_list_costs_the_same(seeded, client, django_assert_num_queries):
    with django_assert_num_queries(BRANCH_LIST):
        response = client.get(reverse("branches:branch_list"), {"page": 2, "kind": "community"})
    assert response.status_code == 200


def test_the_branch_page_runs_a_fixed_number_of_queries(seeded, client, django_assert_num_queries):
    url = reverse("branches:branch_detail", args=[seeded.branch.pk])
    with django_assert_num_queries(BRANCH_DETAIL_UNKEPT):
        response = client.get(url)
    assert response.status_code == 200
    groups = response.context["groups"]
    assert len(groups) >= 2
    with django_assert_num_queries(BRANCH_DETAIL):
        response = client.get(url)
    html = response.content.decode()
    assert seeded.branch.name in html
    assert all(group.name in html for group in groups)
