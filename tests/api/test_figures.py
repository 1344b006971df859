"""GET /api/v1/compliance/ and /api/v1/figures/...: cadence compliance from the
compliance selector, dashboard figures from the dashboards' cache, strict period
parameters (400 in Chinese), 404 outside the scope, constant query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.meetings import compliance
from activities.meetings.models import Meeting, MeetingKind, MeetingStatus

from .. import factories as f
from ..activities.conftest import record

COMPLIANCE = "/api/v1/compliance/"
D = datetime.date


def figures_url(node):
    return f"/api/v1/figures/organizations/{node.pk}/"


def held(branch, kind, day):
    return Meeting.objects.create(
        branch=branch,
        kind=kind,
        status=MeetingStatus.HELD,
        topic="测试",
        planned_on=day,
        held_on=day,
    )


def ok(response):
    assert response.status_code == 200, response.content
    return response.json()


# --- Compliance ------------------------------------------------------------------------


def test_a_branchs_year_of_theme_days_is_counted_as_on_the_compliance_page(api_for, cast):
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 1, 10))
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 3, 10))
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 3, 20))  # twice in March: one month
    record(branch=cast.branch_a, held_on=D(2025, 2, 12))  # both members present
    body = ok(
        api_for("branch_secretary").get(
            COMPLIANCE, {"branch": cast.branch_a.pk, "period": "year", "year": "2025"}
        )
    )
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["branch"]["id"] == cast.branch_a.pk
    assert row["period"] == {
        "period": "year",
        "period_display": "年度",
        "start": "2025-01-01",
        "end": "2025-12-31",
    }
    kinds = {k["kind"]: k for k in row["kinds"]}
    assert list(kinds) == list(MeetingKind.values)
    theme = kinds["theme_day"]
    assert theme["kind_display"] == "主题党日"
    assert (theme["required"], theme["counted"], theme["held"]) == (12, 2, 3)
    assert theme["status"] == "behind"
    assert theme["status_display"] == "未达标"
    months = [(p["start"], p["status"]) for p in theme["periods"]]
    assert months[:3] == [("2025-01-01", "met"), ("2025-02-01", "behind"), ("2025-03-01", "met")]
    # No committee term: committee meetings are not owed.
    assert kinds["committee"]["status"] == "not_required"
    assert row["attendance"] == {
        "expected": 2,
        "present": 2,
        "remote": 0,
        "excused": 0,
        "absent": 0,
        "made_up": 0,
        "rate": 1.0,
    }
    # The same tally as the compliance page's own count over the attendance rows.
    page = compliance.branch_rates([cast.branch_a.pk], D(2025, 1, 1), D(2025, 12, 31))
    assert row["attendance"]["expected"] == page[cast.branch_a.pk].expected
    assert row["attendance"]["present"] == page[cast.branch_a.pk].present


def test_a_month_and_one_kind(api_for, cast):
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 3, 10))
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 3, 20))
    body = ok(
        api_for("community_secretary").get(
            COMPLIANCE, {"period": "month", "year": "2025", "month": "3", "kind": "theme_day"}
        )
    )
    (row,) = body["results"]
    (theme,) = row["kinds"]
    assert (theme["required"], theme["counted"], theme["held"], theme["status"]) == (
        1,
        1,
        2,
        "met",
    )


def test_compliance_lists_the_scope_and_narrows_to_a_node(api_for, cast):
    api = api_for("district_staff")
    ids = [r["branch"]["id"] for r in ok(api.get(COMPLIANCE))["results"]]
    assert ids == [cast.functional_a.pk, cast.branch_a.pk, cast.branch_a2.pk]
    ids = [
        r["branch"]["id"]
        for r in ok(api.get(COMPLIANCE, {"organization": cast.street_a2.pk}))["results"]
    ]
    assert ids == [cast.branch_a2.pk]
    assert api.get(COMPLIANCE, {"organization": cast.district_b.pk}).status_code == 404
    assert api.get(COMPLIANCE, {"branch": cast.branch_b.pk}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"period": "week"},
        {"year": "1999"},
        {"year": "²⁰²⁵"},
        {"quarter": "5"},
        {"month": "3"},  # a quarter's period (the default) takes no month
        {"period": "year", "quarter": "2"},
        {"kind": "party"},
        {"organization": "x"},
    ],
)
def test_bad_periods_are_400_in_chinese(api_for, query):
    response = api_for("district_staff").get(COMPLIANCE, query)
    assert response.status_code == 400
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(response.json())), response.json()


def test_compliance_runs_the_same_queries_for_2_or_20_branches(api_for, cast):
    api = api_for("district_staff")
    api.get(COMPLIANCE)
    query = {"organization": cast.community_a2.pk, "period": "year", "year": "2025"}

    def add(n, start):
        for i in range(start, start + n):
            branch = f.branch(organization=cast.community_a2, name=f"合规支部{i:02d}")
            held(branch, MeetingKind.THEME_DAY, D(2025, 5, 1))

    add(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert ok(api.get(COMPLIANCE, query))["count"] == 3
    add(18, 2)
    with CaptureQueriesContext(connection) as many:
        assert ok(api.get(COMPLIANCE, query))["count"] == 21
    assert len(many) == len(few)


# --- Figures ---------------------------------------------------------------------------


def test_a_communitys_figures_are_the_dashboards(api_for, cast):
    record(branch=cast.branch_a, held_on=D(2025, 2, 12))
    body = ok(
        api_for("community_secretary").get(
            figures_url(cast.community_a), {"period": "year", "year": "2025"}
        )
    )
    assert body["subject"] == {
        "id": cast.community_a.pk,
        "name": "翠园社区",
        "level": "community",
        "level_display": "社区",
    }
    figures = body["figures"]
    # 4 active residents of 翠园社区, 2 of them registered (accepted).
    assert (figures["residents"], figures["registered"], figures["unregistered"]) == (4, 2, 2)
    assert figures["registration_coverage"] == 0.5
    assert figures["branches"] == 1
    assert figures["home_members"] == 2
    assert figures["attendance"]["expected"] == 2
    assert figures["attendance"]["rate"] == 1.0
    assert figures["care_needs"] == 0 and figures["care_coverage"] is None
    assert {w["code"]: w["branches"] for w in figures["warnings"]}["too_few"] == 1
    assert [u["id"] for u in body["units"]] == [cast.branch_a.pk]


def test_the_district_figures_are_read_from_the_cache(api_for, cast):
    api = api_for("district_staff")
    url = figures_url(cast.district_a)
    api.get("/api/v1/me/")
    with CaptureQueriesContext(connection) as first:
        body = ok(api.get(url))
    with CaptureQueriesContext(connection) as second:
        assert ok(api.get(url)) == body
    assert len(second) < len(first)
    assert body["figures"]["residents"] == 4
    assert body["figures"]["branches"] == 3
    assert [u["name"] for u in body["units"]] == ["和平街道", "新华街道"]
    # The same numbers as the dashboard page shows (one cache, one source).
    assert api_for("district_staff").get(url).json() == body


def test_figures_of_a_node_or_branch_outside_the_scope_are_404(api_for, cast):
    api = api_for("district_staff")
    assert api.get(figures_url(cast.district_b)).status_code == 404
    assert api.get(f"/api/v1/figures/branches/{cast.branch_b.pk}/").status_code == 404
    assert api.get(figures_url(cast.district_b), {"period": "bad"}).status_code == 404
    assert api.get(figures_url(cast.district_a), {"period": "bad"}).status_code == 400


def test_a_branchs_figures(api_for, cast):
    record(branch=cast.branch_a, held_on=D(2025, 2, 12))
    body = ok(
        api_for("street_staff").get(
            f"/api/v1/figures/branches/{cast.branch_a.pk}/",
            {"period": "quarter", "year": "2025", "quarter": "1"},
        )
    )
    assert body["subject"]["level"] == "branch"
    assert body["period"]["start"] == "2025-01-01"
    assert body["figures"]["attendance"]["present"] == 2
    assert body["figures"]["home_members"] == 2
