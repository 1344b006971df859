"""The care pages as people use them: what each role sees (notes only with
can_view_sensitive), the visit form closing an absence, follow-ups, activities
credited across branches, and the to-review list."""

import datetime
import uuid

import pytest
from django.urls import reverse

from activities.care.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    CareNeed,
    CareVisit,
    CareVisitKind,
    FollowUp,
    FollowUpState,
)
from activities.meetings.models import AttendanceStatus, MakeUp, Meeting, MeetingKind
from activities.meetings.services import recording
from members.models import BranchMembership, Health, Living
from tests import factories as f
from tests.factories import Role

from .conftest import TODAY, carer, days_ago, make_member, make_need, visit

pytestmark = pytest.mark.django_db

NOTE = "右腿骨折后卧床，需定期换药"
SUMMARY = "送去全会学习材料，老人精神很好"


@pytest.fixture
def cared(cast, today):
    """A bedridden member of branch_a with a need, a note, a visit with a follow-up."""
    member = make_member(branch=cast.branch_a, name="卧床的王老", health=Health.BEDRIDDEN)
    need = make_need(member, interval=14, note=NOTE, poor_health=True)
    carer(need, user=cast.user("community_secretary"), name="社区张书记", lead=True)
    v = visit(member, ago=20, summary=SUMMARY, matters_raised="家中楼道灯坏")
    FollowUp.objects.create(visit=v, matter="修楼道灯", owner_name="物业", due_on=days_ago(3))
    return member


def page(client_for, role, url):
    response = client_for(role).get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_notes_show_to_the_secretaries_and_are_masked_for_district_staff(cast, cared, client_for):
    url = reverse("care:member", args=[cared.pk])
    secretary = page(client_for, "community_secretary", url)
    assert NOTE in secretary and "卧床" in secretary
    district = page(client_for, "district_staff", url)
    assert cared.name in district
    assert NOTE not in district and "***" in district
    assert "身体较差或卧床" not in district  # the reasons are health data too
    visit_url = reverse("care:visit_detail", args=[cared.care_visits.get().pk])
    assert SUMMARY in page(client_for, "branch_secretary", visit_url)
    district_visit = page(client_for, "district_staff", visit_url)
    assert SUMMARY not in district_visit and "修楼道灯" not in district_visit


def test_the_branch_page_lists_the_overdue_member_with_days_and_the_late_follow_up(
    cast, cared, client_for
):
    html = page(client_for, "branch_secretary", reverse("care:branch", args=[cast.branch_a.pk]))
    assert cared.name in html
    assert "逾期 6 天" in html  # 20 days since the visit, every 14 days
    assert "修楼道灯" in html  # the follow-up past due
    coverage = page(
        client_for, "street_staff", reverse("care:coverage", args=[cast.community_a.pk])
    )
    assert cared.name in coverage and "修楼道灯" not in coverage


def test_a_carer_records_a_home_study_visit_that_closes_the_absence(cast, cared, client_for):
    others = [make_member(branch=cast.branch_a) for _ in range(2)]
    meeting = recording.meeting_record_new(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": "学习全会精神",
            "held_on": days_ago(10),
            "party_group": None,
        },
        marks={cared.pk: recording.Mark(AttendanceStatus.EXCUSED, "卧床")},
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting
    client = client_for("community_secretary")
    mine = client.get(reverse("care:mine")).content.decode()
    assert cared.name in mine and "逾期" in mine
    form = client.get(reverse("care:visit_create", args=[cared.pk]) + "?kind=home_study")
    assert "学习全会精神" in form.content.decode()  # the missed meeting is offered
    response = client.post(
        reverse("care:visit_create", args=[cared.pk]),
        {
            "kind": CareVisitKind.HOME_STUDY,
            "visited_on": TODAY.isoformat(),
            "meeting": meeting.pk,
            "visitors": "社区张书记",
            "summary": "送学上门",
            "client_key": str(uuid.uuid4()),
            "next": reverse("care:mine"),
        },
    )
    assert response.status_code == 302 and response.url == reverse("care:mine")
    made_up = MakeUp.objects.get()
    assert made_up.attendance.member == cared
    assert CareVisit.objects.get(make_up=made_up).meeting == meeting
    mine = client.get(reverse("care:mine")).content.decode()
    assert "已记录对卧床的王老的走访" in mine
    assert 'id="due-list-empty"' in mine  # visited today, next due in 14 days
    assert others


def test_the_visit_form_refuses_a_future_date_and_a_meeting_on_another_kind(
    cast, cared, client_for
):
    client = client_for("community_secretary")
    url = reverse("care:visit_create", args=[cared.pk])
    response = client.post(
        url,
        {
            "kind": CareVisitKind.ROUTINE,
            "visited_on": (TODAY + datetime.timedelta(days=1)).isoformat(),
            "visitors": "张书记",
        },
    )
    assert response.status_code == 200
    assert "日期不能晚于今天" in response.content.decode()
    assert CareVisit.objects.filter(member=cared).count() == 1


def test_a_follow_up_is_solved_from_its_page(cast, cared, client_for):
    item = FollowUp.objects.get()
    response = client_for("community_secretary").post(
        reverse("care:follow_up_edit", args=[item.pk]),
        {"state": "solved", "outcome": "已修好", "due_on": item.due_on.isoformat()},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.solved_on, item.outcome) == (FollowUpState.SOLVED, TODAY, "已修好")
    html = page(client_for, "community_secretary", reverse("care:branch", args=[cast.branch_a.pk]))
    assert "修楼道灯" not in html


