"""The year end's rules, through its services and the status selector, on the roster
(ten active members) and its five-member committee."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import AuditEntry
from activities.meetings.models import MeetingKind
from activities.year_end import selectors, services
from activities.year_end.models import Appraisal, PairKind, RectificationItem, TalkPair
from activities.year_end.services import YearEndError

from ..conftest import member, record

YEAR = 2026
TODAY = datetime.date(2026, 12, 6)
pytestmark = pytest.mark.django_db


def status(branch, year=YEAR, today=TODAY):
    return selectors.year_end_status([branch.pk], year, today)[branch.pk]


def qualified(**extra):
    return {"decision": "qualified", "proposal": "qualified", "votes_qualified": 8, **extra}


def test_a_pair_with_a_member_of_another_branch_is_refused_in_chinese(committee, cast):
    with translation.override("zh-hans"), pytest.raises(YearEndError) as refused:
        services.pairs_add(
            branch=committee.branch,
            year=YEAR,
            pairs=[(committee.members[0], cast.member_b, PairKind.MEMBERS)],
            actor=None,
        )
    assert str(refused.value) == "李华不是本支部党员。"
    assert not TalkPair.objects.exists()


def test_a_grade_for_a_member_of_another_branch_is_refused(committee, cast):
    with translation.override("zh-hans"), pytest.raises(YearEndError) as refused:
        services.appraisal_save(
            branch=committee.branch,
            year=YEAR,
            member=cast.member_b,
            data=qualified(),
            version=None,
            actor=None,
        )
    assert "不是本支部党员" in str(refused.value)
    assert not Appraisal.objects.exists()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"decision": "unqualified", "outcome": "correct_by_deadline"}, "reason"),
        ({"decision": "unqualified", "reason": "长期不参加组织生活"}, "outcome"),
        ({"decision": "basically_qualified"}, "reason"),
        ({"decision": "qualified", "outcome": "advised_to_leave"}, "outcome"),
    ],
)
def test_the_grade_rules_refuse_what_they_do_not_allow(committee, data, code):
    with pytest.raises(YearEndError) as refused:
        services.appraisal_save(
            branch=committee.branch,
            year=YEAR,
            member=committee.members[5],
            data=data,
            version=None,
            actor=None,
        )
    assert refused.value.code == code
    assert not Appraisal.objects.exists()


def test_an_unqualified_grade_is_recorded_with_its_reason_and_outcome(committee):
    row, changed = services.appraisal_save(
        branch=committee.branch,
        year=YEAR,
        member=committee.members[5],
        data={
            "decision": "unqualified",
            "reason": "长期不参加组织生活",
            "outcome": "correct_by_deadline",
            "votes_unqualified": 6,
        },
        version=None,
        actor=None,
    )
    assert changed and row.outcome == "correct_by_deadline"


def test_a_member_who_could_not_attend_is_graded_with_the_reason(committee):
    row, _ = services.appraisal_save(
        branch=committee.branch,
        year=YEAR,
        member=committee.bedridden,
        data=qualified(absent_reason="卧床，委托书面意见"),
        version=None,
        actor=None,
    )
    assert row.absent_reason == "卧床，委托书面意见" and row.decision == "qualified"
    assert status(committee.branch).graded == 1


def test_saving_an_appraisal_over_a_newer_one_is_a_conflict(committee):
    kwargs = {"branch": committee.branch, "year": YEAR, "member": committee.members[5]}
    row, _ = services.appraisal_save(**kwargs, data=qualified(), version=None, actor=None)
    services.appraisal_save(**kwargs, data=qualified(reason="a"), version=row.version, actor=None)
    with pytest.raises(YearEndError) as refused:
        services.appraisal_save(
            **kwargs, data=qualified(reason="b"), version=row.version, actor=None
        )
    assert refused.value.code == "conflict"
    assert Appraisal.objects.get().reason == "a"


def test_the_suggestions_pair_the_secretary_and_spread_the_members_over_the_committee(
    committee,
):
    members = committee.members
    board = [members[0], members[1], members[2], members[3], members[6]]
    secretary = services.pair_suggestions(
        branch=committee.branch, year=YEAR, today=TODAY, which="secretary"
    )
    assert [(a, b) for a, b, _k in secretary] == [(members[0], m) for m in board[1:]]
    spread = services.pair_suggestions(
        branch=committee.branch, year=YEAR, today=TODAY, which="committee"
    )
    assert sorted(b.pk for _a, b, _k in spread) == sorted(m.pk for m in members if m not in board)
    assert {a for a, _b, _k in spread} <= set(board)


def test_planning_the_same_pairs_twice_plans_them_once(committee):
    pairs = services.pair_suggestions(
        branch=committee.branch, year=YEAR, today=TODAY, which="secretary"
    )
    assert services.pairs_add(branch=committee.branch, year=YEAR, pairs=pairs, actor=None) == 4
    reversed_pairs = [(b, a, k) for a, b, k in pairs]
    assert (
        services.pairs_add(branch=committee.branch, year=YEAR, pairs=reversed_pairs, actor=None)
        == 0
    )
    assert TalkPair.objects.count() == 4


def test_the_talk_note_is_encrypted_at_rest_and_kept_out_of_the_trail(committee):
    a, b = committee.members[0], committee.members[4]
    services.pairs_add(
        branch=committee.branch, year=YEAR, pairs=[(a, b, PairKind.MEMBERS)], actor=None
    )
    pair = TalkPair.objects.get()
    services.talk_record(
        pair=pair,
        data={"held_on": TODAY, "note": "谈到老伴住院的困难"},
        version=1,
        actor=None,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM activities_talkpair WHERE id = %s", [pair.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc1:") and "住院" not in stored
    assert TalkPair.objects.get().note == "谈到老伴住院的困难"
    entry = AuditEntry.objects.filter(object_type="activities.talkpair", action="update").get()
    assert "住院" not in str(entry.changes)


def _hold_everything(roster, *, today=TODAY):
    """Every step of the cycle done for the roster's branch, through the services."""
    branch = roster.branch
    for which in ("secretary", "committee"):
        pairs = services.pair_suggestions(branch=branch, year=YEAR, today=today, which=which)
        services.pairs_add(branch=branch, year=YEAR, pairs=pairs, actor=None)
    for pair in TalkPair.objects.all():
        services.talk_record(pair=pair, data={"held_on": today}, version=1, actor=None)
    meeting = record(branch=branch, kind=MeetingKind.LIFE_MEETING, held_on=TODAY)
    services.life_meeting_save(
        branch=branch,
        year=YEAR,
        meeting=meeting,
        observer="和平街道 王委员",
        records={m: {"self_criticism": True} for m in roster.members},
        version=None,
        actor=None,
    )
    for m in roster.members:
        services.appraisal_save(
            branch=branch, year=YEAR, member=m, data=qualified(), version=None, actor=None
        )


