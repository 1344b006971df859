"""数据完整率: the figures of an area (hand-counted on the cast), the list to fix, scope,
masking, the cache under the dashboards' figures version and flat query counts.

The cast's community_a (翠园社区) holds four active members (see tests/conftest.py):
- 赵德明 (member_a): everything but the joined-party date; placed in branch_a;
- 钱秀英 (bedridden): no address, no joined-party date, no unit named for a unit-held
  relation; placed in branch_a;
- 孙建国 (reported): unit_b's retiree, only reported: no phone, address, date, home
  branch, and not registered;
- 周玉兰 (unregistered): no phone, address, date, unit named, home branch.
branch_a has no committee term (no secretary) and two full members."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from branches.models import Organization
from members.models import Post
from members.services.committees import committee_term_create
from members.services.roster import member_update
from rollout.completeness import selectors
from rollout.completeness.selectors import AREA_QUERIES, Problem

from ... import factories as f

pytestmark = pytest.mark.django_db
URL = reverse("completeness:overview")
# The page of a cached community: session and user (2), grants (1), the areas (1) and
# the figures version (1), the list (count and page: 2), the base page's own (1).
PAGE_QUERIES = 8


def today():
    return timezone.localdate()


def test_a_community_is_counted_by_hand(cast):
    found = selectors.area_completeness(cast.community_a, today())
    t = found.total
    assert (t.members, t.complete, t.branches, t.communities) == (4, 0, 1, 1)
    assert dict(t.problems) == {
        Problem.PHONE: 2,
        Problem.ADDRESS: 3,
        Problem.JOINED_PARTY: 4,
        Problem.RELATION: 2,
        Problem.HOME_BRANCH: 2,
        Problem.UNREGISTERED: 1,
        Problem.NO_SECRETARY: 1,
    }
    assert t.rate == 0
    # Per branch: branch_a's two members, and the two placed nowhere.
    lines = {line.branch_pk: line.figures for line in found.lines}
    assert lines[cast.branch_a.pk].members == 2
    assert lines[cast.branch_a.pk].count(Problem.NO_SECRETARY) == 1
    assert lines[None].members == 2  # not in a branch of this community


def test_a_district_sums_its_streets_and_finds_a_community_without_a_branch(cast):
    f.org(name="新建社区", level="community", parent=cast.street_a2)
    member_update(
        member=cast.member_a, changes={"joined_party_on": datetime.date(1970, 7, 1)}, actor=None
    )
    found = selectors.area_completeness(cast.district_a, today())
    t = found.total
    # community_a's four members (赵德明 now complete), community_a2 has none.
    assert (t.members, t.complete) == (4, 1)
    assert t.rate_label == "25.0%"
    # branch_a, branch_a2, the street's functional branch: none has a secretary.
    assert (t.branches, t.count(Problem.NO_SECRETARY)) == (3, 3)
    assert (t.communities, t.count(Problem.NO_BRANCH)) == (3, 1)
    lines = {line.pk: line.figures for line in found.lines}
    assert lines[cast.street_a.pk].members == 4
    assert lines[cast.street_a2.pk].count(Problem.NO_BRANCH) == 1
    assert lines[cast.street_a2.pk].members == 0


def test_a_branch_of_seven_full_members_needs_a_committee(cast):
    for n in range(5):
        person = f.member(name=f"成员{n}", community=cast.community_a, phone="13800000000")
        f.registration(member=person, branch=cast.branch_a)
    t = selectors.area_completeness(cast.community_a, today()).total
    assert t.count(Problem.NO_COMMITTEE) == 1
    start = today() - datetime.timedelta(days=30)
    committee_term_create(
        branch=cast.branch_a,
        number=1,
        starts_on=start,
        ends_on=start.replace(year=start.year + 5),
        has_committee=False,
        holders={Post.SECRETARY: cast.member_a},
        actor=None,
    )
    t = selectors.area_completeness(cast.community_a, today()).total
    assert (t.count(Problem.NO_SECRETARY), t.count(Problem.NO_COMMITTEE)) == (0, 1)


def test_a_branch_secretary_counts_their_branch(cast):
    found = selectors.branches_completeness([cast.branch_a.pk], today())
    assert found.total.members == 2
    assert [line.branch_pk for line in found.lines] == [cast.branch_a.pk]


def test_the_area_figures_ask_the_same_queries_as_the_data_grows(cast, django_assert_num_queries):
    with django_assert_num_queries(AREA_QUERIES):
        selectors.area_completeness(cast.district_a, today())
    for n in range(30):
        community = f.org(name=f"社区{n}", level="community", parent=cast.street_a)
        branch = f.branch(organization=community)
        for m in range(3):
            person = f.member(name=f"成员{n}-{m}", community=community, original_unit=cast.unit_a)
            f.registration(member=person, branch=branch)
    with django_assert_num_queries(AREA_QUERIES):
        found = selectors.area_completeness(cast.district_a, today())
    assert found.total.members == 94


def test_the_cached_figures_move_with_an_audited_write(cast, django_assert_num_queries):
    def street():
        return Organization.objects.get(pk=cast.street_a.pk)

    first = selectors.cached_area(street(), today())
    node = street()
    with django_assert_num_queries(1):  # its version (Organization.figures_key)
        assert selectors.cached_area(node, today()).total.complete == first.total.complete
    selectors.cached_area(cast.community_a, today())
    with django_assert_num_queries(1):  # a community's: its street's version
        selectors.cached_area(cast.community_a, today())
    member_update(
        member=cast.member_a, changes={"joined_party_on": datetime.date(1970, 7, 1)}, actor=None
    )
    assert selectors.cached_area(street(), today()).total.complete == first.total.complete + 1


def test_the_list_shows_masked_identifiers_and_links_to_the_fix(cast, client_for):
    client = client_for("community_secretary")
    response = client.get(URL, {"problem": "address"})
    assert response.status_code == 200
    body = response.content.decode()
    rows = response.context["rows"]
    assert {m.pk for m in rows} == {
        cast.member_a_bedridden.pk,
        cast.member_a_reported.pk,
        cast.member_a_unregistered.pk,
    }
    number = cast.member_a_reported.id_number
    assert number not in body
    assert f"{number[:3]}***********{number[-4:]}" in body
    assert "13900001111" not in body and "139****1111" in body
    assert reverse("members:member_edit", args=[cast.member_a_bedridden.pk]) in body


def test_who_may_not_fix_a_member_gets_the_members_page_not_a_403(cast, client_for):
    # District staff read the list but edit no member: "去补全" led them to a 403.
    edit = reverse("members:member_edit", args=[cast.member_a_bedridden.pk])
    detail = reverse("members:member_detail", args=[cast.member_a_bedridden.pk])
    client = client_for("district_staff")
    body = client.get(URL, {"problem": "address"}).content.decode()
    assert edit not in body
    assert f'href="{detail}">查看' in body
    assert client.get(detail).status_code == 200
    register = reverse("members:registration_report", args=[cast.member_a_reported.pk])
    assert register not in client.get(URL, {"problem": "home_branch"}).content.decode()


def test_a_registration_problem_links_to_the_registration_page(cast, client_for):
    response = client_for("community_secretary").get(URL, {"problem": "home_branch"})
    body = response.content.decode()
    assert reverse("members:registration_report", args=[cast.member_a_reported.pk]) in body


def test_the_branch_and_community_lists_link_where_they_are_fixed(cast, client_for):
    empty = f.org(name="新建社区", level="community", parent=cast.street_a)
    client = client_for("district_staff")
    body = client.get(URL, {"problem": "no_branch"}).content.decode()
    assert f"{reverse('branches:branch_create')}?organization={empty.pk}" in body
    response = client.get(URL, {"problem": "no_secretary"})
    assert {row["pk"] for row in response.context["rows"]} == {
        cast.branch_a.pk,
        cast.branch_a2.pk,
        cast.functional_a.pk,
    }
    assert reverse("branches:branch_detail", args=[cast.branch_a.pk]) in response.content.decode()


def test_a_branch_secretary_lists_their_branch_only(cast, client_for):
    response = client_for("branch_secretary").get(URL, {"problem": "joined_party"})
    assert {m.pk for m in response.context["rows"]} == {
        cast.member_a.pk,
        cast.member_a_bedridden.pk,
    }
    assert response.context["node"] is None


def test_another_districts_staff_sees_nothing_of_district_a(cast, client_for):
    client = client_for("district_b_staff")
    assert client.get(URL, {"area": cast.street_a.pk}).status_code == 404
    response = client.get(URL, {"problem": "phone"})
    assert {m.pk for m in response.context["rows"]} == set()
    assert response.context["node"] == cast.district_b


@pytest.mark.parametrize(
    "query",
    [{"area": "1\x00"}, {"area": "²"}, {"area": "9" * 30}, {"problem": "nope"}, {"page": "0"}],
)
def test_a_bad_query_string_gives_the_page_with_a_message(cast, client_for, query):
    response = client_for("district_staff").get(URL, query)
    assert response.status_code in (200, 400, 404)
    if response.status_code == 200:
        assert "网址中的条件无法识别" in response.content.decode()


def test_the_page_asks_the_same_queries_as_the_data_grows(
    cast, client_for, django_assert_num_queries
):
    client = client_for("community_secretary")
    client.get(URL)  # warm the session and the cache
    with CaptureQueriesContext(connection) as first:
        client.get(URL)
    queries = len(first)  # read now: the next request empties the log
    for n in range(30):
        person = f.member(name=f"成员{n}", community=cast.community_a)
        f.registration(member=person, branch=cast.branch_a)
    client.get(URL)  # the factories write around the audit: the cached figures stay
    assert queries <= PAGE_QUERIES
    with django_assert_num_queries(queries):
        client.get(URL)
