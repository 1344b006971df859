"""The roster runs a fixed number of queries at small and at district size (the seeded
tree of tests/branches/test_query_counts.py: ~250 communities and ~350 branches in the
filter's lists), and its filter lists every community and branch of the scope."""

import datetime
import random

import pytest
from django.urls import reverse

from branches.demo import seed_structure
from branches.models import Branch, Level, Organization
from members.models import Member
from members.views.shared import PAGE_SIZE

from .. import factories as f
from ..factories import Role

pytestmark = pytest.mark.django_db

ROSTER = 3 + 3
# 1-3. the session, the user, the user's staff roles (every page)
# 4. the figures version of the user's nodes, which keys the roster's area as kept: the
#    count of the unfiltered roster (the paginator's), the filter's communities and
#    active branches (members.selectors.roster_area)
# 5. one page of members with community, branch, group, unit and live registration
# 6. the filter's original units (pk, name)
ROSTER_UNKEPT = ROSTER + 3  # the area read: its count, communities and branches


@pytest.fixture(params=["small", "district"])
def district(request, client):
    structure = seed_structure(
        rng=random.Random(2026), size=request.param, today=datetime.date(2026, 11, 1)
    )
    district = structure.districts[0]
    communities = Organization.objects.filter(
        level=Level.COMMUNITY, path__startswith=district.path
    ).order_by("path")
    for n, community in enumerate(communities[: PAGE_SIZE + 10]):
        f.member(name=f"成员{n}", community=community)
    client.force_login(f.user(username="district", role=Role.DISTRICT_STAFF, node=district))
    return district


def test_the_roster_runs_a_fixed_number_of_queries(district, client, django_assert_num_queries):
    members = Member.objects.filter(community__path__startswith=district.path).count()
    with django_assert_num_queries(ROSTER_UNKEPT):
        response = client.get(reverse("members:roster"))
    assert response.context["page"].paginator.count == members
    for query in ({}, {"page": 2}):
        with django_assert_num_queries(ROSTER):
            response = client.get(reverse("members:roster"), query)
        assert response.status_code == 200
        assert response.context["page"].paginator.count == members
    html = response.content.decode()
    communities = Organization.objects.filter(level=Level.COMMUNITY, path__startswith=district.path)
    branches = Branch.objects.active().filter(organization__path__startswith=district.path)
    assert html.count('<option value="') >= communities.count() + branches.count()
    assert all(f'<option value="{b.pk}">{b.name}</option>' in html for b in branches[:50])
