"""The dashboards' summaries (activities.meetings.summaries) equal a live aggregate of the source
rows after every write path: recording, correcting, moving a meeting to another month,
make-ups from the meeting page and from 送学上门 visits (made, moved, removed), care
visits (in person, by phone, changed, deleted), and the rebuild command."""

import datetime
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Max

from activities.care import services as care_services
from activities.care.models import CareNeed, CareVisitKind
from activities.care.selectors import last_visit_subquery
from activities.meetings import summaries
from activities.meetings.models import (
    ATTENDING,
    Attendance,
    AttendanceStatus,
    BranchMonthTally,
    MakeUp,
    MakeUpKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from activities.meetings.selectors import tally_annotations
from activities.meetings.services import makeups, planning, recording
from members.models import Member

from ..conftest import record

pytestmark = pytest.mark.django_db
D = datetime.date


def live_tallies() -> dict:
    """(branch, month) -> counts, aggregated from every attendance row and held meeting."""
    found = {}
    for meeting in Meeting.objects.filter(status=MeetingStatus.HELD):
        key = (meeting.branch_id, meeting.held_on.replace(day=1))
        found.setdefault(key, dict.fromkeys(("held", *summaries.TALLY_FIELDS), 0))
        found[key]["held"] += 1
    rows = (
        Attendance.objects.filter(meeting__status=MeetingStatus.HELD)
        .values("meeting_id", "meeting__branch_id", "meeting__held_on")
        .annotate(**tally_annotations())
    )
    for row in rows:
        counts = found[(row["meeting__branch_id"], row["meeting__held_on"].replace(day=1))]
        for name in summaries.TALLY_FIELDS:
            counts[name] += row[f"n_{name}"]
    return found


def live_participation() -> dict:
    last = {}
    attended = (
        Attendance.objects.filter(status__in=ATTENDING, meeting__status=MeetingStatus.HELD)
        .values_list("member_id")
        .annotate(day=Max("meeting__held_on"))
    )
    made_up = MakeUp.objects.values_list("attendance__member_id").annotate(day=Max("made_up_on"))
    for member_id, day in [*attended, *made_up]:
        last[member_id] = max(day, last.get(member_id, day))
    return last


def stored_tallies() -> dict:
    return {
        (row.branch_id, row.month): {
            name: getattr(row, name) for name in ("held", *summaries.TALLY_FIELDS)
        }
        for row in BranchMonthTally.objects.all()
    }


def assert_summaries_are_live():
    assert stored_tallies() == live_tallies()
    stored = Member.objects.filter(last_participated_on__isnull=False)
    assert dict(stored.values_list("pk", "last_participated_on")) == live_participation()
    needs = CareNeed.objects.annotate(live=last_visit_subquery())
    assert [(n.pk, n.last_visit_on) for n in needs] == [(n.pk, n.live) for n in needs]


def test_every_write_path_keeps_the_summaries_equal_to_the_source_rows(roster):
    branch, people = roster.branch, roster.members
    first, second = people[0], people[1]
    assert_summaries_are_live()
    assert not BranchMonthTally.objects.exists()

    # A held meeting recorded in one go; a second one in the same month.
    march = record(
        branch=branch,
        held_on=D(2026, 3, 10),
        marks={first.pk: recording.Mark(AttendanceStatus.ABSENT)},
    )
    assert_summaries_are_live()
    record(branch=branch, kind=MeetingKind.THEME_DAY, held_on=D(2026, 3, 20))
    assert_summaries_are_live()
    tally = BranchMonthTally.objects.get(branch=branch, month=D(2026, 3, 1))
    assert (tally.held, tally.expected, tally.absent) == (2, 20, 1)
    assert Member.objects.get(pk=first.pk).last_participated_on == D(2026, 3, 20)

    # A planned meeting, then recorded as held (it was never in a tally before).
    planned, _ = planning.meeting_plan(
        branch=branch,
        details={"kind": MeetingKind.LECTURE, "topic": "党课", "planned_on": D(2026, 4, 2)},
        client_key=uuid.uuid4(),
        actor=None,
    )
    assert_summaries_are_live()
    recording.meeting_record(
        meeting=planned,
        details={"held_on": D(2026, 4, 3)},
        marks={second.pk: recording.Mark(AttendanceStatus.EXCUSED, "住院")},
        record_key=uuid.uuid4(),
        actor=None,
    )
    assert_summaries_are_live()

    # Made up on the meeting page, then the absence corrected to present (the make-up
    # goes away with it).
    absent = Attendance.objects.get(meeting=march, member=first)
    makeups.makeup_record(
        attendance=absent,
        details={
            "kind": MakeUpKind.STUDY,
            "made_up_on": D(2026, 4, 20),
            "delivered_by": "书记",
            "material": "学习材料",
        },
        actor=None,
    )
    assert_summaries_are_live()
    assert Member.objects.get(pk=first.pk).last_participated_on == D(2026, 4, 20)
    recording.meeting_record(
        meeting=march,
        details={},
        marks={first.pk: recording.Mark(AttendanceStatus.PRESENT)},
        record_key=uuid.uuid4(),
        actor=None,
    )
    assert_summaries_are_live()
    assert not MakeUp.objects.filter(attendance=absent).exists()

    # The meeting's date corrected into another month: both months are rewritten.
    planning.meeting_update(meeting=march, details={"held_on": D(2026, 2, 27)}, actor=None)
    assert_summaries_are_live()
    assert BranchMonthTally.objects.get(branch=branch, month=D(2026, 2, 1)).held == 1
    assert BranchMonthTally.objects.get(branch=branch, month=D(2026, 3, 1)).held == 1

    # 送学上门: a visit makes up the excused member's April meeting, then moves to
    # another meeting, then is deleted.
    april = Meeting.objects.get(pk=planned.pk)
    visit, _ = care_services.visit_record(
        member=second,
        data={
            "visited_on": D(2026, 5, 6),
            "kind": CareVisitKind.HOME_STUDY,
            "visitors": "张书记",
            "meeting": april,
        },
        actor=None,
    )
    assert_summaries_are_live()
    assert Member.objects.get(pk=second.pk).last_participated_on == D(2026, 5, 6)
    may = record(
        branch=branch,
        held_on=D(2026, 5, 12),
        marks={second.pk: recording.Mark(AttendanceStatus.EXCUSED, "卧床")},
    )
    care_services.visit_update(
        visit=visit, data={"meeting": may, "visited_on": D(2026, 5, 14)}, actor=None
    )
    assert_summaries_are_live()
    care_services.visit_delete(visit=visit, actor=None)
    assert_summaries_are_live()
    assert BranchMonthTally.objects.get(branch=branch, month=D(2026, 5, 1)).made_up == 0

    # A meeting that was never held leaves no tally behind when cancelled.
    cancelled, _ = planning.meeting_plan(
        branch=branch,
        details={"kind": MeetingKind.THEME_DAY, "topic": "取消", "planned_on": D(2026, 6, 2)},
        client_key=uuid.uuid4(),
        actor=None,
    )
    planning.meeting_cancel(meeting=cancelled, reason="天气", actor=None)
    assert_summaries_are_live()
    assert not BranchMonthTally.objects.filter(month=D(2026, 6, 1)).exists()


def test_the_rebuild_command_recomputes_rows_written_past_the_services(roster):
    branch, people = roster.branch, roster.members
    record(branch=branch, held_on=D(2026, 1, 8))
    # Rows written straight into the tables (a bulk load, a restore).
    meeting = Meeting.objects.create(
        branch=branch,
        kind=MeetingKind.THEME_DAY,
        status=MeetingStatus.HELD,
        topic="导入",
        planned_on=D(2026, 2, 5),
        held_on=D(2026, 2, 5),
    )
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, member=m, status=AttendanceStatus.PRESENT) for m in people
    )
    BranchMonthTally.objects.create(branch=branch, month=D(2025, 1, 1), held=9)  # stale
    assert stored_tallies() != live_tallies()

    out = StringIO()
    call_command("rebuild_summaries", stdout=out)
    assert_summaries_are_live()
    assert "2 branch-month tallies, 10 members who took part" in out.getvalue()
    assert BranchMonthTally.objects.aggregate(n=Count("pk"))["n"] == 2 and Member.objects.get(
        pk=people[0].pk
    ).last_participated_on == D(2026, 2, 5)


