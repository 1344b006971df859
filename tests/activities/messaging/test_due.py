"""What is due: each kind of reminder, who gets it, and the thresholds (settings)."""

import datetime
import uuid

import pytest

from activities.care.models import CareNeed, CareVisit, CareVisitKind, FollowUp
from activities.meetings.models import AttendanceStatus, MeetingKind
from activities.meetings.services import recording
from activities.messaging import sweep
from activities.messaging.models import Reminder, ReminderKind
from members.models import CommitteeTerm

from .conftest import CADENCE_DEFAULTS, NOW, TODAY, add_member, days, plan

pytestmark = pytest.mark.django_db


def recipients(kind, subject=None):
    qs = Reminder.objects.filter(kind=kind)
    if subject:
        qs = qs.filter(subject=subject)
    return sorted(qs.values_list("recipient__username", flat=True))


def test_a_meeting_within_three_days_reminds_the_branch_and_community_secretaries(cast):
    meeting = plan(branch=cast.branch_a, on=TODAY + days(2), start_time=datetime.time(9, 30))
    sweep.sweep(now=NOW)
    assert recipients(ReminderKind.MEETING_UPCOMING) == ["branch_secretary", "community_secretary"]
    item = Reminder.objects.filter(kind=ReminderKind.MEETING_UPCOMING).first()
    assert item.subject == f"meeting:{meeting.pk}"
    assert item.period == "2026-03-20"
    assert item.area_path == cast.community_a.path
    assert "3月20日" in item.title and "支部党员大会" in item.title and "学习党章" in item.title
    assert "09:30" in item.body
    assert item.link == f"/meetings/{meeting.pk}/"


def test_a_meeting_further_ahead_is_not_due_until_the_threshold(cast, settings):
    plan(branch=cast.branch_a, on=TODAY + days(5))
    sweep.sweep(now=NOW)
    assert recipients(ReminderKind.MEETING_UPCOMING) == []
    settings.REMINDER_MEETING_DAYS_AHEAD = 5
    sweep.sweep(now=NOW)
    assert len(recipients(ReminderKind.MEETING_UPCOMING)) == 2


def test_another_districts_meeting_reaches_only_its_own_secretary(cast):
    plan(branch=cast.branch_b, on=TODAY + days(1))
    sweep.sweep(now=NOW)
    assert recipients(ReminderKind.MEETING_UPCOMING) == ["community_b_secretary"]


def test_a_meeting_not_recorded_days_after_its_day_asks_for_the_attendance(cast):
    late = plan(branch=cast.branch_a, on=TODAY - days(4))
    plan(branch=cast.branch_a, on=TODAY - days(1))  # too recent to nag
    sweep.sweep(now=NOW)
    items = Reminder.objects.filter(kind=ReminderKind.ATTENDANCE_MISSING)
    assert {i.subject for i in items} == {f"meeting:{late.pk}"}
    assert items[0].period == "2026-W12"  # weekly until recorded
    assert items[0].link == f"/meetings/{late.pk}/record/"
    assert "4天" in items[0].title


def test_a_cadence_period_ending_soon_and_not_met_is_at_risk(cast, settings):
    settings.REMINDER_CADENCE_DAYS_LEFT = CADENCE_DEFAULTS
    # 2026-03-25: six days before the quarter (and March) end; nothing held this quarter.
    late_march = NOW + days(7)
    sweep.sweep(now=late_march)
    subjects = set(
        Reminder.objects.filter(
            kind=ReminderKind.CADENCE_AT_RISK, recipient=cast.user("branch_secretary")
        ).values_list("subject", flat=True)
    )
    branch = cast.branch_a.pk
    assert f"cadence:{branch}:general_assembly:2026-01-01" in subjects  # quarterly
    assert f"cadence:{branch}:theme_day:2026-03-01" in subjects  # monthly
    assert not any(s.endswith(":life_meeting:2026-01-01") for s in subjects)  # yearly: not yet


def test_a_met_cadence_is_not_at_risk(cast, settings):
    settings.REMINDER_CADENCE_DAYS_LEFT = CADENCE_DEFAULTS
    recording.meeting_record_new(
        branch=cast.branch_a,
        details={"kind": MeetingKind.GENERAL_ASSEMBLY, "topic": "一季度党员大会", "held_on": TODAY},
        marks={},
        client_key=uuid.uuid4(),
        actor=None,
    )
    sweep.sweep(now=NOW + days(7))
    assert not Reminder.objects.filter(
        kind=ReminderKind.CADENCE_AT_RISK,
        subject__startswith=f"cadence:{cast.branch_a.pk}:general_assembly:",
    ).exists()
    # branch_b, one district over, held nothing: still at risk.
    assert Reminder.objects.filter(
        kind=ReminderKind.CADENCE_AT_RISK,
        subject__startswith=f"cadence:{cast.branch_b.pk}:general_assembly:",
    ).exists()


