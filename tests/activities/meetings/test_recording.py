"""The secretary's flow: plan, record (everyone present, tap the exceptions), save once."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry
from activities.meetings.models import Attendance, MakeUp, Meeting, MeetingKind, MeetingStatus
from activities.meetings.selectors import expected_members, meeting_roster
from activities.meetings.services import errors, makeups, planning, recording
from activities.meetings.services.recording import Mark

from ..conftest import member, record

D = datetime.date
JUNE_10 = D(2025, 6, 10)


def plan(roster, kind=MeetingKind.GENERAL_ASSEMBLY, day=JUNE_10, key=None, **extra):
    meeting, _created = planning.meeting_plan(
        branch=roster.branch,
        details={"kind": kind, "topic": "学习党章", "planned_on": day, **extra},
        client_key=key or uuid.uuid4(),
        actor=None,
    )
    return meeting


def names(rows):
    return sorted(r.name for r in rows)


# --- Who is expected ------------------------------------------------------------------


def test_a_general_assembly_expects_the_branchs_active_home_members(roster):
    rows = expected_members(
        branch_id=roster.branch.pk, kind="general_assembly", party_group_id=None, day=D(2025, 6, 1)
    )
    assert names(rows) == sorted(m.name for m in roster.members)
    assert roster.moved.name not in names(rows)


def test_a_group_meeting_expects_only_the_groups_members(roster):
    rows = expected_members(
        branch_id=roster.branch.pk, kind="group", party_group_id=roster.group.pk, day=D(2025, 6, 1)
    )
    assert names(rows) == sorted(m.name for m in roster.in_group)


def test_a_committee_meeting_expects_the_current_terms_post_holders(committee):
    rows = expected_members(
        branch_id=committee.branch.pk, kind="committee", party_group_id=None, day=D(2025, 6, 1)
    )
    assert names(rows) == sorted(m.name for m in committee.committee)
    assert len(rows) == 5


def test_only_full_members_on_the_day_have_a_vote(roster):
    late = member(branch=roster.branch, name="新转正", full_member_on=D(2025, 7, 1))
    day_before = {
        r.name: r.is_voting
        for r in expected_members(
            branch_id=roster.branch.pk,
            kind="general_assembly",
            party_group_id=None,
            day=D(2025, 6, 30),
        )
    }
    assert day_before[late.name] is False
    assert day_before[roster.probationary.name] is False
    assert day_before[roster.members[0].name] is True


# --- Recording ------------------------------------------------------------------------


def test_recording_a_planned_meeting_marks_everyone_present_but_the_exceptions(roster):
    meeting = plan(roster)
    absent, excused = roster.members[1], roster.members[2]
    recording.meeting_record(
        meeting=meeting,
        details={"held_on": D(2025, 6, 10)},
        marks={absent.pk: Mark("absent"), excused.pk: Mark("excused", "住院")},
        record_key=uuid.uuid4(),
        actor=None,
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    statuses = dict(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))
    assert len(statuses) == 10
    assert statuses[absent.pk] == "absent"
    assert statuses[excused.pk] == "excused"
    assert sum(1 for s in statuses.values() if s == "present") == 8


def test_the_same_record_key_twice_writes_once(roster):
    meeting = plan(roster)
    key = uuid.uuid4()
    kwargs = {
        "meeting": meeting,
        "details": {"held_on": D(2025, 6, 10)},
        "marks": {roster.members[0].pk: Mark("absent")},
        "record_key": key,
        "actor": None,
    }
    first = recording.meeting_record(**kwargs)
    audit_after_first = AuditEntry.objects.count()
    second = recording.meeting_record(**kwargs)

    assert (first.replayed, second.replayed) == (False, True)
    assert Attendance.objects.filter(meeting=meeting).count() == 10
    assert AuditEntry.objects.count() == audit_after_first


def test_a_doubled_submit_of_an_unplanned_meeting_creates_one_meeting(roster, client_for):
    client = client_for("community_secretary")
    url = reverse("activities:meeting_record_new", args=[roster.branch.pk])
    data = {
        "kind": "group",
        "group": roster.group.pk,
        "record_key": str(uuid.uuid4()),
        "topic": "学习党章",
        "held_on": "2025-06-10",
        "mode": "on_site",
        f"s{roster.in_group[0].pk}": "excused",
        f"r{roster.in_group[0].pk}": "外出",
    }
    first = client.post(url, data)
    second = client.post(url, data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    meeting = Meeting.objects.get(branch=roster.branch)
    assert meeting.attendances.count() == 6
    assert meeting.attendances.get(member=roster.in_group[0]).reason == "外出"


def test_planning_twice_with_one_key_creates_one_meeting(roster, client_for):
    client = client_for("community_secretary")
    url = reverse("activities:meeting_plan", args=[roster.branch.pk])
    data = {
        "kind": "lecture",
        "topic": "专题党课",
        "planned_on": "2026-12-10",
        "mode": "on_site",
        "client_key": str(uuid.uuid4()),
    }
    client.post(url, data)
    client.post(url, data)
    assert Meeting.objects.filter(branch=roster.branch).count() == 1


def test_a_lost_race_on_the_client_key_returns_the_winner(roster, monkeypatch):
    key = uuid.uuid4()
    winner = plan(roster, key=key)
    # The twin looked before the winner committed: it finds nothing, then its insert
    # hits the unique key and it hands back the winner.
    real_filter = Meeting.objects.filter
    calls = {"n": 0}

    def blind_first_look(*args, **kwargs):
        calls["n"] += 1
        qs = real_filter(*args, **kwargs)
        return qs.none() if calls["n"] == 1 else qs

    monkeypatch.setattr(Meeting.objects, "filter", blind_first_look)
    twin, created = planning.meeting_plan(
        branch=roster.branch,
        details={"kind": "lecture", "topic": "重复", "planned_on": D(2025, 6, 1)},
        client_key=key,
        actor=None,
    )
    assert (twin.pk, created) == (winner.pk, False)
    assert Meeting.objects.count() == 1


def test_correcting_attendance_writes_and_audits_only_the_changed_line(roster):
    meeting = record(branch=roster.branch, held_on=D(2025, 6, 10))
    before = AuditEntry.objects.count()
    target = roster.members[3]
    result = recording.meeting_record(
        meeting=meeting,
        details={},
        marks={target.pk: Mark("absent")},
        record_key=uuid.uuid4(),
        actor=None,
    )
    assert result.changed == 1
    entries = AuditEntry.objects.filter(pk__gt=0).order_by("-pk")[
        : AuditEntry.objects.count() - before
    ]
    assert [e.object_type for e in entries] == ["activities.attendance"]
    assert entries[0].changes == {
        "before": {"status": "present", "reason": ""},
        "after": {"member": target.pk, "status": "absent", "reason": ""},
    }


def test_making_a_made_up_member_present_drops_the_make_up(roster):
    meeting = record(
        branch=roster.branch, held_on=D(2025, 6, 10), marks={roster.members[0].pk: Mark("absent")}
    )
    line = meeting.attendances.get(member=roster.members[0])
    makeups.makeup_record(
        attendance=line,
        details={
            "kind": "study",
            "made_up_on": D(2025, 6, 12),
            "delivered_by": "组织委员",
            "material": "党章",
        },
        actor=None,
    )
    recording.meeting_record(
        meeting=meeting,
        details={},
        marks={roster.members[0].pk: Mark("present")},
        record_key=uuid.uuid4(),
        actor=None,
    )
    assert not MakeUp.objects.exists()


def test_a_cancelled_meeting_cannot_be_recorded(roster):
    meeting = plan(roster)
    planning.meeting_cancel(meeting=meeting, reason="大雨", actor=None)
    with pytest.raises(errors.RecordingError) as error:
        recording.meeting_record(
            meeting=meeting, details={}, marks={}, record_key=uuid.uuid4(), actor=None
        )
    assert error.value.code == "cancelled"


def test_a_held_meeting_cannot_be_cancelled(roster):
    meeting = record(branch=roster.branch, held_on=D(2025, 6, 10))
    with pytest.raises(errors.RecordingError):
        planning.meeting_cancel(meeting=meeting, reason="误操作", actor=None)


def test_recording_leaves_an_audit_row_per_line_in_one_insert(roster):
    before = AuditEntry.objects.count()
    record(branch=roster.branch, held_on=D(2025, 6, 10))
    entries = list(AuditEntry.objects.order_by("pk")[before:])
    assert [e.object_type for e in entries] == ["activities.meeting"] + [
        "activities.attendance"
    ] * 10


def test_the_roster_after_recording_is_the_recorded_list_not_todays(roster):
    meeting = record(branch=roster.branch, held_on=D(2025, 6, 10))
    newcomer = member(branch=roster.branch, name="新来的")
    assert newcomer.name not in names(meeting_roster(meeting))
    assert len(meeting_roster(meeting)) == 10


# --- The recording screen -------------------------------------------------------------


def test_the_recording_screen_shows_four_toggles_per_member_with_present_checked(
    roster, client_for
):
    meeting = plan(roster)
    page = client_for("community_secretary").get(
        reverse("activities:meeting_record", args=[meeting.pk])
    )
    html = page.content.decode()
    assert page.status_code == 200
    first = roster.members[0].pk
    for value in ("present", "remote", "excused", "absent"):
        assert f'id="id_s{first}_{value}"' in html
    assert f'id="id_s{first}_present" value="present" checked' in html
    assert f'id="id_s{roster.bedridden.pk}_excused" value="excused" checked' in html
    for word in ("出席", "线上", "请假", "缺席", "保存出席情况", "到会人数符合要求"):
        assert word in html
    assert "style=" not in html
    assert "<script>" not in html  # every script tag carries the nonce


def test_a_bedridden_member_left_untouched_is_saved_as_excused_bedridden(roster, client_for):
    meeting = plan(roster)
    client_for("community_secretary").post(
        reverse("activities:meeting_record", args=[meeting.pk]),
        {
            "record_key": str(uuid.uuid4()),
            "topic": "学习党章",
            "held_on": "2025-06-10",
            "mode": "on_site",
        },
    )
    line = meeting.attendances.get(member=roster.bedridden)
    assert (line.status, line.reason) == ("excused", "卧床")
    assert meeting.attendances.filter(status="present").count() == 9


def test_an_excusal_without_a_reason_is_refused_in_chinese(roster, client_for):
    meeting = plan(roster)
    target = roster.members[0]
    page = client_for("community_secretary").post(
        reverse("activities:meeting_record", args=[meeting.pk]),
        {
            "record_key": str(uuid.uuid4()),
            "topic": "学习党章",
            "held_on": "2025-06-10",
            "mode": "on_site",
            f"s{target.pk}": "excused",
            f"r{target.pk}": "",
        },
    )
    assert page.status_code == 200
    assert f"请填写{target.name}的请假原因。" in page.content.decode()
    assert not Attendance.objects.exists()


def test_a_meeting_cannot_be_recorded_as_held_in_the_future(roster, client_for):
    meeting = plan(roster, day=D(2099, 1, 1))
    page = client_for("community_secretary").post(
        reverse("activities:meeting_record", args=[meeting.pk]),
        {"record_key": str(uuid.uuid4()), "topic": "x", "held_on": "2099-01-01", "mode": "on_site"},
    )
    assert "召开日期不能晚于今天。" in page.content.decode()


def grow(roster, total):
    for _ in range(total - len(roster.members)):
        member(branch=roster.branch, group=roster.group)


def post_record(client, roster):
    meeting = plan(roster)
    rows = meeting_roster(meeting)
    data = {
        "record_key": str(uuid.uuid4()),
        "topic": "学习党章",
        "held_on": "2025-06-10",
        "mode": "on_site",
    }
    for i, row in enumerate(rows):
        data[f"s{row.member_id}"] = "absent" if i % 7 == 3 else "present"
    url = reverse("activities:meeting_record", args=[meeting.pk])
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, data)
    assert response.status_code == 302
    assert meeting.attendances.count() == len(rows)
    return len(ctx)


def get_record_page(client, roster):
    meeting = plan(roster, day=D(2025, 7, 1))
    url = reverse("activities:meeting_record", args=[meeting.pk])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_saving_a_meeting_runs_the_same_queries_for_10_and_60_members(roster, client_for):
    client = client_for("community_secretary")
    small = post_record(client, roster)
    grow(roster, 60)
    large = post_record(client, roster)
    # The page: session, user, scope, the meeting (scoped), its recorded lines, the
    # expected list: 6. The service, in one transaction (a savepoint pair inside the
    # test's own): the meeting and its branch locked in one SELECT, its lines, the
    # expected list, one UPDATE (carrying the meeting's quorum), one INSERT ... ON
    # CONFLICT for every line, the dashboards' summaries in one statement (the month's
    # tally upserted, the members' latest participation rewritten), the audit (its chain
    # head locked, one INSERT of every entry that also moves the head) and the
    # dashboards' freshness (one UPDATE that finds the districts and streets): 17.
    assert small == large
    assert large == 17


def test_the_recording_screen_runs_the_same_queries_for_10_and_60_members(roster, client_for):
    client = client_for("community_secretary")
    small = get_record_page(client, roster)
    grow(roster, 60)
    assert get_record_page(client, roster) == small