def test_care_visits_keep_each_needs_last_visit(roster):
    cared, other = roster.members[2], roster.members[3]
    care_services.visit_record(
        member=cared,
        data={"visited_on": D(2026, 3, 2), "kind": CareVisitKind.ROUTINE, "visitors": "书记"},
        actor=None,
    )
    # Care recorded after a visit: the visit before it counts.
    need, _ = care_services.need_save(
        member=cared, data={"interval_days": 30, "started_on": D(2026, 3, 1)}, actor=None
    )
    assert_summaries_are_live()
    assert CareNeed.objects.get(pk=need.pk).last_visit_on == D(2026, 3, 2)
    care_services.need_save(
        member=other, data={"interval_days": 30, "started_on": D(2026, 3, 1)}, actor=None
    )
    # A phone call is not a visit; a later one in person is.
    care_services.visit_record(
        member=cared,
        data={"visited_on": D(2026, 4, 9), "kind": CareVisitKind.PHONE, "visitors": "书记"},
        actor=None,
    )
    assert_summaries_are_live()
    later, _ = care_services.visit_record(
        member=cared,
        data={"visited_on": D(2026, 4, 20), "kind": CareVisitKind.SICK_VISIT, "visitors": "书记"},
        actor=None,
    )
    assert_summaries_are_live()
    care_services.visit_update(visit=later, data={"visited_on": D(2026, 4, 25)}, actor=None)
    assert_summaries_are_live()
    assert CareNeed.objects.get(pk=need.pk).last_visit_on == D(2026, 4, 25)
    care_services.visit_delete(visit=later, actor=None)
    assert_summaries_are_live()
    assert CareNeed.objects.get(pk=need.pk).last_visit_on == D(2026, 3, 2)
    assert CareNeed.objects.get(member=other).last_visit_on is None
