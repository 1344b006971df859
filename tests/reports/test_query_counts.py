"""Every dashboard runs the same number of queries whatever the size of the data: the
hand-counted fixture, then the same district grown by streets, communities, branches,
party groups, members, registrations, terms, memberships, meetings, attendance, make-ups
and excusals. A loop over branches or members would make the second count larger."""

import datetime
import itertools

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities import summaries
from activities.meetings.models import Attendance, Excusal, MakeUp, Meeting, MeetingStatus
from branches.models import Branch, Level, Organization, PartyGroup
from members.models import (
    BranchMembership,
    CommitteeTerm,
    CommunityRegistration,
    Member,
    Position,
    Post,
)
from members.validators import make_id_number
from reports.cache import COMPOSE_QUERIES, HEAT_QUERIES, VERSION_QUERIES
from reports.selectors.build import BRANCH_QUERIES, NODE_QUERIES
from rollout.completeness.selectors import AREA_QUERIES

pytestmark = pytest.mark.django_db

# The request's own: session, user, the user's grants (scope), the node or branch, its
# breadcrumbs. Then the dashboard's (reports/selectors/build.py).
REQUEST = 5
Q1 = "?period=quarter&year=2026&quarter=1"
YEAR = "?period=year&year=2026"
_seq = itertools.count(500)


def grow(district, *, streets=3, communities=4, members=12):
    """Add streets x communities, each with two branches (two party groups each), members
    registered into them, a committee term, a functional branch per street and a year of
    meetings with full attendance lists."""
    today = datetime.date(2026, 5, 20)
    for s in range(streets):
        code = f"{district.code}{900 + s}"
        street = Organization.objects.create(
            name=f"增长街道{s}", code=code, level=Level.STREET, parent=district
        )
        functional = Branch.objects.create(
            organization=street, name=f"增长街道{s}功能型党支部", kind="functional"
        )
        for c in range(communities):
            community = Organization.objects.create(
                name=f"增长社区{s}-{c}",
                code=f"{code}{c:03d}",
                level=Level.COMMUNITY,
                parent=street,
            )
            for b in range(2):
                branch = Branch.objects.create(
                    organization=community, name=f"增长社区{s}-{c}第{b}支部", is_pilot=b == 0
                )
                groups = [
                    PartyGroup.objects.create(branch=branch, name=f"第{g}党小组") for g in range(2)
                ]
                people = []
                for n in range(members):
                    k = next(_seq)
                    born = datetime.date(1945, 1 + k % 12, 1 + k % 28)
                    people.append(
                        Member(
                            name=f"成员{k}",
                            gender="male",
                            birth_date=born,
                            id_number=make_id_number("319901", born, k, male=True),
                            community=community,
                            home_branch=branch,
                            party_group=groups[n % 2],
                            full_member_on=datetime.date(1975, 1, 1),
                        )
                    )
                Member.objects.bulk_create(people)
                CommunityRegistration.objects.bulk_create(
                    CommunityRegistration(
                        member=p,
                        community=community,
                        status="accepted" if i % 3 else "reported",
                        reported_on=datetime.date(2024, 1, 1),
                        branch=branch,
                    )
                    for i, p in enumerate(people)
                )
                BranchMembership.objects.create(member=people[0], branch=functional)
                term = CommitteeTerm.objects.create(
                    branch=branch,
                    starts_on=datetime.date(2022, 1, 1),
                    ends_on=datetime.date(2027, 1, 1),
                )
                Position.objects.create(term=term, post=Post.SECRETARY, member=people[0])
                Excusal.objects.create(
                    branch=branch,
                    period="month",
                    period_start=datetime.date(2026, 2, 1),
                    reason="改造",
                    approved_by="区",
                    approved_on=datetime.date(2026, 2, 1),
                )
                for month in range(1, 6):
                    for kind, group in (("theme_day", None), ("group", groups[0])):
                        day = datetime.date(2026, month, 6)
                        meeting = Meeting.objects.create(
                            branch=branch,
                            kind=kind,
                            party_group=group,
                            status=MeetingStatus.HELD,
                            topic="学习",
                            planned_on=day,
                            held_on=day if day <= today else None,
                        )
                        lines = Attendance.objects.bulk_create(
                            Attendance(
                                meeting=meeting,
                                member=p,
                                status="absent" if i % 4 == 0 else "present",
                            )
                            for i, p in enumerate(people)
                        )
                        MakeUp.objects.create(
                            attendance=lines[0],
                            made_up_on=day,
                            delivered_by="书记",
                            material="材料",
                        )
    summaries.rebuild()  # bulk-written past the services, as a data load would be


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