def test_the_states_step_by_step(committee):
    branch = committee.branch
    assert status(branch).state == selectors.NOT_STARTED
    assert status(branch).steps == dict.fromkeys(
        ["talks", "life_meeting", "appraisal", "rectification"], selectors.NOT_STARTED
    )

    pairs = services.pair_suggestions(branch=branch, year=YEAR, today=TODAY, which="secretary")
    services.pairs_add(branch=branch, year=YEAR, pairs=pairs, actor=None)
    now = status(branch)
    assert (now.state, now.steps["talks"], now.paired, now.pairs) == (
        selectors.IN_PROGRESS,
        selectors.IN_PROGRESS,
        5,  # the secretary and four committee members
        4,
    )

    _hold_everything(committee)
    now = status(branch)
    assert now.steps["talks"] == now.steps["life_meeting"] == now.steps["appraisal"]
    assert now.steps["talks"] == selectors.DONE
    assert now.steps["rectification"] == selectors.NOT_STARTED
    assert now.state == selectors.IN_PROGRESS

    for n in range(2):
        services.item_add(
            branch=branch,
            year=YEAR,
            data={
                "source": "branch",
                "problem": f"问题{n}",
                "measure": "措施",
                "owner": "组织委员",
                "deadline": datetime.date(2027, 3, 31),
            },
            client_key=uuid.uuid4(),
            actor=None,
        )
    item = RectificationItem.objects.first()
    services.item_close(item=item, evidence="已整改", closed_on=TODAY, actor=None)
    now = status(branch)
    assert (now.state, now.open_items, now.overdue_items) == (selectors.DONE, 1, 0)


def test_a_member_who_joins_later_and_is_in_no_pair_keeps_the_talks_open(committee):
    _hold_everything(committee)
    member(branch=committee.branch)  # a newcomer: in no pair, not graded
    now = status(committee.branch)
    assert now.steps["talks"] == now.steps["appraisal"] == selectors.IN_PROGRESS


def test_an_open_item_carries_over_into_the_next_year_until_closed(committee):
    branch = committee.branch
    data = {
        "source": "branch",
        "problem": "送学上门不及时",
        "measure": "建立台账",
        "owner": "支部书记",
        "deadline": datetime.date(2026, 12, 20),
    }
    services.item_add(branch=branch, year=YEAR, data=data, client_key=None, actor=None)
    closed, _ = services.item_add(
        branch=branch, year=YEAR, data={**data, "problem": "已解决"}, client_key=None, actor=None
    )
    services.item_close(item=closed, evidence="已整改", closed_on=TODAY, actor=None)
    january = datetime.date(2027, 1, 15)
    shown = [i.problem for i in selectors.shown_items(branch, 2027)]
    assert shown == ["送学上门不及时"]
    later = status(branch, 2027, january)
    assert (later.open_items, later.overdue_items, later.state) == (1, 1, selectors.NOT_STARTED)