def test_overdue_care_visits_and_past_due_follow_ups_are_reminded(cast):
    member = cast.member_a
    need = CareNeed.objects.create(member=member, interval_days=30, started_on=TODAY - days(90))
    visit = CareVisit.objects.create(
        member=member, visited_on=TODAY - days(45), kind=CareVisitKind.ROUTINE, visitors="张书记"
    )
    FollowUp.objects.create(
        visit=visit,
        matter="申请助餐（病情保密）",
        owner_name="居委会李主任",
        owner=cast.user("street_staff"),
        due_on=TODAY - days(2),
    )
    sweep.sweep(now=NOW)
    care = Reminder.objects.filter(kind=ReminderKind.CARE_OVERDUE)
    assert {i.subject for i in care} == {f"care:{need.pk}"}
    assert "赵德明" in care[0].title and "45" in care[0].title
    follow = Reminder.objects.filter(kind=ReminderKind.FOLLOW_UP_PAST_DUE)
    # The responsible account is told too; the matter (a care note) is never repeated.
    assert recipients(ReminderKind.FOLLOW_UP_PAST_DUE) == [
        "branch_secretary",
        "community_secretary",
        "street_staff",
    ]
    assert all("病情" not in i.title + i.body for i in follow)


def test_birthdays_and_political_birthdays_make_a_greeting_list(cast):
    add_member(branch=cast.branch_a, name="生日党员", born=datetime.date(1946, 3, 20))
    add_member(
        branch=cast.branch_a,
        name="政治生日党员",
        born=datetime.date(1950, 1, 1),
        joined_party_on=datetime.date(1976, 3, 18),
    )
    add_member(branch=cast.branch_a, name="下月党员", born=datetime.date(1950, 4, 20))
    sweep.sweep(now=NOW)
    titles = sorted(
        Reminder.objects.filter(
            kind=ReminderKind.GREETING, recipient=cast.user("branch_secretary")
        ).values_list("title", flat=True)
    )
    assert len(titles) == 2
    assert any("生日党员" in t and "80" in t for t in titles)
    assert any("政治生日党员" in t and "入党50周年" in t for t in titles)


def test_a_member_born_on_29_february_is_greeted_on_the_28th_in_other_years(cast):
    leap = add_member(branch=cast.branch_a, name="闰日党员", born=datetime.date(1948, 2, 29))
    sweep.sweep(now=datetime.datetime(2026, 2, 27, 9, 0, tzinfo=NOW.tzinfo))
    item = Reminder.objects.get(
        kind=ReminderKind.GREETING,
        subject=f"greet:{leap.pk}:birthday",
        recipient=cast.user("branch_secretary"),
    )
    assert item.due_on == datetime.date(2026, 2, 28)


def test_a_term_ending_within_six_months_without_a_next_term(cast):
    ending = CommitteeTerm.objects.create(
        branch=cast.branch_a,
        number=2,
        starts_on=datetime.date(2021, 7, 1),
        ends_on=TODAY + days(100),
    )
    CommitteeTerm.objects.create(  # branch_a2's term is followed by a new one: nothing due
        branch=cast.branch_a2,
        number=1,
        starts_on=datetime.date(2021, 7, 1),
        ends_on=TODAY + days(10),
    )
    CommitteeTerm.objects.create(
        branch=cast.branch_a2, number=2, starts_on=TODAY + days(11), ends_on=TODAY + days(1900)
    )
    sweep.sweep(now=NOW)
    items = Reminder.objects.filter(kind=ReminderKind.TERM_ENDING)
    assert {i.subject for i in items} == {f"term:{ending.pk}"}
    assert items[0].period == "2026-03"  # monthly


def test_a_waiting_registration_goes_to_the_community_secretary_who_accepts_it(cast):
    sweep.sweep(now=NOW)
    items = Reminder.objects.filter(kind=ReminderKind.REGISTRATION_WAITING)
    assert {i.subject for i in items} == {f"registration:{cast.reg_a_reported.pk}"}
    assert recipients(ReminderKind.REGISTRATION_WAITING) == ["community_secretary"]
    assert "孙建国" in items[0].title and "翠园社区" in items[0].title


def test_a_member_with_no_participation_for_three_months_is_a_prompt(cast):
    quiet = cast.member_a
    active = cast.member_a_bedridden
    recording.meeting_record_new(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": "党员大会",
            "held_on": TODAY - days(30),
        },
        marks={quiet.pk: recording.Mark(AttendanceStatus.ABSENT)},
        client_key=uuid.uuid4(),
        actor=None,
    )
    sweep.sweep(now=NOW)
    items = Reminder.objects.filter(kind=ReminderKind.NO_PARTICIPATION)
    assert {i.subject for i in items} == {f"member:{quiet.pk}"}
    assert f"member:{active.pk}" not in {i.subject for i in items}
    # A care visit counts as contact: no prompt for the member any more next month.
    CareVisit.objects.create(
        member=quiet, visited_on=TODAY, kind=CareVisitKind.ROUTINE, visitors="张书记"
    )
    sweep.sweep(now=NOW + days(20))
    assert Reminder.objects.filter(kind=ReminderKind.NO_PARTICIPATION).count() == items.count()
