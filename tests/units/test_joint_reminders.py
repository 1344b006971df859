"""The units' questions to the reminders sweep: overdue action items to their owners,
overdue tasks from units to the community's secretaries; idempotent, weekly, resolved
once closed or done, constant in queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.messaging import sweep
from activities.messaging.due import QUESTIONS
from activities.messaging.models import Reminder, ReminderKind
from units.events.models import TaskState, UnitEvent, UnitEventKind
from units.joint import services
from units.joint.models import ActionItem, Party
from units.joint.services import ItemEntry, PartyEntry

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
NOW = timezone.make_aware(datetime.datetime(2026, 11, 18, 9, 0))  # a Wednesday
TODAY = NOW.date()
KINDS = {ReminderKind.ACTION_ITEM_OVERDUE, ReminderKind.UNIT_TASK_OVERDUE}


def run(now=NOW, **kwargs):
    return sweep.sweep(now=now, kinds=KINDS, digests=False, **kwargs)


def meeting(cast, items):
    return services.meeting_record(
        area=cast.street_a,
        data={
            "held_on": TODAY - 30 * DAY,
            "place": "",
            "topic": "联席",
            "matters": "",
            "decisions": "",
        },
        parties=[
            PartyEntry(Party.STREET, cast.street_a),
            PartyEntry(Party.COMMUNITY, cast.community_a),
            PartyEntry(Party.UNIT, cast.unit_a),
        ],
        items=items,
        actor=cast.user("street_staff"),
    )


def reminders(kind=ReminderKind.ACTION_ITEM_OVERDUE):
    return sorted(
        Reminder.objects.filter(kind=kind).values_list(
            "subject", "recipient__username", "period", "resolved_at"
        )
    )


def test_the_units_register_their_questions_at_start_up():
    assert set(QUESTIONS) == KINDS


def test_an_overdue_item_reminds_its_owners_once_a_week(cast):
    m = meeting(
        cast,
        [
            ItemEntry("名单", Party.UNIT, cast.unit_a, TODAY - 2 * DAY),
            ItemEntry("走访", Party.COMMUNITY, cast.community_a, TODAY - 1 * DAY),
            ItemEntry("还早", Party.UNIT, cast.unit_a, TODAY + 3 * DAY),
        ],
    )
    unit_item, community_item, _ = m.action_items.order_by("pk")
    users = {u.pk: key for key, u in cast.users.items()}
    first = run()
    rows = reminders()
    assert {(s, users.get(r) or r) for s, r, *_ in rows} <= {
        (f"action:{unit_item.pk}", "unit_liaison"),
        (f"action:{community_item.pk}", "community_secretary"),
    }
    # The two items' owners only: not the street, not the district above them.
    assert sorted(r for _s, r, *_ in rows) == sorted(
        [cast.user("unit_liaison").username, cast.user("community_secretary").username]
    )
    assert first.created == 2
    again = run(NOW + 2 * DAY)  # the same ISO week
    assert again.created == 0 and reminders() == rows
    # A new week: once more, and the third item is overdue by then too.
    assert run(NOW + 7 * DAY).created == 3


def test_closing_an_item_resolves_its_reminder(cast):
    m = meeting(cast, [ItemEntry("名单", Party.UNIT, cast.unit_a, TODAY - 2 * DAY)])
    run()
    item = m.action_items.get()
    services.item_close(
        item=item, note="已办", version=item.version, actor=cast.user("unit_liaison")
    )
    result = run(NOW + DAY)
    assert result.resolved == 1
    [(_, _, _, resolved_at)] = reminders()
    assert resolved_at is not None
    # Reopened and still overdue: the same week's item is open again.
    item = ActionItem.objects.get(pk=item.pk)
    services.item_reopen(item=item, version=item.version, actor=cast.user("street_staff"))
    assert run(NOW + 2 * DAY).reopened == 1


def test_an_overdue_task_from_a_unit_reminds_the_communitys_secretaries(cast):
    event = UnitEvent.objects.create(
        unit=cast.unit_a,
        kind=UnitEventKind.NEWLY_RETIRED,
        community=cast.community_a,
        name="赵新退",
        due_on=TODAY - DAY,
    )
    UnitEvent.objects.create(
        unit=cast.unit_a,
        kind=UnitEventKind.MOVED,
        community=cast.community_a,
        member=cast.member_a,
        due_on=TODAY + DAY,
    )
    run()
    rows = reminders(ReminderKind.UNIT_TASK_OVERDUE)
    assert [(s, r) for s, r, *_ in rows] == [
        (f"unit_event:{event.pk}", cast.user("community_secretary").username)
    ]
    assert "赵新退" not in Reminder.objects.get().title  # no names in group-chat digests
    assert run().created == 0
    UnitEvent.objects.filter(pk=event.pk).update(state=TaskState.DONE)
    assert run(NOW + DAY).resolved == 1


def test_a_branchs_targeted_sweep_does_not_ask(cast):
    meeting(cast, [ItemEntry("名单", Party.UNIT, cast.unit_a, TODAY - 2 * DAY)])
    assert run(branch_ids=[cast.branch_a.pk]).created == 0
    assert run().created == 1


def test_the_questions_cost_the_same_queries_for_2_and_20_items(cast):
    def grow(n):
        meeting(
            cast, [ItemEntry(f"事项{i}", Party.UNIT, cast.unit_a, TODAY - DAY) for i in range(n)]
        )

    grow(2)
    with CaptureQueriesContext(connection) as small:
        run()
    grow(18)
    with CaptureQueriesContext(connection) as large:
        run(NOW + 7 * DAY)
    assert len(small) == len(large), (len(small), len(large))
