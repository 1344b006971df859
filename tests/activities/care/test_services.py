"""Care writes: the 送学上门 visit closing an absence through the meetings' MakeUp,
follow-up states, needs and carers, activities and their participants; every write
audited in the same transaction."""

import datetime
import uuid

import pytest

from accounts.models import AuditEntry
from activities.care import services as cs
from activities.care.models import (
    CareNeed,
    Carer,
    CareVisit,
    CareVisitKind,
    FollowUp,
    FollowUpState,
)
from activities.meetings.models import Attendance, AttendanceStatus, MakeUp, MakeUpKind, MeetingKind
from activities.meetings.selectors import meeting_roster, tally_roster
from activities.meetings.services import makeups, recording

from .conftest import TODAY, days_ago, make_member

pytestmark = pytest.mark.django_db


def hold_meeting(branch, *, absent=(), excused=(), on=None):
    marks = {m.pk: recording.Mark(AttendanceStatus.ABSENT) for m in absent}
    marks.update({m.pk: recording.Mark(AttendanceStatus.EXCUSED, "卧床") for m in excused})
    return recording.meeting_record_new(
        branch=branch,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": "学习党的二十届四中全会精神",
            "held_on": on or days_ago(20),
            "party_group": None,
        },
        marks=marks,
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting


def home_study(member, meeting, *, actor, on=None, visitors="张书记、李委员", **extra):
    data = {
        "visited_on": on or days_ago(5),
        "kind": CareVisitKind.HOME_STUDY,
        "visitors": visitors,
        "summary": "送学上门，讲解全会精神",
        "meeting": meeting,
        **extra,
    }
    return cs.visit_record(member=member, data=data, actor=actor)[0]


def audited(object_type, action=None):
    qs = AuditEntry.objects.filter(object_type=object_type)
    if action:
        qs = qs.filter(action=action)
    return qs.count()


def test_a_home_study_visit_linked_to_a_meeting_closes_that_absence(cast):
    bedridden = make_member(branch=cast.branch_a, name="卧床老党员")
    others = [make_member(branch=cast.branch_a) for _ in range(3)]
    meeting = hold_meeting(cast.branch_a, excused=[bedridden])
    before = tally_roster(meeting_roster(meeting))
    assert (before.excused, before.made_up) == (1, 0)

    visit = home_study(bedridden, meeting, actor=cast.user("community_secretary"))

    make_up = MakeUp.objects.get()
    assert make_up.attendance == Attendance.objects.get(meeting=meeting, member=bedridden)
    assert make_up.kind == MakeUpKind.HOME_DELIVERY
    assert make_up.made_up_on == visit.visited_on
    assert make_up.delivered_by == "张书记、李委员"
    assert visit.make_up == make_up and make_up.care_visit == visit
    after = tally_roster(meeting_roster(meeting))
    assert (after.made_up, after.rate) == (1, 1.0)
    assert before.rate == (before.expected - 1) / before.expected
    assert audited("activities.carevisit", "create") == 1
    assert audited("activities.makeup", "create") == 1
    assert others  # present, untouched


def test_a_visit_takes_over_a_make_up_recorded_on_the_meeting_page(cast):
    member = make_member(branch=cast.branch_a)
    meeting = hold_meeting(cast.branch_a, absent=[member])
    attendance = Attendance.objects.get(meeting=meeting, member=member)
    earlier = makeups.makeup_record(
        attendance=attendance,
        details={
            "kind": MakeUpKind.STUDY,
            "made_up_on": days_ago(10),
            "delivered_by": "王委员",
            "material": "材料",
        },
        actor=None,
    )
    visit = home_study(member, meeting, actor=cast.user("community_secretary"), on=days_ago(3))
    earlier.refresh_from_db()
    assert MakeUp.objects.count() == 1
    assert visit.make_up == earlier
    assert (earlier.kind, earlier.made_up_on) == (MakeUpKind.HOME_DELIVERY, days_ago(3))
    assert audited("activities.makeup", "update") == 1


