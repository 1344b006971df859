"""The sweep: idempotent, constant in queries whatever the number of members, and
targeted to one branch after a save."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.care.models import CareNeed, CareVisit, CareVisitKind, FollowUp
from activities.meetings.models import Meeting, MeetingKind
from activities.messaging import sweep
from activities.messaging.models import Reminder, ReminderKind, ReminderState
from members.models import CommitteeTerm, CommunityRegistration

from .conftest import CADENCE_DEFAULTS, NOW, TODAY, add_member, days, plan, prefer

pytestmark = pytest.mark.django_db


def test_running_the_sweep_twice_creates_nothing_new(cast, secretaries):
    plan(branch=cast.branch_a, on=TODAY + days(1))
    prefer(secretaries[0])
    first = sweep.sweep(now=NOW)
    keys = sorted(Reminder.objects.values_list("kind", "subject", "recipient_id", "period"))
    assert first.created + first.digests == len(keys) == 4
    second = sweep.sweep(now=NOW + datetime.timedelta(minutes=5))
    assert second.created == 0 and second.digests == 0
    assert sorted(Reminder.objects.values_list("kind", "subject", "recipient_id", "period")) == keys


def test_the_same_thing_is_reminded_again_in_its_next_period(cast):
    plan(branch=cast.branch_a, on=TODAY - days(5))  # attendance not recorded: weekly
    sweep.sweep(now=NOW)
    sweep.sweep(now=NOW + days(1))  # same ISO week: nothing new
    assert Reminder.objects.filter(kind=ReminderKind.ATTENDANCE_MISSING).count() == 2
    sweep.sweep(now=NOW + days(7))  # next week: once more for each secretary
    assert Reminder.objects.filter(kind=ReminderKind.ATTENDANCE_MISSING).count() == 4


def grow(cast, n):
    """n more members in branch_a with everything that could be due for each of them:
    a birthday tomorrow, an overdue care need, a past-due follow-up, a waiting
    registration; plus meetings and a term ending."""
    for i in range(n):
        member = add_member(
            branch=cast.branch_a,
            born=datetime.date(1950, 3, 19),
            joined_party_on=datetime.date(1975, 3, 19),
        )
        CareNeed.objects.create(member=member, interval_days=30, started_on=TODAY - days(60))
        visit = CareVisit.objects.create(
            member=member, visited_on=TODAY - days(40), kind=CareVisitKind.ROUTINE, visitors="张"
        )
        FollowUp.objects.create(visit=visit, matter="事项", owner_name="李", due_on=TODAY - days(1))
        CommunityRegistration.objects.filter(member=member).delete()
        CommunityRegistration.objects.create(
            member=member,
            community=cast.community_a,
            status="reported",
            reported_on=TODAY - days(9),
        )
        plan(branch=cast.branch_a, on=TODAY + days(i % 3))
        plan(branch=cast.branch_a, on=TODAY - days(5 + i % 3), topic=f"未登记{i}")
    CommitteeTerm.objects.get_or_create(
        branch=cast.branch_a,
        number=9,
        defaults={"starts_on": datetime.date(2021, 6, 1), "ends_on": TODAY + days(30)},
    )


def count_sweep_queries(now):
    with CaptureQueriesContext(connection) as queries:
        result = sweep.sweep(now=now)
    return len(queries), result


def test_the_sweep_asks_the_same_number_of_queries_for_5_and_40_members(
    cast, secretaries, settings
):
    settings.REMINDER_CADENCE_DAYS_LEFT = CADENCE_DEFAULTS  # every kind in play
    prefer(secretaries[0])
    grow(cast, 5)
    small, small_result = count_sweep_queries(NOW)
    grow(cast, 35)
    large, large_result = count_sweep_queries(NOW + days(7))  # a new week: all due again
    assert (
        sum(large_result.due.values())
        > 5 * sum(n for k, n in small_result.due.items() if k != ReminderKind.CADENCE_AT_RISK) / 2
    )
    # 1 secretaries + 1 per kind (cadence: branches + 5 of compliance; care with its
    # carers; no notices) + 1 existing keys and open items + 1 insert + 1 count + 1
    # update resolving what is done + 4 for the digests (+ savepoints on SQLite's atomic),
    # + 2 for the units' questions (units/reminders.py: overdue action items, overdue
    # tasks from units; the owners' query only when an item is overdue).
    assert small == large, (small, large)
    print(f"sweep queries: {small} (5 members) vs {large} (40 members)")
    assert large <= 27


def test_a_targeted_sweep_only_looks_at_its_branch(cast):
    plan(branch=cast.branch_a, on=TODAY + days(1))
    plan(branch=cast.branch_b, on=TODAY + days(1))
    sweep.sweep(now=NOW, branch_ids=[cast.branch_b.pk])
    assert set(Reminder.objects.values_list("recipient__username", flat=True)) == {
        "community_b_secretary"
    }


def test_meeting_notices_go_to_members_by_sms_only_when_enabled(cast, settings):
    cast.member_a.phone = "13812345678"
    cast.member_a.save()
    group_meeting = plan(
        branch=cast.branch_a, on=TODAY + days(1), kind=MeetingKind.GROUP, party_group=cast.group_a
    )
    sweep.sweep(now=NOW)
    assert not Reminder.objects.filter(kind=ReminderKind.MEETING_NOTICE).exists()
    settings.REMINDER_MEETING_SMS_TO_MEMBERS = True
    sweep.sweep(now=NOW)
    notices = Reminder.objects.filter(kind=ReminderKind.MEETING_NOTICE)
    # member_a is in group_a and has a phone; the bedridden member has no group.
    assert [(n.member_id, n.subject, n.state) for n in notices] == [
        (cast.member_a.pk, f"meeting:{group_meeting.pk}", ReminderState.PENDING)
    ]
    assert "请准时参加" in notices[0].title
    assert Meeting.objects.count() == 1
