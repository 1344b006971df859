"""GET /api/v1/members/: the roster, masked exactly as on the pages; unmasking only for a
role with can_view_sensitive that asks for it, audited like the member page's "show
full"; the unit liaison's limited view; filters; constant query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry

from .. import factories as f

MEMBERS = "/api/v1/members/"


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def by_name(response):
    return {row["name"]: row for row in rows(response)}


def test_a_community_token_sees_its_community_masked(api_for, cast):
    found = by_name(api_for("community_secretary").get(MEMBERS))
    # Active members of 翠园社区, by pinyin: 钱秀英 孙建国 赵德明 周玉兰.
    assert list(found) == ["钱秀英", "孙建国", "赵德明", "周玉兰"]
    zhao = found["赵德明"]
    member = cast.member_a
    assert zhao["view"] == "full"
    assert zhao["id_number"] == member.id_number[:3] + "*" * 11 + member.id_number[-4:]
    assert zhao["phone"] == "138****5678"
    assert zhao["address"] == "翠园社区解放****"
    assert zhao["unmasked"] is False
    # The community secretary may see health (as on the roster), not the rest unmasked.
    assert zhao["health"] == "good"
    assert zhao["health_display"] == "健康"
    assert zhao["community"] == {"id": cast.community_a.pk, "name": "翠园社区"}
    assert zhao["home_branch"] == {"id": cast.branch_a.pk, "name": cast.branch_a.name}
    assert zhao["party_group"] == {"id": cast.group_a.pk, "name": cast.group_a.name}
    assert zhao["original_unit"] == {"id": cast.unit_a.pk, "name": "东城区教育局"}
    assert zhao["birth_month"] == "1948-05"
    assert zhao["registration_status"] == "accepted"
    assert zhao["registration_status_display"] == "社区已接收"
    assert found["周玉兰"]["registration_status"] == "none"
    assert found["周玉兰"]["registration_status_display"] == "未报到"
    assert found["孙建国"]["registration_status"] == "reported"


def test_staff_without_view_sensitive_see_health_hidden(api_for, cast):
    found = by_name(api_for("district_staff").get(MEMBERS))
    qian = found["钱秀英"]
    assert qian["health"] == "***"
    assert qian["health_display"] == "***"
    assert qian["mobility_impaired"] is None
    assert qian["phone"] == "139****1111"


def test_unmasking_needs_view_sensitive_and_is_audited(api_for, cast):
    before = AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE).count()
    response = api_for("district_staff").get(MEMBERS, {"unmasked": "1"})
    assert response.status_code == 403
    assert response.json()["detail"] == "只有可查看敏感信息的角色才能查看完整信息。"
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE).count() == before

    found = by_name(api_for("community_secretary").get(MEMBERS, {"unmasked": "1"}))
    assert found["赵德明"]["id_number"] == cast.member_a.id_number
    assert found["赵德明"]["phone"] == "13812345678"
    assert found["赵德明"]["address"] == "翠园社区解放路12号3单元501"
    assert found["赵德明"]["unmasked"] is True
    entries = AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE).order_by("pk")
    shown = entries[before:]
    assert sorted(int(e.object_id) for e in shown) == sorted(
        m.pk
        for m in (
            cast.member_a,
            cast.member_a_bedridden,
            cast.member_a_reported,
            cast.member_a_unregistered,
        )
    )
    entry = shown[0]
    assert entry.actor.is_service_account
    assert entry.changes["after"]["via"] == "api"
    assert "赵德明" not in entry.object_repr  # the trail names members masked


def test_a_detail_unmasks_only_a_member_in_the_sensitive_scope(api_for, cast):
    url = f"{MEMBERS}{cast.member_a.pk}/"
    branch = api_for("branch_secretary")
    body = branch.get(url, {"unmasked": "1"}).json()
    assert body["phone"] == "13812345678"
    assert AuditEntry.objects.filter(
        action=AuditAction.VIEW_SENSITIVE, object_id=str(cast.member_a.pk)
    ).exists()
    # Masked unless asked for.
    assert branch.get(url).json()["phone"] == "138****5678"
    # The street reads the member but may not unmask: 403; another district: 404.
    assert api_for("street_staff").get(url, {"unmasked": "1"}).status_code == 403
    assert api_for("community_b_secretary").get(url, {"unmasked": "1"}).status_code == 404


def test_the_unit_liaison_sees_its_units_retirees_limited(api_for, cast):
    body = api_for("unit_liaison").get(MEMBERS).json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["name"] == "赵德明"
    assert row["view"] == "limited"
    assert row["registration_status"] == "accepted"
    assert row["home_branch"]["id"] == cast.branch_a.pk
    for hidden in ("id_number", "phone", "address", "health", "birth_month", "gender"):
        assert row[hidden] is None
    assert api_for("unit_liaison").get(MEMBERS, {"unmasked": "1"}).status_code == 403


def test_members_filter_by_branch_community_registration_and_update(api_for, cast):
    api = api_for("district_staff")
    assert list(by_name(api.get(MEMBERS, {"branch": cast.branch_a.pk}))) == ["钱秀英", "赵德明"]
    assert list(by_name(api.get(MEMBERS, {"community": cast.community_a2.pk}))) == []
    assert list(by_name(api.get(MEMBERS, {"registration": "none"}))) == ["周玉兰"]
    assert list(by_name(api.get(MEMBERS, {"registration": "reported"}))) == ["孙建国"]
    # Another district's member is not found by filtering for it.
    assert list(by_name(api.get(MEMBERS, {"branch": cast.branch_b.pk}))) == []
    later = timezone.now() + datetime.timedelta(seconds=1)
    assert list(by_name(api.get(MEMBERS, {"updated_since": later.isoformat()}))) == []
    cast.member_a.former_post = "处长"
    type(cast.member_a).objects.filter(pk=cast.member_a.pk).update(
        updated_at=later + datetime.timedelta(minutes=1)
    )
    assert list(by_name(api.get(MEMBERS, {"updated_since": later.isoformat()}))) == ["赵德明"]
    moved = f.member(
        name="吴迁", community=cast.community_a, status="moved", status_on=datetime.date(2025, 1, 1)
    )
    assert moved.name not in by_name(api.get(MEMBERS))
    assert list(by_name(api.get(MEMBERS, {"status": "moved"}))) == ["吴迁"]
    assert "吴迁" in by_name(api.get(MEMBERS, {"status": "all"}))


@pytest.mark.parametrize(
    "query",
    [
        {"registration": "maybe"},
        {"branch": "¹"},
        {"updated_since": "yesterday"},
        {"unmasked": "please"},
        {"status": "retired"},
    ],
)
def test_bad_member_parameters_are_400_in_chinese(api_for, query):
    response = api_for("community_secretary").get(MEMBERS, query)
    assert response.status_code == 400
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(response.json())), response.json()


def _add_members(cast, n):
    for i in range(n):
        member = f.member(
            name=f"新党员{i:02d}", community=cast.community_a, original_unit=cast.unit_a
        )
        f.registration(member=member, branch=cast.branch_a, party_group=cast.group_a)


@pytest.mark.parametrize("query", [{}, {"unmasked": "1"}])
def test_the_member_list_runs_the_same_queries_for_2_or_20_members(api_for, cast, query):
    api = api_for("community_secretary")
    api.get(MEMBERS)  # the token's first use writes its last-use time
    _add_members(cast, 2)
    with CaptureQueriesContext(connection) as few:
        assert len(rows(api.get(MEMBERS, query))) == 6
    _add_members(cast, 18)
    with CaptureQueriesContext(connection) as many:
        assert len(rows(api.get(MEMBERS, query))) == 24
    assert len(many) == len(few)
    # The token, the scope, count, the page; the request log's row; unmasked: the audit
    # trail's two (lock the head; insert the entries and move the head in one statement).
    assert len(few) == (5 if not query else 7)
