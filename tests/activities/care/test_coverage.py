"""Coverage arithmetic: intervals, the boundary day, phone calls, new needs, moved and
deceased members, closed needs, follow-ups past due, and the carer's week."""

import datetime

import pytest

from activities.care import selectors as sel
from activities.care.models import CareNeed, CareVisitKind, FollowUp, FollowUpState
from members.models import MemberStatus

from .conftest import TODAY, carer, days_ago, make_member, make_need, visit

pytestmark = pytest.mark.django_db


def _rows(user, group="branch"):
    needs = sel.open_needs(user)
    return {r.name: r for r in sel.coverage(needs, sel.follow_ups(user), group=group, today=TODAY)}


def _overdue_names(user):
    return [n.member.name for n in sel.overdue_needs(sel.open_needs(user), TODAY)]


def test_a_visit_on_the_boundary_day_counts_as_within_the_interval(cast):
    on_boundary = make_member(branch=cast.branch_a, name="刚好三十天")
    one_day_late = make_member(branch=cast.branch_a, name="三十一天")
    for member, ago in ((on_boundary, 30), (one_day_late, 31)):
        make_need(member, interval=30)
        visit(member, ago=ago)
    row = _rows(cast.user("community_secretary"))[cast.branch_a.name]
    assert (row.needs, row.covered, row.overdue) == (2, 1, 1)
    assert _overdue_names(cast.user("community_secretary")) == ["三十一天"]


def test_each_member_is_measured_against_their_own_interval(cast):
    weekly = make_member(branch=cast.branch_a, name="每周")
    bimonthly = make_member(branch=cast.branch_a, name="两月")
    make_need(weekly, interval=7)
    make_need(bimonthly, interval=60)
    visit(weekly, ago=8)
    visit(bimonthly, ago=45)
    row = _rows(cast.user("community_secretary"))[cast.branch_a.name]
    assert (row.covered, row.overdue) == (1, 1)
    assert _overdue_names(cast.user("community_secretary")) == ["每周"]


def test_only_the_last_in_person_visit_counts_and_a_phone_call_is_not_a_visit(cast):
    member = make_member(branch=cast.branch_a)
    make_need(member, interval=30)
    visit(member, ago=90)
    visit(member, ago=40)
    visit(member, ago=2, kind=CareVisitKind.PHONE)
    need = sel.with_visit_state(CareNeed.objects.all(), TODAY).get()
    assert need.last_visit == days_ago(40)
    row = _rows(cast.user("community_secretary"))[cast.branch_a.name]
    assert (row.covered, row.overdue) == (0, 1)


def test_a_new_need_not_yet_visited_waits_until_its_first_interval_has_passed(cast):
    new = make_member(branch=cast.branch_a, name="新结对")
    old = make_member(branch=cast.branch_a, name="从未走访")
    make_need(new, interval=30, started=days_ago(30))  # due today: not yet late
    make_need(old, interval=30, started=days_ago(31))
    row = _rows(cast.user("community_secretary"))[cast.branch_a.name]
    assert (row.needs, row.covered, row.overdue, row.waiting) == (2, 0, 1, 1)
    assert _overdue_names(cast.user("community_secretary")) == ["从未走访"]


def test_deceased_and_moved_members_and_closed_needs_drop_out(cast):
    for status in (MemberStatus.DECEASED, MemberStatus.MOVED):
        make_need(make_member(branch=cast.branch_a, status=status), interval=30)
    closed = make_need(make_member(branch=cast.branch_a), interval=30)
    closed.closed_on = days_ago(5)
    closed.save()
    kept = make_member(branch=cast.branch_a, name="仍在")
    make_need(kept, interval=30)
    row = _rows(cast.user("community_secretary"))[cast.branch_a.name]
    assert (row.needs, row.overdue) == (1, 1)
    assert _overdue_names(cast.user("community_secretary")) == ["仍在"]