def test_a_meeting_cannot_be_made_up_twice_by_visits(cast):
    member = make_member(branch=cast.branch_a)
    meeting = hold_meeting(cast.branch_a, absent=[member])
    home_study(member, meeting, actor=None)
    with pytest.raises(cs.CareError) as error:
        home_study(member, meeting, actor=None)
    assert error.value.code == "made_up"
    assert CareVisit.objects.count() == 1  # the second visit rolled back with the error


def test_a_member_who_attended_or_was_not_expected_cannot_be_made_up(cast):
    present = make_member(branch=cast.branch_a)
    meeting = hold_meeting(cast.branch_a)
    with pytest.raises(cs.CareError) as error:
        home_study(present, meeting, actor=None)
    assert error.value.code == "attended"
    stranger = make_member(branch=cast.branch_a2)
    with pytest.raises(cs.CareError) as error:
        home_study(stranger, meeting, actor=None)
    assert error.value.code == "not_on_list"
    assert (CareVisit.objects.count(), MakeUp.objects.count()) == (0, 0)


def test_a_make_up_cannot_predate_the_meeting(cast):
    member = make_member(branch=cast.branch_a)
    meeting = hold_meeting(cast.branch_a, absent=[member], on=days_ago(5))
    with pytest.raises(cs.CareError) as error:
        home_study(member, meeting, actor=None, on=days_ago(6))
    assert error.value.code == "before_meeting"
    assert CareVisit.objects.count() == 0


def test_editing_the_visit_moves_updates_or_removes_its_make_up(cast):
    member = make_member(branch=cast.branch_a)
    first = hold_meeting(cast.branch_a, absent=[member], on=days_ago(40))
    second = hold_meeting(cast.branch_a, absent=[member], on=days_ago(20))
    actor = cast.user("community_secretary")
    visit = home_study(member, first, actor=actor)

    cs.visit_update(visit=visit, data={"visitors": "赵书记"}, actor=actor)
    assert MakeUp.objects.get().delivered_by == "赵书记"

    cs.visit_update(visit=visit, data={"meeting": second}, actor=actor)
    make_up = MakeUp.objects.get()
    assert make_up.attendance.meeting == second
    assert tally_roster(meeting_roster(first)).made_up == 0

    cs.visit_update(visit=visit, data={"kind": CareVisitKind.ROUTINE}, actor=actor)
    visit.refresh_from_db()
    assert (visit.meeting, visit.make_up, MakeUp.objects.count()) == (None, None, 0)
    assert audited("activities.makeup", "delete") == 2


def test_deleting_a_visit_reopens_the_absence_it_closed(cast):
    member = make_member(branch=cast.branch_a)
    meeting = hold_meeting(cast.branch_a, absent=[member])
    visit = home_study(member, meeting, actor=None)
    FollowUp.objects.create(visit=visit, matter="助餐", owner_name="居委会", due_on=TODAY)
    cs.visit_delete(visit=visit, actor=cast.user("community_secretary"))
    assert (CareVisit.objects.count(), MakeUp.objects.count(), FollowUp.objects.count()) == (
        0,
        0,
        0,
    )
    assert tally_roster(meeting_roster(meeting)).made_up == 0
    assert audited("activities.carevisit", "delete") == 1
    assert audited("activities.makeup", "delete") == 1
    assert audited("activities.followup", "delete") == 1


def test_a_doubled_post_records_the_visit_once(cast):
    member = make_member(branch=cast.branch_a)
    key = uuid.uuid4()
    data = {"visited_on": TODAY, "kind": CareVisitKind.ROUTINE, "visitors": "张书记"}
    first, created = cs.visit_record(member=member, data=data, client_key=key, actor=None)
    again, created_again = cs.visit_record(member=member, data=data, client_key=key, actor=None)
    assert (created, created_again, first.pk) == (True, False, again.pk)
    assert CareVisit.objects.count() == 1


