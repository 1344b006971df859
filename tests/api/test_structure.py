"""GET /api/v1/organizations/ and /api/v1/branches/: the tree and the branches as the
structure pages show them, committee status and structure warnings as the branch page
and the dashboards compute them, strict parameters, constant query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import CommitteeTerm, Position, Post
from members.selectors import branch_structure

from .. import factories as f

ORGS = "/api/v1/organizations/"
BRANCHES = "/api/v1/branches/"


def names(response):
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


# --- Organisations ---------------------------------------------------------------------


def test_a_community_token_sees_its_community_only(api_for, cast):
    body = api_for("community_secretary").get(ORGS).json()
    assert body["count"] == 1
    (node,) = body["results"]
    assert node == {
        "id": cast.community_a.pk,
        "code": "319901001001",
        "name": "翠园社区",
        "level": "community",
        "level_display": "社区",
        "parent": cast.street_a.pk,
        "depth": 3,
    }


def test_the_district_sees_its_subtree_in_path_order_and_no_ancestor(api_for, cast):
    assert names(api_for("district_staff").get(ORGS)) == [
        "东城区",
        "和平街道",
        "翠园社区",
        "新华街道",
        "枫林社区",
    ]


def test_a_detail_names_the_ancestors_as_the_breadcrumbs_do(api_for, cast):
    body = api_for("street_staff").get(f"{ORGS}{cast.community_a.pk}/").json()
    assert [a["name"] for a in body["ancestors"]] == ["滨海市", "东城区", "和平街道"]
    # ... but the ancestors themselves are outside the scope.
    assert api_for("street_staff").get(f"{ORGS}{cast.district_a.pk}/").status_code == 404


def test_organisations_filter_by_level_and_parent(api_for, cast):
    api = api_for("district_staff")
    assert names(api.get(ORGS, {"level": "community"})) == ["翠园社区", "枫林社区"]
    assert names(api.get(ORGS, {"parent": cast.district_a.pk})) == ["和平街道", "新华街道"]
    assert names(api.get(ORGS, {"parent": cast.district_b.pk})) == []


@pytest.mark.parametrize(
    "query",
    [
        {"level": "province"},
        {"parent": "²"},
        {"parent": "١"},
        {"parent": "abc"},
        {"parent": str(10**30)},
        {"parent": "0"},
    ],
)
def test_bad_organisation_parameters_are_400_in_chinese(api_for, query):
    response = api_for("district_staff").get(ORGS, query)
    assert response.status_code == 400
    message = str(response.json())
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_a_nul_byte_is_refused_and_huge_pages_are_not_found(api_for):
    api = api_for("district_staff")
    assert api.get(ORGS, {"level": "city\x00"}).status_code == 400
    for page in ("99999999999999999999", "²"):
        response = api.get(ORGS, {"page": page})
        assert response.status_code == 404
        assert response.json()["detail"] == "无效页面。"


# --- Branches --------------------------------------------------------------------------


def _healthy(branch, community, today):
    """Three full members placed in the branch and a current term with a secretary: no
    structure warning."""
    members = []
    for i in range(3):
        member = f.member(name=f"健康{i}", community=community)
        f.registration(member=member, branch=branch)
        members.append(member)
    term = CommitteeTerm.objects.create(
        branch=branch,
        starts_on=today - datetime.timedelta(days=400),
        ends_on=today + datetime.timedelta(days=1000),
        has_committee=False,
    )
    Position.objects.create(term=term, post=Post.SECRETARY, member=members[0])
    return term


def test_a_community_token_sees_its_branch_with_counts_status_and_warnings(api_for, cast):
    body = api_for("community_secretary").get(BRANCHES).json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["id"] == cast.branch_a.pk
    assert row["kind"] == "community"
    assert row["kind_display"] == "社区离退休干部党支部"
    assert row["organization"]["id"] == cast.community_a.pk
    assert row["group_count"] == 1
    # member_a and member_a_bedridden are placed in branch_a (both full members).
    assert row["member_count"] == 2
    assert row["full_member_count"] == 2
    assert row["committee_status"] == "none"
    assert row["committee_status_display"] == "无在任届次"
    assert row["current_term"] is None
    codes = [w["code"] for w in row["warnings"]]
    assert codes == ["too_few", "no_term"]
    # The same codes as the branch page's own computation.
    page = {w.code for w in branch_structure(cast.branch_a).warnings}
    assert set(codes) == page
    assert row["warnings"][0]["label"] == "正式党员少于3人"


def test_a_current_term_gives_the_committee_status_and_dates(api_for, cast):
    today = timezone.localdate()
    term = _healthy(cast.branch_a, cast.community_a, today)
    row = api_for("community_secretary").get(f"{BRANCHES}{cast.branch_a.pk}/").json()
    assert row["committee_status"] == "secretary_only"
    assert row["current_term"] == {
        "number": 1,
        "starts_on": term.starts_on.isoformat(),
        "ends_on": term.ends_on.isoformat(),
        "has_committee": False,
    }
    assert row["member_count"] == 5
    assert row["warnings"] == []
    assert branch_structure(cast.branch_a).warnings == []


def test_the_district_lists_its_branches_in_tree_order_and_filters_them(api_for, cast):
    api = api_for("district_staff")
    everything = [
        "和平街道银发志愿服务队功能型党支部",
        "翠园社区离退休干部党支部",
        "枫林社区离退休干部党支部",
    ]
    assert names(api.get(BRANCHES)) == everything
    assert names(api.get(BRANCHES, {"kind": "functional"})) == [everything[0]]
    assert names(api.get(BRANCHES, {"organization": cast.street_a2.pk})) == [everything[2]]
    assert names(api.get(BRANCHES, {"organization": cast.district_b.pk})) == []
    _healthy(cast.branch_a2, cast.community_a2, timezone.localdate())
    assert names(api.get(BRANCHES, {"has_warnings": "0"})) == [everything[2]]
    assert names(api.get(BRANCHES, {"has_warnings": "1"})) == everything[:2]
    assert names(api.get(BRANCHES, {"has_warnings": "1", "kind": "community"})) == [everything[1]]


def test_dissolved_branches_only_when_asked(api_for, cast):
    cast.branch_a2.established_on = datetime.date(2020, 1, 1)
    cast.branch_a2.dissolved_on = datetime.date(2025, 1, 1)
    cast.branch_a2.save()
    api = api_for("district_staff")
    assert "枫林社区离退休干部党支部" not in names(api.get(BRANCHES))
    rows = api.get(BRANCHES, {"include_dissolved": "1"}).json()["results"]
    dissolved = next(r for r in rows if r["id"] == cast.branch_a2.pk)
    assert dissolved["is_dissolved"] is True
    assert dissolved["warnings"] == []  # a dissolved branch is not warned about
    # Its detail stays readable.
    assert api.get(f"{BRANCHES}{cast.branch_a2.pk}/").status_code == 200


@pytest.mark.parametrize(
    "query", [{"kind": "club"}, {"has_warnings": "yes"}, {"organization": "³"}]
)
def test_bad_branch_parameters_are_400(api_for, query):
    response = api_for("district_staff").get(BRANCHES, query)
    assert response.status_code == 400
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(response.json()))


def _many_branches(cast, n):
    for i in range(n):
        branch = f.branch(organization=cast.community_a2, name=f"测试支部{i:02d}")
        f.group(branch=branch)
        member = f.member(name=f"成员{i}", community=cast.community_a2)
        f.registration(member=member, branch=branch)
        CommitteeTerm.objects.create(
            branch=branch,
            starts_on=datetime.date(2024, 1, 1),
            ends_on=datetime.date(2099, 1, 1),
        )


def _count(api, url, query=None):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, query or {})
    assert response.status_code == 200
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("query", [{}, {"has_warnings": "1"}])
def test_the_branch_list_runs_the_same_queries_for_2_or_20_branches(api_for, cast, query):
    api = api_for("district_staff")
    api.get(BRANCHES)  # the token's first use writes its last-use time
    _many_branches(cast, 2)
    few, n_few = _count(api, BRANCHES, query)
    _many_branches(cast, 18)
    many, n_many = _count(api, BRANCHES, query)
    assert n_many > n_few
    assert many == few


def test_the_organisation_list_query_count_is_pinned(api_for, cast, django_assert_num_queries):
    api = api_for("district_staff")
    api.get(ORGS)
    # The token, the scope, count, the page, the request log's row.
    with django_assert_num_queries(5):
        assert api.get(ORGS).json()["count"] == 5
    for i in range(20):
        f.org(name=f"社区{i}", level="community", parent=cast.street_a2)
    with django_assert_num_queries(5):
        assert api.get(ORGS).json()["count"] == 25


def test_the_branch_list_query_count_is_pinned(api_for, cast, django_assert_num_queries):
    api = api_for("district_staff")
    api.get(BRANCHES)
    _many_branches(cast, 2)
    # The token, the scope, count, the page (with its group counts), the current terms,
    # the structure's three aggregates (home members, functional members, terms), the
    # request log's row.
    with django_assert_num_queries(9):
        assert api.get(BRANCHES).json()["count"] == 5
    _many_branches(cast, 18)
    with django_assert_num_queries(9):
        assert api.get(BRANCHES).json()["count"] == 23
