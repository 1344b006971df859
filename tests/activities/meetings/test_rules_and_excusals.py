"""Cadence rules as data (seeded from DOMAIN.md, edited by district staff) and excusals."""

import datetime

from django.urls import reverse

from accounts.models import AuditEntry
from activities.meetings.models import CadenceRule, Excusal, MeetingKind

D = datetime.date


def test_the_data_migration_seeds_one_default_rule_per_kind(db):
    rules = {r.kind: r for r in CadenceRule.objects.filter(district__isnull=True)}
    assert set(rules) == set(MeetingKind.values)
    assert (rules["general_assembly"].period, rules["general_assembly"].minimum_count) == (
        "quarter",
        1,
    )
    assert rules["committee"].period == rules["theme_day"].period == "month"
    assert rules["group"].per_group and rules["group"].period == "month"
    assert rules["lecture"].period == "quarter"
    assert rules["life_meeting"].period == rules["appraisal"].period == "year"
    assert all(
        (r.valid_to is None and "条例" in r.source_note) or r.source_note for r in rules.values()
    )
    assert rules["committee"].valid_from == D(2018, 10, 28)


def test_district_staff_add_a_rule_for_their_district(cast, client_for):
    response = client_for("district_staff").post(
        reverse("activities:rule_create"),
        {
            "district": cast.district_a.pk,
            "kind": "lecture",
            "period": "month",
            "minimum_count": 1,
            "valid_from": "2026-01-01",
            "source_note": "东城区委老干部局：党课每月一次",
        },
    )
    assert response.status_code == 302
    rule = CadenceRule.objects.get(district=cast.district_a)
    assert rule.updated_by == cast.user("district_staff")
    assert AuditEntry.objects.filter(object_type="activities.cadencerule").count() == 1


def test_district_staff_cannot_write_another_districts_rule(cast, client_for):
    response = client_for("district_b_staff").post(
        reverse("activities:rule_create"),
        {
            "district": cast.district_a.pk,
            "kind": "lecture",
            "period": "month",
            "minimum_count": 1,
            "valid_from": "2026-01-01",
            "source_note": "越权",
        },
    )
    assert response.status_code == 200  # the form refuses the district
    assert not CadenceRule.objects.filter(district=cast.district_a).exists()


def test_only_a_city_level_grant_edits_the_defaults(cast, client_for):
    rule = CadenceRule.objects.get(district__isnull=True, kind="theme_day")
    url = reverse("activities:rule_edit", args=[rule.pk])
    data = {
        "district": "",
        "kind": "theme_day",
        "period": "month",
        "minimum_count": 2,
        "valid_from": "2018-10-28",
        "source_note": rule.source_note,
    }
    assert client_for("district_staff").post(url, data).status_code == 403
    rule.refresh_from_db()
    assert rule.minimum_count == 1
    assert client_for("city_admin").post(url, data).status_code == 302
    rule.refresh_from_db()
    assert rule.minimum_count == 2


def test_two_rules_for_one_kind_may_not_overlap_in_time(cast, client_for):
    response = client_for("city_admin").post(
        reverse("activities:rule_create"),
        {
            "district": "",
            "kind": "appraisal",
            "period": "year",
            "minimum_count": 2,
            "valid_from": "2026-01-01",
            "source_note": "重复",
        },
    )
    assert "这段时间内已有该类会议的另一条规则生效" in response.content.decode()


def test_the_rule_list_shows_the_defaults_and_the_districts_own(cast, client_for):
    CadenceRule.objects.create(
        district=cast.district_b,
        kind="lecture",
        period="month",
        valid_from=D(2026, 1, 1),
        source_note="西湖区规则",
    )
    html = client_for("district_staff").get(reverse("activities:rule_list")).content.decode()
    assert "全市默认（各区通用）" in html
    assert "西湖区规则" not in html


def test_street_staff_excuse_a_branch_for_a_quarter(cast, client_for):
    response = client_for("street_staff").post(
        reverse("activities:excusal_create", args=[cast.branch_a.pk]),
        {
            "period": "quarter",
            "period_start": "2025-08-15",
            "kind": "",
            "reason": "活动室改造",
            "approved_by": "和平街道党工委 王委员",
            "approved_on": "2025-07-01",
        },
    )
    assert response.status_code == 302
    excusal = Excusal.objects.get()
    assert (excusal.period_start, excusal.kind) == (D(2025, 7, 1), "")
    assert excusal.created_by == cast.user("street_staff")
    page = client_for("street_staff").get(
        reverse("activities:branch_compliance", args=[cast.branch_a.pk]) + "?year=2025"
    )
    assert "活动室改造" in page.content.decode()


def test_the_same_excusal_twice_is_refused(cast, client_for):
    data = {
        "period": "month",
        "period_start": "2025-08-15",
        "kind": "theme_day",
        "reason": "高温",
        "approved_by": "街道",
        "approved_on": "2025-08-01",
    }
    client = client_for("street_staff")
    url = reverse("activities:excusal_create", args=[cast.branch_a.pk])
    client.post(url, data)
    response = client.post(url, data)
    assert "该支部这一期间已有免于考核记录。" in response.content.decode()
    assert Excusal.objects.count() == 1


def test_a_secretary_cannot_excuse_their_own_branch(cast, client_for):
    response = client_for("community_secretary").get(
        reverse("activities:excusal_create", args=[cast.branch_a.pk])
    )
    assert response.status_code == 403