def test_follow_ups_move_through_their_states_with_the_solved_date(cast, today):
    member = make_member(branch=cast.branch_a)
    actor = cast.user("community_secretary")
    visit, _ = cs.visit_record(
        member=member,
        data={"visited_on": days_ago(3), "kind": CareVisitKind.HARDSHIP, "visitors": "张书记"},
        follow_up={
            "matter": "申请居家养老服务",
            "owner_name": actor.display_name,
            "due_on": TODAY + datetime.timedelta(days=7),
        },
        actor=actor,
    )
    item = visit.follow_ups.get()
    assert (item.state, item.owner, item.solved_on) == (FollowUpState.OPEN, actor, None)
    item = cs.follow_up_update(follow_up=item, data={"state": "in_progress"}, actor=actor)
    assert (item.state, item.solved_on) == (FollowUpState.IN_PROGRESS, None)
    item = cs.follow_up_update(
        follow_up=item, data={"state": "solved", "outcome": "已办理"}, actor=actor
    )
    assert (item.state, item.solved_on) == (FollowUpState.SOLVED, TODAY)
    with pytest.raises(cs.CareError):
        cs.follow_up_update(
            follow_up=item, data={"state": "closed", "solved_on": days_ago(30)}, actor=actor
        )
    item = cs.follow_up_update(follow_up=item, data={"state": "open"}, actor=actor)
    assert (item.state, item.solved_on) == (FollowUpState.OPEN, None)
    assert audited("activities.followup", "update") == 3


def test_needs_and_carers_are_audited_and_a_new_lead_takes_over(cast):
    member = make_member(branch=cast.branch_a)
    actor = cast.user("community_secretary")
    need, created = cs.need_save(
        member=member,
        data={"poor_health": True, "interval_days": 14, "started_on": TODAY, "care_note": "卧床"},
        actor=actor,
    )
    assert created
    need, created = cs.need_save(member=member, data={"interval_days": 7}, actor=actor)
    assert (created, need.interval_days) == (False, 7)
    first = cs.carer_add(
        need=need, carer=Carer(name="张书记", is_lead=True, user=actor), actor=actor
    )
    second = cs.carer_add(need=need, carer=Carer(name="李党员", is_lead=True), actor=actor)
    first.refresh_from_db()
    assert (first.is_lead, second.is_lead) == (False, True)
    with pytest.raises(cs.CareError):
        cs.carer_add(need=need, carer=Carer(name="张书记", user=actor), actor=actor)
    cs.need_delete(need=need, actor=actor)
    assert (CareNeed.objects.count(), Carer.objects.count()) == (0, 0)
    assert audited("activities.careneed") == 3  # create, update, delete
    assert audited("activities.carer") == 5  # two creates, one demotion, two deletes


def test_the_auditor_sees_that_care_notes_changed_but_not_the_notes(cast):
    from accounts.audit import masked_changes

    member = make_member(branch=cast.branch_a)
    cs.visit_record(
        member=member,
        data={
            "visited_on": TODAY,
            "kind": CareVisitKind.SICK_VISIT,
            "visitors": "张书记",
            "summary": "肺炎住院",
            "matters_raised": "医药费报销",
        },
        actor=None,
    )
    entry = AuditEntry.objects.get(object_type="activities.carevisit")
    # Masked when written: the trail outlives an erased member by up to 180 days.
    assert entry.changes["after"]["summary"] == "***"
    assert "肺炎" not in str(entry.changes) and "医药费" not in str(entry.changes)
    shown = masked_changes(entry.changes)["after"]
    assert shown["summary"] == "***" and shown["matters_raised"] == "***"
    assert shown["visitors"] == "张书记"


def test_the_meetings_offered_for_a_home_study_are_those_this_member_has_not_made_up(cast):
    from activities.care.selectors import make_up_choices

    member = make_member(branch=cast.branch_a)
    neighbour = make_member(branch=cast.branch_a)
    done = hold_meeting(cast.branch_a, excused=[member, neighbour], on=days_ago(30))
    missed = hold_meeting(cast.branch_a, absent=[member], on=days_ago(20))
    attended = hold_meeting(cast.branch_a, absent=[neighbour], on=days_ago(10))
    home_study(member, done, actor=None)
    assert list(make_up_choices(member, today=TODAY)) == [missed]
    assert set(make_up_choices(neighbour, today=TODAY)) == {done, attended}
    visit = CareVisit.objects.get(meeting=done)
    assert set(make_up_choices(member, today=TODAY, current_meeting_id=visit.meeting_id)) == {
        done,
        missed,
    }