def test_the_overdue_list_puts_the_longest_without_a_visit_first(cast):
    names = {}
    for name, ago in (("四十天", 40), ("从未", None), ("一百天", 100), ("六十天", 60)):
        member = make_member(branch=cast.branch_a, name=name)
        make_need(member, interval=30, started=days_ago(400))
        if ago:
            visit(member, ago=ago)
        names[name] = member
    needs = sel.decorate(
        list(sel.overdue_needs(sel.open_needs(cast.user("community_secretary")), TODAY)), TODAY
    )
    assert [n.member.name for n in needs] == ["从未", "一百天", "六十天", "四十天"]
    assert [n.days_since for n in needs] == [None, 100, 60, 40]
    assert [n.days_late for n in needs] == [370, 70, 30, 10]


def test_coverage_groups_by_branch_and_by_community_within_the_scope(cast):
    make_need(make_member(branch=cast.branch_a), interval=30)
    covered = make_member(branch=cast.branch_a2)
    make_need(covered, interval=30)
    visit(covered, ago=3)
    make_need(make_member(branch=cast.branch_b), interval=30)  # district B
    by_branch = _rows(cast.user("district_staff"))
    assert set(by_branch) == {cast.branch_a.name, cast.branch_a2.name}
    assert by_branch[cast.branch_a2.name].share_label == "100%"
    assert by_branch[cast.branch_a.name].share_label == "0%"
    by_community = _rows(cast.user("district_staff"), group="community")
    assert set(by_community) == {cast.community_a.name, cast.community_a2.name}
    total = sel.coverage_total(list(by_branch.values()))
    assert (total.needs, total.covered, total.overdue) == (2, 1, 1)
    assert set(_rows(cast.user("community_secretary"))) == {cast.branch_a.name}


def test_open_follow_ups_past_due_are_counted_and_due_today_is_not_late(cast):
    member = make_member(branch=cast.branch_a)
    make_need(member, interval=30)
    v = visit(member, ago=10)
    FollowUp.objects.create(visit=v, matter="楼道灯坏了", owner_name="物业", due_on=days_ago(1))
    FollowUp.objects.create(visit=v, matter="申请助餐", owner_name="居委会", due_on=TODAY)
    FollowUp.objects.create(
        visit=v,
        matter="已解决的",
        owner_name="居委会",
        due_on=days_ago(5),
        state=FollowUpState.SOLVED,
        solved_on=days_ago(2),
    )
    assert _rows(cast.user("community_secretary"))[cast.branch_a.name].follow_ups_past_due == 1


def test_the_carers_week_lists_their_members_due_by_sunday(cast):
    me = cast.user("community_secretary")
    due_sunday = make_member(branch=cast.branch_a, name="周日到期")
    due_monday = make_member(branch=cast.branch_a, name="下周一到期")
    overdue = make_member(branch=cast.branch_a, name="已逾期")
    someone_elses = make_member(branch=cast.branch_a, name="别人结对")
    gone = make_member(branch=cast.branch_a, name="已去世", status=MemberStatus.DECEASED)
    sunday = sel.week_end(TODAY)
    assert sunday == datetime.date(2026, 3, 22)
    for member, ago in ((due_sunday, 26), (due_monday, 25), (overdue, 50), (gone, 50)):
        need = make_need(member, interval=30)
        visit(member, ago=ago)
        carer(need, user=me, lead=True)
    carer(make_need(someone_elses, interval=30), user=cast.user("branch_secretary"))
    names = [n.member.name for n in sel.carer_week(me, TODAY)]
    assert names == ["已逾期", "周日到期"]


def test_a_carer_whose_role_no_longer_covers_the_member_does_not_see_them(cast):
    outsider = cast.user("community_b_secretary")
    member = make_member(branch=cast.branch_a)
    need = make_need(member, interval=30)
    carer(need, user=outsider, lead=True)
    assert list(sel.carer_week(outsider, TODAY)) == []