def test_a_doubled_add_or_close_does_it_once(committee):
    key = uuid.uuid4()
    data = {
        "source": "branch",
        "problem": "学习不经常",
        "measure": "每月学习",
        "owner": "组织委员",
        "deadline": datetime.date(2027, 1, 31),
    }
    first, created = services.item_add(
        branch=committee.branch, year=YEAR, data=data, client_key=key, actor=None
    )
    again, created_again = services.item_add(
        branch=committee.branch, year=YEAR, data=data, client_key=key, actor=None
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    stale = RectificationItem.objects.get()
    assert services.item_close(item=first, evidence="已整改", closed_on=TODAY, actor=None)
    assert not services.item_close(item=stale, evidence="再次", closed_on=TODAY, actor=None)
    assert RectificationItem.objects.get().evidence == "已整改"
    closes = AuditEntry.objects.filter(object_type="activities.rectificationitem", action="update")
    assert closes.count() == 1


def test_a_committee_member_problem_names_a_committee_member(committee):
    outsider = committee.members[5]  # a plain member
    with pytest.raises(YearEndError) as refused:
        services.item_add(
            branch=committee.branch,
            year=YEAR,
            data={
                "source": "committee_member",
                "committee_member": outsider,
                "problem": "p",
                "measure": "m",
                "owner": "o",
                "deadline": TODAY,
            },
            client_key=None,
            actor=None,
        )
    assert refused.value.code == "not_committee"


def test_the_status_of_many_branches_takes_one_query_whatever_their_number(committee, cast):
    _hold_everything(committee)
    with CaptureQueriesContext(connection) as one:
        selectors.year_end_status([committee.branch.pk], YEAR, TODAY)
    branches = [committee.branch.pk, cast.branch_a.pk, cast.branch_b.pk, cast.branch_a2.pk]
    with CaptureQueriesContext(connection) as many:
        found = selectors.year_end_status(branches, YEAR, TODAY)
    # a row per branch, each figure a scalar subquery
    assert len(one) == len(many) == 1
    assert found[cast.branch_a.pk].state == selectors.NOT_STARTED
    assert found[cast.branch_a.pk].members == 2


def test_erasing_a_member_takes_their_year_end_rows_with_them(committee):
    from members.erasure import member_erase

    secretary, member_ = committee.members[0], committee.members[5]
    services.pairs_add(
        branch=committee.branch,
        year=YEAR,
        pairs=[(secretary, member_, PairKind.COMMITTEE_MEMBER)],
        actor=None,
    )
    services.appraisal_save(
        branch=committee.branch,
        year=YEAR,
        member=secretary,
        data=qualified(),
        version=None,
        actor=None,
    )
    services.item_add(
        branch=committee.branch,
        year=YEAR,
        data={
            "source": "committee_member",
            "committee_member": secretary,
            "problem": "联系群众不够",
            "measure": "每月走访",
            "owner": secretary.name,
            "deadline": TODAY,
        },
        client_key=None,
        actor=None,
    )
    member_erase(member=secretary, actor=None)
    assert not TalkPair.objects.exists() and not Appraisal.objects.exists()
    item = RectificationItem.objects.get()
    assert (item.source, item.committee_member_id) == ("branch", None)
    assert secretary.name not in item.owner


def test_a_talk_links_only_a_care_visit_to_one_of_its_two_members(committee, cast):
    from activities.care.models import CareVisit

    a, b = committee.members[0], committee.bedridden
    services.pairs_add(
        branch=committee.branch, year=YEAR, pairs=[(a, b, PairKind.MEMBERS)], actor=None
    )
    pair = TalkPair.objects.get()
    elsewhere = CareVisit.objects.create(
        member=cast.member_a, visited_on=TODAY, kind="sick_visit", visitors="张书记"
    )
    with pytest.raises(YearEndError) as refused:
        services.talk_record(
            pair=pair, data={"held_on": TODAY, "care_visit": elsewhere}, version=1, actor=None
        )
    assert refused.value.code == "visit"
    bedside = CareVisit.objects.create(
        member=b, visited_on=TODAY, kind="sick_visit", visitors="书记"
    )
    services.talk_record(
        pair=pair, data={"held_on": TODAY, "care_visit": bedside}, version=1, actor=None
    )
    assert TalkPair.objects.get().care_visit == bedside


def test_an_area_summary_counts_the_branches_in_each_state(committee, cast):
    _hold_everything(committee)
    services.no_problems_set(branch=committee.branch, year=YEAR, value=True, actor=None)
    services.pairs_add(
        branch=cast.branch_a,
        year=YEAR,
        pairs=[(cast.member_a, cast.member_a_bedridden, PairKind.MEMBERS)],
        actor=None,
    )
    services.item_add(
        branch=cast.branch_a,
        year=YEAR - 1,
        data={
            "source": "branch",
            "problem": "p",
            "measure": "m",
            "owner": "o",
            "deadline": datetime.date(2026, 6, 30),
        },
        client_key=None,
        actor=None,
    )
    ids = [committee.branch.pk, cast.branch_a.pk, cast.branch_a2.pk]
    summary = selectors.year_end_summary(ids, YEAR, TODAY)
    assert (summary.done, summary.in_progress, summary.not_started) == (1, 1, 1)
    assert (summary.open_items, summary.overdue_items) == (1, 1)
