"""Roster pages: scope, masking, the unit liaison's narrow view, audited unmasking, the
writes behind the forms, and a query count that does not grow with the roster."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from members import selectors
from members.models import CommitteeTerm, CommunityRegistration, Member
from members.validators import make_id_number
from tests import factories as f
from units.messages.models import UnitMessage


def roster_names(response):
    return sorted(m.name for m in response.context["page"].object_list)


def test_the_roster_lists_the_members_in_scope(cast, client_for):
    response = client_for("community_secretary").get(reverse("members:roster"))
    assert roster_names(response) == ["周玉兰", "孙建国", "赵德明", "钱秀英"]
    response = client_for("community_b_secretary").get(reverse("members:roster"))
    assert roster_names(response) == ["李华"]
    response = client_for("branch_secretary").get(reverse("members:roster"))
    assert roster_names(response) == ["赵德明", "钱秀英"]  # home branch_a only
    response = client_for("street_a2_staff").get(reverse("members:roster"))
    assert roster_names(response) == []


def test_the_roster_masks_phones_and_shows_health_only_to_sensitive_roles(cast, client_for):
    text = client_for("community_secretary").get(reverse("members:roster")).content.decode()
    assert "138****5678" in text and "13812345678" not in text
    assert "卧床" in text
    text = client_for("district_staff").get(reverse("members:roster")).content.decode()
    assert "138****5678" in text
    assert "卧床" not in text


def test_a_unit_liaison_sees_only_its_retirees_registration_status(cast, client_for):
    client = client_for("unit_liaison")
    response = client.get(reverse("members:roster"))
    assert roster_names(response) == ["赵德明"]
    text = response.content.decode()
    assert "社区已接收" in text
    assert "138****5678" not in text and "电话" not in text and "健康状况" not in text
    detail = client.get(reverse("members:member_detail", args=[cast.member_a.pk]))
    text = detail.content.decode()
    assert detail.status_code == 200
    assert cast.member_a.id_number[-4:] not in text
    assert "5678" not in text and "解放路" not in text
    assert reverse("members:member_edit", args=[cast.member_a.pk]) not in text
    assert client.get(reverse("members:member_detail", args=[cast.member_b.pk])).status_code == 404
    assert client.get(reverse("members:member_edit", args=[cast.member_a.pk])).status_code == 403


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("q=德明", ["赵德明"]),
        ("health=bedridden", ["钱秀英"]),
        ("mobility=1", ["钱秀英"]),
        ("registration=reported", ["孙建国"]),
        ("registration=none", ["周玉兰"]),
        ("age_band=80s", []),
        ("retirement_type=lixiu", []),
    ],
)
def test_the_roster_filters(cast, client_for, query, names):
    response = client_for("community_secretary").get(reverse("members:roster") + "?" + query)
    assert roster_names(response) == names


def test_age_bands_and_unit_filters_select_by_birth_date_and_unit(cast, client_for):
    client = client_for("community_secretary")
    # 钱秀英 was born 1936-11-02: 90 from 2026-11-02 on (the server's day, Asia/Shanghai:
    # the machine's date.today() is a day behind from 16:00 UTC).
    today = timezone.localdate()
    age = today.year - 1936 - ((today.month, today.day) < (11, 2))
    band = "90plus" if age >= 90 else "80s"
    response = client.get(reverse("members:roster") + f"?age_band={band}")
    assert roster_names(response) == ["钱秀英"]
    response = client.get(reverse("members:roster") + f"?original_unit={cast.unit_a.pk}")
    assert roster_names(response) == ["赵德明"]
    response = client.get(
        reverse("members:roster") + f"?branch={cast.branch_a.pk}&party_group={cast.group_a.pk}"
    )
    assert roster_names(response) == ["赵德明"]


def test_a_health_filter_cannot_reveal_health_to_roles_without_sensitive_scope(cast, client_for):
    response = client_for("district_staff").get(reverse("members:roster") + "?health=bedridden")
    assert "health" not in response.context["form"].fields
    assert len(roster_names(response)) == 4  # the parameter is ignored, not applied
    # And the selector itself only ever matches members whose health the user may see.
    filters = selectors.RosterFilters(health="bedridden")
    assert list(selectors.roster(cast.user("district_staff"), filters)) == []
    assert [m.name for m in selectors.roster(cast.user("branch_secretary"), filters)] == ["钱秀英"]


def test_the_roster_shows_deceased_members_only_when_asked(cast, client_for):
    Member.objects.filter(pk=cast.member_a.pk).update(
        status="deceased", status_on=datetime.date(2025, 1, 1)
    )
    client = client_for("community_secretary")
    assert "赵德明" not in roster_names(client.get(reverse("members:roster")))
    assert "赵德明" in roster_names(client.get(reverse("members:roster") + "?status=all"))


def add_members(cast, count, *, start=0):
    born = datetime.date(1950, 1, 1)
    members = [
        Member(
            name=f"批量{n:04d}",
            gender="male",
            birth_date=born,
            id_number=make_id_number("319901", born + datetime.timedelta(days=n), 1, male=True),
            community=cast.community_a,
            home_branch=cast.branch_a,
            party_group=cast.group_a,
            original_unit=cast.unit_a,
            phone="13800000000",
        )
        for n in range(start, start + count)
    ]
    Member.objects.bulk_create(members)
    CommunityRegistration.objects.bulk_create(
        CommunityRegistration(
            member=m,
            community=cast.community_a,
            reported_on=datetime.date(2024, 1, 1),
            status="accepted",
            branch=cast.branch_a,
        )
        for m in Member.objects.filter(name__startswith="批量", registrations__isnull=True)
    )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("key", ["community_secretary", "district_staff", "unit_liaison"])
def test_the_roster_runs_the_same_queries_for_10_and_200_members(cast, client_for, key):
    client = client_for(key)
    url = reverse("members:roster") + f"?branch={cast.branch_a.pk}"
    add_members(cast, 10)
    client.get(url)  # the roster's area kept (members.selectors.roster_area)
    small = count_queries(client, url)
    add_members(cast, 190, start=10)
    large = count_queries(client, url)
    # session + user + scope, the filter choices, the count and one page query.
    assert small == large
    assert large <= 14


def test_the_detail_page_masks_until_full_information_is_asked_for(cast, client_for):
    client = client_for("community_secretary")
    url = reverse("members:member_detail", args=[cast.member_a.pk])
    text = client.get(url).content.decode()
    assert "138****5678" in text and "13812345678" not in text
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE).exists()
    assert client.get(reverse("members:member_reveal", args=[cast.member_a.pk])).status_code == 200
    response = client.post(reverse("members:member_reveal", args=[cast.member_a.pk]))
    assert response.url == url
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_SENSITIVE)
    assert (entry.actor, entry.object_id) == (
        cast.user("community_secretary"),
        str(cast.member_a.pk),
    )
    text = client.get(url).content.decode()
    assert "13812345678" in text and cast.member_a.id_number in text
    assert "翠园社区解放路12号3单元501" in text
    # Viewing again does not add entries; the reveal is for this member only.
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE).count() == 1
    other = client.get(reverse("members:member_detail", args=[cast.member_a_bedridden.pk]))
    assert "13900001111" not in other.content.decode()


def test_district_staff_cannot_reveal(cast, client_for):
    client = client_for("district_staff")
    assert client.post(reverse("members:member_reveal", args=[cast.member_a.pk])).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE).exists()


def member_data(member, **changes):
    data = {
        "name": member.name,
        "gender": member.gender,
        "birth_date": member.birth_date.isoformat(),
        "ethnicity": member.ethnicity,
        "id_number": member.id_number,
        "phone": member.phone,
        "address": member.address,
        "original_unit": member.original_unit_id or "",
        "former_post": member.former_post,
        "rank": member.rank,
        "retirement_type": member.retirement_type,
        "retired_on": "",
        "joined_party_on": "",
        "full_member_on": member.full_member_on.isoformat() if member.full_member_on else "",
        "relation_kind": "unit",
        "relation_branch": "",
        "relation_note": "",
        "health": member.health,
        "living": member.living,
        "skills": member.skills,
    }
    data.update(changes)
    return data


def test_editing_normalises_the_phone_and_audits_the_change(cast, client_for):
    client = client_for("branch_secretary")
    url = reverse("members:member_edit", args=[cast.member_a.pk])
    assert client.get(url).status_code == 200
    # Opening the form shows the unmasked values: that is recorded.
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE).count() == 1
    response = client.post(url, member_data(cast.member_a, phone="１３９ ８８８８ ７７７７"))
    assert response.status_code == 302
    cast.member_a.refresh_from_db()
    assert cast.member_a.phone == "13988887777"
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(cast.member_a.pk))
    assert entry.changes == {"before": {"phone": "138****5678"}, "after": {"phone": "139****7777"}}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"id_number": "110105194912310021"}, "id_number", "校验位不正确"),
        ({"birth_date": "1960-01-01"}, "birth_date", "出生日期与身份证号不符"),
        ({"gender": "female"}, "gender", "性别与身份证号不符"),
        ({"phone": "1391234"}, "phone", "手机号码应为 11 位"),
    ],
)
def test_a_wrong_edit_is_refused_field_by_field(cast, client_for, changes, field, message):
    client = client_for("community_secretary")
    url = reverse("members:member_edit", args=[cast.member_a.pk])
    response = client.post(url, member_data(cast.member_a, **changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Member.objects.get(pk=cast.member_a.pk).phone == "13812345678"


def test_an_id_number_already_recorded_is_refused(cast, client_for):
    client = client_for("community_secretary")
    data = member_data(
        cast.member_a,
        id_number=cast.member_b.id_number,
        birth_date=cast.member_b.birth_date.isoformat(),
        gender="female",
    )
    response = client.post(reverse("members:member_edit", args=[cast.member_a.pk]), data)
    assert "已有党员登记了这个身份证号" in response.content.decode()


def test_creating_a_member_records_the_registration(cast, client_for):
    client = client_for("community_secretary")
    born = datetime.date(1951, 6, 1)
    data = member_data(
        cast.member_a,
        name="新党员",
        id_number=make_id_number("319901", born, 33, male=False).lower(),
        birth_date=born.isoformat(),
        gender="female",
        community=cast.community_a.pk,
        report_now="on",
    )
    response = client.post(reverse("members:member_create"), data)
    member = Member.objects.get(name="新党员")
    assert response.url == reverse("members:member_detail", args=[member.pk])
    assert member.id_number.endswith(member.id_number[-1].upper())
    assert member.registrations.get().status == "reported"


def test_registration_actions_move_a_member_through_the_states(cast, client_for):
    client = client_for("community_secretary")
    registration = cast.reg_a_reported
    response = client.post(
        reverse("members:registration_accept", args=[registration.pk]),
        {"branch": cast.branch_a.pk, "party_group": cast.group_a.pk, "accepted_on": "2025-01-02"},
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "accepted"
    assert Member.objects.get(pk=cast.member_a_reported.pk).home_branch == cast.branch_a
    # The original unit (unit_b: no liaison, no e-mail or robot yet) is written to; the
    # registration becomes notified only when that message is delivered (tests/units).
    message = UnitMessage.objects.get(subject=f"registration:{registration.pk}")
    assert message.unit == cast.unit_b and message.delivered_at is None
    assert reverse("members:member_detail", args=[cast.member_a_reported.pk]) == message.link


def test_accepting_into_another_communitys_branch_is_refused(cast, client_for):
    client = client_for("community_secretary")
    response = client.post(
        reverse("members:registration_accept", args=[cast.reg_a_reported.pk]),
        {"branch": cast.branch_b.pk, "accepted_on": "2025-01-02"},
    )
    assert response.status_code == 200  # the choice is not offered: the form refuses it
    cast.reg_a_reported.refresh_from_db()
    assert cast.reg_a_reported.status == "reported"


def test_the_registrations_page_lists_what_waits(cast, client_for):
    response = client_for("community_secretary").get(reverse("members:registration_list"))
    assert [r.member.name for r in response.context["page"].object_list] == ["孙建国"]


def test_the_branch_page_shows_members_and_structure_warnings(cast, client_for):
    client = client_for("community_secretary")
    text = client.get(reverse("branches:branch_detail", args=[cast.branch_a.pk])).content.decode()
    assert "党员与支委会" in text
    assert "正式党员仅 2 人，支部至少需要 3 人" in text
    assert "没有在任的一届" in text
    assert reverse("members:term_create", args=[cast.branch_a.pk]) in text


def test_a_committee_term_recorded_on_the_page_clears_the_warning(cast, client_for):
    client = client_for("branch_secretary")
    f.member(
        name="第三人",
        community=cast.community_a,
        born=datetime.date(1949, 9, 9),
        home_branch=cast.branch_a,
    )
    response = client.post(
        reverse("members:term_create", args=[cast.branch_a.pk]),
        {
            "number": 1,
            "starts_on": "2025-01-01",
            "ends_on": "2030-01-01",
            "post_secretary": cast.member_a.pk,
        },
    )
    assert response.status_code == 302
    text = client.get(response.url).content.decode()
    assert "未发现问题" in text
    assert "赵德明" in text


def test_service_roles_and_honours_show_on_the_member_page(cast, client_for):
    client = client_for("community_secretary")
    client.post(
        reverse("members:service_role_create", args=[cast.member_a.pk]),
        {"kind": "preacher", "organization_name": "翠园社区", "starts_on": "2024-01-01"},
    )
    client.post(
        reverse("members:recognition_create", args=[cast.member_a.pk]),
        {"title": "优秀共产党员", "conferred_by": "区委", "conferred_on": "2024-07-01"},
    )
    text = client.get(reverse("members:member_detail", args=[cast.member_a.pk])).content.decode()
    assert "宣讲员" in text and "优秀共产党员" in text and "先进典型" in text


def test_taking_part_in_a_functional_branch_is_recorded_and_shown(cast, client_for):
    client = client_for("branch_secretary")
    url = reverse("members:membership_create", args=[cast.member_a.pk])
    form = client.get(url).context["form"]
    assert list(form.fields["branch"].queryset) == [cast.functional_a]  # not another district's
    response = client.post(url, {"branch": cast.functional_a.pk, "joined_on": "2024-05-01"})
    assert response.status_code == 302
    text = client.get(response.url).content.decode()
    assert f"参加 {cast.functional_a.name}" in text
    entry = AuditEntry.objects.get(object_type="members.branchmembership")
    assert entry.changes["after"]["branch"] == cast.functional_a.pk
    # Counting stays with the home branch.
    assert Member.objects.get(pk=cast.member_a.pk).home_branch == cast.branch_a


def test_a_group_leader_is_chosen_among_the_branch_members_and_shown(cast, client_for):
    client = client_for("community_secretary")
    url = reverse("members:group_leader", args=[cast.group_a.pk])
    form = client.get(url).context["form"]
    assert set(form.fields["member"].queryset) == {cast.member_a, cast.member_a_bedridden}
    response = client.post(url, {"member": cast.member_a.pk, "starts_on": "2024-05-01"})
    assert response.url == reverse("branches:branch_detail", args=[cast.branch_a.pk])
    text = client.get(response.url).content.decode()
    assert f"{cast.group_a.name}组长" in text


def test_a_term_overlapping_a_later_one_is_refused_in_chinese(cast, client_for):
    client = client_for("branch_secretary")
    url = reverse("members:term_create", args=[cast.branch_a.pk])
    data = {"starts_on": "2025-01-01", "ends_on": "2030-01-01", "post_secretary": cast.member_a.pk}
    assert client.post(url, {**data, "number": 2}).status_code == 302
    response = client.post(
        url, {**data, "number": 1, "starts_on": "2021-01-01", "ends_on": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "与第2届任期（2025-01-01至2030-01-01）重叠" in response.content.decode()
    assert CommitteeTerm.objects.filter(branch=cast.branch_a).count() == 1