# A node's page found in the cache: its version, the heat map page.
NODE_CACHED = VERSION_QUERIES + HEAT_QUERIES
# The year end of the area (activities.year_end.selectors.area_summary), not cached.
YEAR_END = 1
# The city's: its districts with their versions, whether a branch sits on it, the page.
CITY = COMPOSE_QUERIES + HEAT_QUERIES


# A node's page whose rendered body is kept (reports.cache.page_key): the body's key
# reads the node's figures version first (one query); found, the page runs only the
# request's own queries but the breadcrumbs, and that version.
PAGE_KEY = VERSION_QUERIES
PAGE_KEPT = REQUEST - 1 + PAGE_KEY


# The data completeness card (rollout.completeness.selectors.cached_area): computed
# (AREA_QUERIES) on a node's first page, then kept under its figures version (one query,
# Organization.figures_key), read again by the city every time (its page is never kept).
COMPLETENESS = AREA_QUERIES
COMPLETENESS_VERSION = 1


def urls(cast):
    """(url, queries of a first and of a second request), in the order requested, the
    cache empty before the first. A district is composed of its streets' dashboards,
    assembled from one set of queries over the district however many streets it has.
    Below the city each node's page also counts its year end (YEAR_END) and, once
    rendered, is served from the cache (PAGE_KEPT) until its figures' version moves."""
    district = NODE_CACHED + COMPOSE_QUERIES + NODE_QUERIES
    node = NODE_CACHED + YEAR_END
    return [
        (
            reverse("reports:org_dashboard", args=[cast.district_a.pk]),
            REQUEST + PAGE_KEY + district + YEAR_END + COMPLETENESS_VERSION + COMPLETENESS,
            PAGE_KEPT,
        ),
        # Its figures cached when its district was composed; its page not yet.
        (
            reverse("reports:org_dashboard", args=[cast.street_a.pk]),
            REQUEST + PAGE_KEY + node + COMPLETENESS_VERSION + COMPLETENESS,
            PAGE_KEPT,
        ),
        (
            reverse("reports:org_dashboard", args=[cast.community_a.pk]),
            REQUEST + PAGE_KEY + node + NODE_QUERIES + COMPLETENESS_VERSION + COMPLETENESS,
            PAGE_KEPT,
        ),
        (
            reverse("reports:branch_dashboard", args=[cast.branch_a.pk]),
            REQUEST + PAGE_KEY + BRANCH_QUERIES,
            PAGE_KEPT,
        ),
        # The city is composed of its districts' dashboards: district A's is cached by
        # now, district B's is composed of its one street's (no rule governs it in the
        # fixture, so compliance stops after reading the rules: four queries fewer). Its
        # body is not kept (its figures go by every district's version).
        (
            reverse("reports:org_dashboard", args=[cast.city.pk]),
            REQUEST
            + CITY
            + COMPOSE_QUERIES
            + NODE_QUERIES
            - 4
            + COMPLETENESS_VERSION
            + COMPLETENESS,
            REQUEST + CITY + COMPLETENESS_VERSION,
        ),
    ]


@pytest.mark.parametrize("period", [Q1, YEAR], ids=["quarter", "year"])
def test_every_dashboard_runs_a_fixed_number_of_queries_small_or_large(
    world, client_for, frozen_today, period
):
    client = client_for("city_admin")

    def measure():
        cache.clear()
        found = [
            (count(client, url + period), count(client, url + period))
            for url, _first, _second in urls(world.cast)
        ]
        expected = [(first, second) for _url, first, second in urls(world.cast)]
        assert found == expected

    measure()
    grow(world.cast.district_a)
    assert Branch.objects.count() > 30 and Attendance.objects.count() > 2000
    measure()


def test_the_drill_down_lists_run_a_fixed_number_of_queries(world, client_for, frozen_today):
    cast = world.cast
    client = client_for("district_staff")
    pages = [
        reverse("reports:org_members", args=[cast.district_a.pk]) + "?list=inactive",
        reverse("reports:org_members", args=[cast.district_a.pk]) + "?list=unregistered",
        reverse("reports:org_branches", args=[cast.district_a.pk]) + Q1 + "&list=behind",
        reverse("reports:org_branches", args=[cast.district_a.pk]) + "?list=pilot",
        reverse("reports:org_meetings", args=[cast.district_a.pk]) + Q1,
    ]
    # Each page twice: the list of branches behind reads the district's dashboard,
    # composed by its first request and cached for the second.
    small = [(count(client, url), count(client, url)) for url in pages]
    grow(cast.district_a)
    large = [(count(client, url), count(client, url)) for url in pages]
    assert [second for _first, second in large] == [second for _first, second in small]
    assert small[2][1] < small[2][0]