def test_the_review_list_proposes_members_without_a_care_record(cast, today, client_for):
    old = make_member(branch=cast.branch_a, name="九十老人", born=datetime.date(1935, 1, 1))
    alone = make_member(branch=cast.branch_a, name="独居老人", living=Living.ALONE)
    make_member(branch=cast.branch_a, name="健康的人")
    has_need = make_member(branch=cast.branch_a, name="已结对", health=Health.BEDRIDDEN)
    make_need(has_need, poor_health=True)
    html = page(client_for, "community_secretary", reverse("care:review"))
    assert "九十老人" in html and "独居老人" in html
    assert "健康的人" not in html and "已结对" not in html
    assert "91岁" in html
    other = page(client_for, "community_b_secretary", reverse("care:review"))
    assert "九十老人" not in other
    assert old and alone


def test_starting_a_care_record_suggests_reasons_and_interval(cast, today, client_for):
    member = make_member(branch=cast.branch_a, health=Health.BEDRIDDEN, living=Living.ALONE)
    client = client_for("community_secretary")
    html = client.get(reverse("care:need_edit", args=[member.pk])).content.decode()
    assert 'value="14"' in html
    response = client.post(
        reverse("care:need_edit", args=[member.pk]),
        {
            "poor_health": "on",
            "lives_alone": "on",
            "interval_days": "14",
            "started_on": TODAY.isoformat(),
            "care_note": "需要助浴",
        },
    )
    assert response.status_code == 302
    need = CareNeed.objects.get(member=member)
    assert (need.poor_health, need.lives_alone, need.interval_days) == (True, True, 14)


def test_a_functional_branch_activity_credits_members_of_other_branches_not_their_meetings(
    cast, today, client, client_for
):
    member = make_member(branch=cast.branch_a, name="志愿者老李")
    BranchMembership.objects.create(member=member, branch=cast.functional_a)
    activity = Activity.objects.create(
        kind=ActivityKind.VOLUNTEER,
        title="银发志愿者助老服务",
        held_on=days_ago(3),
        branch=cast.functional_a,
        organization=cast.street_a,
    )
    secretary = f.user(
        username="functional_secretary", role=Role.BRANCH_SECRETARY, node=cast.functional_a
    )
    client.force_login(secretary)
    response = client.post(
        reverse("care:activity_participants", args=[activity.pk]),
        {f"p{member.pk}": "on", f"h{member.pk}": "3.5"},
    )
    assert response.status_code == 302
    assert ActivityParticipant.objects.get().service_hours == pytest.approx(3.5)
    branch_page = page(
        client_for, "branch_secretary", reverse("care:activity_list", args=[cast.branch_a.pk])
    )
    assert "银发志愿者助老服务" in branch_page and "志愿者老李" in branch_page
    member_page = page(client_for, "community_secretary", reverse("care:member", args=[member.pk]))
    assert "银发志愿者助老服务" in member_page and "3.5" in member_page
    assert not Meeting.objects.filter(branch=cast.branch_a).exists()


def test_branch_organisation_and_member_pages_link_to_care(cast, client_for):
    branch = page(
        client_for, "branch_secretary", reverse("branches:branch_detail", args=[cast.branch_a.pk])
    )
    assert reverse("care:branch", args=[cast.branch_a.pk]) in branch
    assert reverse("care:register", args=[cast.branch_a.pk]) in branch
    org = page(
        client_for, "street_staff", reverse("branches:org_detail", args=[cast.community_a.pk])
    )
    assert reverse("care:coverage", args=[cast.community_a.pk]) in org
    member_url = reverse("members:member_detail", args=[cast.member_a.pk])
    assert reverse("care:member", args=[cast.member_a.pk]) in page(
        client_for, "community_secretary", member_url
    )
    assert reverse("care:member", args=[cast.member_a.pk]) not in page(
        client_for, "unit_liaison", member_url
    )
    # "All care work" (the district's panel links to its area's coverage, /care/org/N/).
    mine = f'href="{reverse("care:mine")}"'
    assert mine in page(client_for, "branch_secretary", "/")
    assert mine not in page(client_for, "district_staff", "/")


def test_after_saving_a_visit_only_a_local_page_is_followed(cast, cared, client_for):
    response = client_for("community_secretary").post(
        reverse("care:visit_create", args=[cared.pk]) + "?next=https://evil.example/",
        {"kind": CareVisitKind.PHONE, "visited_on": TODAY.isoformat(), "visitors": "张书记"},
    )
    assert response.status_code == 302
    assert response.url == reverse("care:member", args=[cared.pk])


def test_a_refused_make_up_is_explained_on_the_form_and_nothing_is_saved(cast, cared, client_for):
    meeting = recording.meeting_record_new(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": "学习全会精神",
            "held_on": days_ago(10),
            "party_group": None,
        },
        marks={cared.pk: recording.Mark(AttendanceStatus.EXCUSED, "卧床")},
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting
    response = client_for("community_secretary").post(
        reverse("care:visit_create", args=[cared.pk]),
        {
            "kind": CareVisitKind.HOME_STUDY,
            "visited_on": days_ago(12).isoformat(),  # before the meeting
            "meeting": meeting.pk,
            "visitors": "张书记",
        },
    )
    assert response.status_code == 200
    assert "补学日期不能早于会议日期" in response.content.decode()
    assert CareVisit.objects.filter(member=cared).count() == 1  # only the fixture's
    assert not MakeUp.objects.exists()
