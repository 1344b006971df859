"""The annual return (年报): hand-computed figures for 2025 on top of the standing cast,
and its submission up the tree.

Added to the cast (year 2025, figures as of 2025-12-31):
  王福生  翠园社区, registered 2024, died 2025-08-01
  陈志远  registered with 翠园社区 in 2024, moved to 梅岭社区 (district B) on 2025-06-01:
          翠园's registration withdrawn that day, a new one with 梅岭 reported that day
  林淑贞  翠园社区, born 1945-12-31 (turns 80 on 31 December), 离休, full member since
          1975-12-31 (党龄 50 that day), registered 2025-04-01
  赵德明 (the cast's member_a) honoured in 2025 and in 2024
  branch_a held a theme day 2025-03-10 (赵德明 present, 林淑贞 online, 钱秀英 absent then
  made up) and the 组织生活会 2025-11-20 (赵德明 present, 钱秀英 excused)
  钱秀英 and 赵德明 in care (every 30 days), visited 2025-12-10 and 2025-10-01
翠园社区 on the rolls: 赵德明 77, 钱秀英 89, 孙建国 70, 周玉兰 67, 林淑贞 80.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditAction, AuditEntry
from activities import summaries
from activities.care.models import CareNeed, CareVisit
from activities.meetings.models import Attendance, MakeUp, Meeting, MeetingStatus
from members.models import CommunityRegistration, MemberStatus, Recognition, RetirementType
from reports.annual import definitions as d
from reports.annual import figures as f
from reports.annual.checks import review_flags
from reports.annual.services import (
    Decision,
    annual_return_review,
    annual_return_submit,
    may_review,
    may_submit,
)
from reports.models import AnnualReturn, ReturnState

from .. import factories

YEAR = 2025
TODAY = datetime.date(2026, 1, 15)
D = datetime.date


@pytest.fixture
def year_data(cast):
    dead = factories.member(
        name="王福生",
        community=cast.community_a,
        born=D(1940, 1, 1),
        status=MemberStatus.DECEASED,
        status_on=D(2025, 8, 1),
    )
    factories.registration(member=dead, branch=cast.branch_a)
    mover = factories.member(name="陈志远", community=cast.community_a, born=D(1950, 6, 1))
    old = factories.registration(member=mover, branch=cast.branch_a)
    CommunityRegistration.objects.filter(pk=old.pk).update(
        status="withdrawn", withdrawn_on=D(2025, 6, 1)
    )
    mover.community = cast.community_b
    mover.save(update_fields=["community"])
    factories.registration(member=mover, branch=cast.branch_b, reported_on=D(2025, 6, 1))
    eighty = factories.member(
        name="林淑贞",
        community=cast.community_a,
        born=D(1945, 12, 31),
        male=False,
        retirement_type=RetirementType.LIXIU,
        full_member_on=D(1975, 12, 31),
    )
    factories.registration(member=eighty, branch=cast.branch_a, reported_on=D(2025, 4, 1))
    Recognition.objects.create(
        member=cast.member_a, title="优秀共产党员", conferred_on=D(2025, 7, 1)
    )
    Recognition.objects.create(member=cast.member_a, title="先进个人", conferred_on=D(2024, 7, 1))
    # In care, every 30 days: 钱秀英 visited 12-10 (on time on 31 December, not on the
    # day computed, 2026-01-15), 赵德明 visited 10-01 (overdue).
    for member, visited in (
        (cast.member_a_bedridden, D(2025, 12, 10)),
        (cast.member_a, D(2025, 10, 1)),
    ):
        CareNeed.objects.create(member=member, interval_days=30, started_on=D(2025, 1, 1))
        CareVisit.objects.create(member=member, visited_on=visited, kind="routine", visitors="书记")
    held = dict(status=MeetingStatus.HELD, topic="学习")
    theme = Meeting.objects.create(
        branch=cast.branch_a,
        kind="theme_day",
        planned_on=D(2025, 3, 10),
        held_on=D(2025, 3, 10),
        **held,
    )
    for member, status in (
        (cast.member_a, "present"),
        (eighty, "remote"),
        (cast.member_a_bedridden, "absent"),
    ):
        Attendance.objects.create(meeting=theme, member=member, status=status)
    MakeUp.objects.create(
        attendance=theme.attendances.get(member=cast.member_a_bedridden),
        made_up_on=D(2025, 3, 15),
        delivered_by="支部书记",
        material="三月学习材料",
    )
    life = Meeting.objects.create(
        branch=cast.branch_a,
        kind="life_meeting",
        planned_on=D(2025, 11, 20),
        held_on=D(2025, 11, 20),
        **held,
    )
    Attendance.objects.create(meeting=life, member=cast.member_a, status="present")
    Attendance.objects.create(
        meeting=life, member=cast.member_a_bedridden, status="excused", reason="卧床"
    )
    Meeting.objects.create(
        branch=cast.branch_a,
        kind="theme_day",
        planned_on=D(2024, 12, 10),
        held_on=D(2024, 12, 10),
        **held,
    )
    summaries.rebuild()
    return cast


COMMUNITY_A = {
    "members": 5,
    "lixiu": 1,
    "tuixiu": 4,
    "male": 2,
    "female": 3,
    "age_under_70": 1,  # 周玉兰 67
    "age_70_79": 2,  # 赵德明 77, 孙建国 70
    "age_80_89": 2,  # 钱秀英 89, 林淑贞 80 on 31 December
    "age_90_plus": 0,
    "party_under_30": 0,
    "party_30_49": 2,  # 孙建国 45, 周玉兰 42
    "party_50_plus": 3,  # 赵德明 52, 钱秀英 64, 林淑贞 50 on 31 December
    "party_unknown": 0,
    "deaths": 1,
    "moved_in": 0,
    "moved_out": 1,  # 陈志远
    "new_registrations": 1,  # 林淑贞
    "registered": 3,  # 赵德明, 钱秀英, 林淑贞 (孙建国 only reported)
    "branches_community": 1,
    "branches_functional": 0,
    "branches_joint": 0,
    "branches_pilot": 0,
    "committees_due": 1,  # branch_a has no committee term
    "honours": 1,
    "honoured_members": 1,
    "meetings_theme_day": 1,  # 2025-03-10 (not the one of 2024-12-10)
    "meetings_life_meeting": 1,
    "meetings_general_assembly": 0,
    "attendance_expected": 5,  # 3 at the theme day, 2 at the life meeting
    "attendance_counted": 4,  # present 2 + remote 1 + made up 1 (钱秀英's absence); excused not
    "care_needs": 2,
    "care_covered": 1,  # 钱秀英, judged on 31 December
}


def test_the_figures_of_a_community_equal_the_hand_count(year_data):
    figures = f.area_figures(year_data.community_a, YEAR, today=TODAY)[year_data.community_a.pk]
    assert {key: figures[key] for key in COMMUNITY_A} == COMMUNITY_A


def test_a_move_between_districts_counts_out_in_one_and_in_in_the_other(year_data):
    community_b = f.area_figures(year_data.community_b, YEAR, today=TODAY)[year_data.community_b.pk]
    assert (community_b["members"], community_b["moved_in"], community_b["moved_out"]) == (2, 1, 0)
    assert (community_b["new_registrations"], community_b["registered"]) == (1, 2)
    district_a = f.node_figures(year_data.district_a, YEAR, today=TODAY)
    assert (district_a["moved_out"], district_a["moved_in"], district_a["deaths"]) == (1, 0, 1)
    city = f.node_figures(year_data.city, YEAR, today=TODAY)
    assert (city["moved_out"], city["moved_in"]) == (1, 1)


def test_the_day_before_a_birthday_counts_the_younger_band(year_data):
    """Born 1 January 1946: 79 on 31 December 2025."""
    factories.member(name="何玉", community=year_data.community_a, born=D(1946, 1, 1))
    figures = f.area_figures(year_data.community_a, YEAR, today=TODAY)[year_data.community_a.pk]
    assert (figures["age_70_79"], figures["age_80_89"]) == (3, 2)


def test_an_area_is_computed_in_a_fixed_number_of_queries(year_data, django_assert_max_num_queries):
    with django_assert_max_num_queries(f.AREA_QUERIES):
        f.area_figures(year_data.city, YEAR, today=TODAY)


def _actors(cast):
    return {
        key: cast.user(key) for key in ("community_secretary", "street_staff", "district_staff")
    }


def test_submit_return_resubmit_accept_up_the_tree(year_data):
    cast = year_data
    who = _actors(cast)
    ar = annual_return_submit(
        node=cast.community_a, year=YEAR, revision=0, actor=who["community_secretary"], today=TODAY
    )
    assert (ar.state, ar.submissions) == (ReturnState.SUBMITTED, 1)
    annual_return_review(
        annual_return=ar,
        decision=Decision.RETURN,
        comment="迁出人数请核对",
        revision=ar.revision,
        actor=who["street_staff"],
    )
    ar.refresh_from_db()
    assert ar.state == ReturnState.RETURNED
    assert ar.versions.get(number=1).comment == "迁出人数请核对"
    ar = annual_return_submit(
        node=cast.community_a,
        year=YEAR,
        revision=ar.revision,
        actor=who["community_secretary"],
        today=TODAY,
    )
    assert (ar.state, ar.submissions) == (ReturnState.SUBMITTED, 2)
    annual_return_review(
        annual_return=ar,
        decision=Decision.ACCEPT,
        comment="",
        revision=ar.revision,
        actor=who["street_staff"],
    )
    street = annual_return_submit(
        node=cast.street_a, year=YEAR, revision=0, actor=who["street_staff"], today=TODAY
    )
    # The street's return: its community's accepted snapshot (no figures of its own
    # but the functional branch sitting on the street).
    snapshot = street.versions.get().figures
    assert snapshot["members"] == 5 and snapshot["branches_functional"] == 1
    annual_return_review(
        annual_return=street,
        decision=Decision.ACCEPT,
        comment="",
        revision=street.revision,
        actor=who["district_staff"],
    )
    street.refresh_from_db()
    assert street.state == ReturnState.ACCEPTED
    states = dict(AnnualReturn.objects.values_list("organization_id", "state"))
    assert states == {cast.community_a.pk: "accepted", cast.street_a.pk: "accepted"}
    assert (
        AuditEntry.objects.filter(
            object_type="reports.annualreturn", action=AuditAction.UPDATE
        ).count()
        == 6
    )


def test_a_return_submitted_twice_gets_a_clear_error_and_nothing_changes(year_data):
    secretary = year_data.user("community_secretary")
    ar = annual_return_submit(
        node=year_data.community_a, year=YEAR, revision=0, actor=secretary, today=TODAY
    )
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        annual_return_submit(
            node=year_data.community_a, year=YEAR, revision=0, actor=secretary, today=TODAY
        )
    assert "已经上报" in " ".join(error.value.messages)
    ar.refresh_from_db()
    assert (ar.submissions, ar.versions.count()) == (1, 1)


def test_a_street_cannot_submit_before_its_communities_are_accepted(year_data):
    with pytest.raises(ValidationError) as error:
        annual_return_submit(
            node=year_data.street_a,
            year=YEAR,
            revision=0,
            actor=year_data.user("street_staff"),
            today=TODAY,
        )
    assert "翠园社区" in " ".join(error.value.messages)
    assert not AnnualReturn.objects.filter(organization=year_data.street_a, state="submitted")


def test_later_edits_to_members_do_not_change_the_snapshot_but_are_flagged(year_data):
    cast = year_data
    ar = annual_return_submit(
        node=cast.community_a,
        year=YEAR,
        revision=0,
        actor=cast.user("community_secretary"),
        today=TODAY,
    )
    cast.member_a_unregistered.status = MemberStatus.DECEASED
    cast.member_a_unregistered.status_on = D(2025, 11, 30)
    cast.member_a_unregistered.save()
    snapshot = ar.versions.get().figures
    assert (snapshot["members"], snapshot["deaths"]) == (5, 1)
    flags = {flag.key for flag in review_flags(cast.community_a, YEAR, snapshot, today=TODAY)}
    assert {"members", "deaths", "female", "age_under_70", "party_30_49"} <= flags


def test_a_fall_in_members_beyond_deaths_and_moves_is_flagged(year_data):
    last_year = d.empty() | {"members": 9}
    this_year = d.empty() | {"members": 5, "deaths": 1, "moved_out": 1}
    from reports.annual.checks import rule_flags

    assert [flag.key for flag in rule_flags(this_year, last_year)] == ["members"]
    assert rule_flags(this_year | {"moved_out": 3}, last_year) == []


def test_only_the_node_itself_submits_and_only_the_level_above_reviews(year_data):
    cast = year_data
    assert may_submit(cast.user("community_secretary"), cast.community_a)
    assert not may_submit(cast.user("street_staff"), cast.community_a)
    assert may_review(cast.user("street_staff"), cast.community_a)
    assert not may_review(cast.user("district_staff"), cast.community_a)
    assert may_review(cast.user("district_staff"), cast.street_a)
    assert may_review(cast.user("city_admin"), cast.district_a)
    assert not may_submit(cast.user("city_admin"), cast.city)


def test_the_pages_submit_return_and_show_the_frozen_figures(year_data, client_for):
    cast = year_data
    page = reverse("reports:annual_return", args=[cast.community_a.pk, YEAR])
    client = client_for("community_secretary")
    response = client.get(page)
    assert response.status_code == 200
    assert "光荣在党50年" in response.content.decode()
    response = client.post(
        reverse("reports:annual_submit", args=[cast.community_a.pk, YEAR]), {"revision": 0}
    )
    assert response.status_code == 302
    again = client.post(
        reverse("reports:annual_submit", args=[cast.community_a.pk, YEAR]),
        {"revision": 0},
        follow=True,
    )
    assert "已经上报" in again.content.decode()
    assert AnnualReturn.objects.get(organization=cast.community_a).submissions == 1
    client = client_for("street_staff")
    review = reverse("reports:annual_review", args=[cast.community_a.pk, YEAR])
    ar = AnnualReturn.objects.get(organization=cast.community_a)
    empty_comment = client.post(
        review, {"decision": "return", "comment": "", "revision": ar.revision}, follow=True
    )
    assert "请写明" in empty_comment.content.decode()
    response = client.post(
        review, {"decision": "return", "comment": "请核对去世人数", "revision": ar.revision}
    )
    assert response.status_code == 302
    ar.refresh_from_db()
    assert ar.state == ReturnState.RETURNED
    body = client_for("community_secretary").get(page).content.decode()
    assert "请核对去世人数" in body


def test_a_version_names_who_submitted_it_by_full_name(year_data, client_for):
    # The name is the account's full_name (first and last names are not used): the page
    # showed the user name, a Latin word, in its place.
    cast = year_data
    secretary = cast.user("community_secretary")
    secretary.full_name = "李秀兰"
    secretary.save(update_fields=["full_name"])
    annual_return_submit(node=cast.community_a, year=YEAR, revision=0, actor=secretary, today=TODAY)
    page = reverse("reports:annual_return", args=[cast.community_a.pk, YEAR])
    body = client_for("street_staff").get(page).content.decode()
    assert " · 李秀兰 · " in body
    assert secretary.username not in body


def test_the_exports_are_audited_once_and_carry_the_figures(year_data, client_for):
    cast = year_data
    client = client_for("street_staff")
    xlsx = client.get(reverse("reports:annual_xlsx", args=[cast.community_a.pk, YEAR]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    # The fixed layout: three heading lines, the header, then one row per figure.
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][0] == "翠园社区2025年度统计表"
    assert cells[3] == ("编号", "项目", "数值", "口径说明")
    assert cells[4][1] == "党员情况" and cells[5][:3] == (1, "在册党员", 5)
    assert cells[-1][1:3] == ("往年结转整改事项仍未完成", 0)
    values = {row[1]: row[2] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert values["在册党员"] == 5
    assert values["党龄50年及以上"] == 3
    assert (
        AuditEntry.objects.filter(
            object_type="reports.annualreturn", action=AuditAction.EXPORT
        ).count()
        == 1
    )


def test_the_pdf_prints_the_frozen_figures_and_signature_lines(year_data, client_for):
    from tests.activities.meetings.test_sheets import pdf_text

    cast = year_data
    annual_return_submit(
        node=cast.community_a,
        year=YEAR,
        revision=0,
        actor=cast.user("community_secretary"),
        today=TODAY,
    )
    cast.member_a_unregistered.delete()  # after submission: the PDF still counts 5
    response = client_for("district_staff").get(
        reverse("reports:annual_pdf", args=[cast.community_a.pk, YEAR])
    )
    text = pdf_text(response.content)
    assert "翠园社区2025年度统计表" in text
    assert "第 1 版" in text
    assert any(
        line.split()[:2] == ["1", "在册党员"] and line.split()[2] == "5"
        for line in text.splitlines()
        if line.split()
    )
    assert "单位负责人（签字）" in text and "单位（盖章）" in text
    assert (
        AuditEntry.objects.filter(
            object_type="reports.annualreturn", action=AuditAction.EXPORT
        ).count()
        == 1
    )


def test_a_reviewer_acting_on_a_stale_page_gets_a_conflict(year_data):
    cast = year_data
    ar = annual_return_submit(
        node=cast.community_a,
        year=YEAR,
        revision=0,
        actor=cast.user("community_secretary"),
        today=TODAY,
    )
    stale = ar.revision - 1
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        annual_return_review(
            annual_return=ar,
            decision=Decision.ACCEPT,
            comment="",
            revision=stale,
            actor=cast.user("street_staff"),
        )
    assert "刷新" in " ".join(error.value.messages)
    ar.refresh_from_db()
    assert ar.state == ReturnState.SUBMITTED


def test_the_return_pages_take_a_bounded_number_of_queries(
    year_data, client_for, django_assert_max_num_queries
):
    """Session, user, scope (3); the node (1); the return (1); the units below (2); the
    figures: a community's AREA_QUERIES, a street's own branches (12) and its children's
    snapshots (1); the messages and the large-mode preference (a few)."""
    cast = year_data
    annual_return_submit(
        node=cast.community_a,
        year=YEAR,
        revision=0,
        actor=cast.user("community_secretary"),
        today=TODAY,
    )
    client = client_for("street_staff")
    for node in (cast.community_a, cast.street_a):
        factories.member(name="新党员", community=cast.community_a, born=D(1950, 1, 1))
        with django_assert_max_num_queries(f.AREA_QUERIES + 12):
            response = client.get(reverse("reports:annual_return", args=[node.pk, YEAR]))
        assert response.status_code == 200


def test_the_audit_trail_names_each_step_in_chinese(year_data):
    from accounts.audit_display import change_rows

    cast = year_data
    ar = annual_return_submit(
        node=cast.community_a,
        year=YEAR,
        revision=0,
        actor=cast.user("community_secretary"),
        today=TODAY,
    )
    annual_return_review(
        annual_return=ar,
        decision=Decision.RETURN,
        comment="请核对",
        revision=ar.revision,
        actor=cast.user("street_staff"),
    )
    entry = AuditEntry.objects.filter(object_type="reports.annualreturn").latest("pk")
    with translation.override("zh-hans"):
        rows = change_rows(entry, entry.changes)
    assert ("状态", "已上报，待审核", "已退回修改") in rows
    assert ("意见", "—", "请核对") in rows


def _through(node, actor, reviewer):
    ar = annual_return_submit(node=node, year=YEAR, revision=0, actor=actor, today=TODAY)
    return annual_return_review(
        annual_return=ar, decision=Decision.ACCEPT, comment="", revision=ar.revision, actor=reviewer
    )


def test_the_district_submits_the_sum_of_its_streets_and_the_city_receives_it(year_data):
    cast = year_data
    street_a2_staff = cast.user("street_a2_staff")
    community_a2_secretary = factories.user(
        username="community_a2_secretary",
        role="community_secretary",
        node=cast.community_a2,
    )
    factories.member(name="吴国华", community=cast.community_a2, born=D(1930, 3, 1))
    _through(cast.community_a, cast.user("community_secretary"), cast.user("street_staff"))
    _through(cast.community_a2, community_a2_secretary, street_a2_staff)
    street_a = _through(cast.street_a, cast.user("street_staff"), cast.user("district_staff"))
    _through(cast.street_a2, street_a2_staff, cast.user("district_staff"))
    district = _through(cast.district_a, cast.user("district_staff"), cast.user("city_admin"))
    figures = district.versions.get().figures
    assert (figures["members"], figures["age_90_plus"], figures["deaths"]) == (6, 1, 1)
    assert district.state == ReturnState.ACCEPTED
    # The street's own return is submitted: its communities' can no longer be returned.
    community = AnnualReturn.objects.get(organization=cast.community_a)
    with pytest.raises(ValidationError):
        annual_return_review(
            annual_return=community,
            decision=Decision.RETURN,
            comment="再核对",
            revision=community.revision,
            actor=cast.user("street_staff"),
        )
    assert street_a.state == ReturnState.ACCEPTED
    with pytest.raises(ValidationError):
        annual_return_submit(
            node=cast.city, year=YEAR, revision=0, actor=cast.user("city_admin"), today=TODAY
        )
