"""Done items resolve themselves: a full sweep marks an inbox item resolved once its
condition no longer holds (events: once their day has passed); resolved items are shown
apart, never counted unread, never sent in a digest, and come back if due again."""

import datetime
import uuid

import pytest
from django.urls import reverse

from activities.care import services as care_services
from activities.care.models import CareNeed, CareVisit, CareVisitKind, FollowUp, FollowUpState
from activities.meetings.models import MeetingKind
from activities.meetings.services import planning, recording
from activities.messaging import sender as reminder_sender
from activities.messaging import sweep
from activities.messaging.models import Reminder, ReminderKind
from members.models import CommitteeTerm
from members.services.registration import registration_accept

from .conftest import CADENCE_DEFAULTS, NOW, SHANGHAI, TODAY, add_member, days, plan, prefer

pytestmark = pytest.mark.django_db

LATER = NOW + datetime.timedelta(hours=1)  # same day, same ISO week


def items(kind, **filters):
    return Reminder.objects.filter(kind=kind, **filters)


def open_(kind):
    return items(kind, resolved_at__isnull=True)


def test_recording_the_attendance_resolves_the_item_for_everyone(cast):
    meeting = plan(branch=cast.branch_a, on=TODAY - days(4))
    sweep.sweep(now=NOW)
    assert open_(ReminderKind.ATTENDANCE_MISSING).count() == 2  # both secretaries
    recording.meeting_record(
        meeting=meeting,
        details={"held_on": TODAY - days(4)},
        marks={},
        record_key=uuid.uuid4(),
        actor=None,
    )
    result = sweep.sweep(now=LATER)
    assert result.resolved == 2
    assert not open_(ReminderKind.ATTENDANCE_MISSING).exists()
    assert all(i.resolved_at == LATER for i in items(ReminderKind.ATTENDANCE_MISSING))
    # Once resolved, nothing changes and nothing new is written next week.
    assert sweep.sweep(now=LATER + datetime.timedelta(hours=1)).resolved == 0
    sweep.sweep(now=NOW + days(7))
    assert items(ReminderKind.ATTENDANCE_MISSING).count() == 2


def test_a_cancelled_meeting_resolves_attendance_and_coming_up(cast):
    late = plan(branch=cast.branch_a, on=TODAY - days(4))
    soon = plan(branch=cast.branch_a, on=TODAY + days(2))
    sweep.sweep(now=NOW)
    for meeting in (late, soon):
        planning.meeting_cancel(meeting=meeting, reason="下雨", actor=None)
    sweep.sweep(now=LATER)
    assert not open_(ReminderKind.ATTENDANCE_MISSING).exists()
    assert not open_(ReminderKind.MEETING_UPCOMING).exists()


def test_a_meeting_still_not_recorded_stays_open_whatever_the_week(cast):
    plan(branch=cast.branch_a, on=TODAY - days(4))
    other = plan(branch=cast.branch_a, on=TODAY - days(5), topic="另一次")
    sweep.sweep(now=NOW)
    planning.meeting_cancel(meeting=other, reason="改期", actor=None)
    sweep.sweep(now=NOW + days(7))
    # Last week's and this week's item of the unrecorded meeting are both still open.
    assert open_(ReminderKind.ATTENDANCE_MISSING).count() == 4
    assert not open_(ReminderKind.ATTENDANCE_MISSING).filter(subject=f"meeting:{other.pk}")


def test_an_unrecorded_meeting_leaving_the_90_day_window_is_not_called_done(cast):
    plan(branch=cast.branch_a, on=TODAY - days(85))
    sweep.sweep(now=NOW)
    sweep.sweep(now=NOW + days(14))  # now 99 days past: no longer asked about
    assert open_(ReminderKind.ATTENDANCE_MISSING).count() == 2


def test_a_visit_resolves_care_overdue_and_a_deleted_visit_reopens_it(cast):
    need = CareNeed.objects.create(
        member=cast.member_a, interval_days=30, started_on=TODAY - days(90)
    )
    sweep.sweep(now=NOW)
    assert open_(ReminderKind.CARE_OVERDUE).count() == 2
    visit, _ = care_services.visit_record(
        member=cast.member_a,
        data={"visited_on": TODAY, "kind": CareVisitKind.ROUTINE, "visitors": "张书记"},
        actor=None,
    )
    # A targeted sweep (after a save) sees one branch only: it resolves nothing.
    assert sweep.sweep(now=LATER, branch_ids=[cast.branch_a.pk]).resolved == 0
    assert sweep.sweep(now=LATER).resolved == 2
    assert not open_(ReminderKind.CARE_OVERDUE).exists()
    # The visit was entered by mistake: overdue again, the same week's items reopen.
    care_services.visit_delete(visit=visit, actor=None)
    result = sweep.sweep(now=LATER + datetime.timedelta(hours=1))
    assert (result.reopened, result.created) == (2, 0)
    assert set(open_(ReminderKind.CARE_OVERDUE).values_list("subject", flat=True)) == {
        f"care:{need.pk}"
    }


def test_a_solved_follow_up_and_an_accepted_registration_resolve(cast):
    visit = CareVisit.objects.create(
        member=cast.member_a, visited_on=TODAY - days(20), kind=CareVisitKind.ROUTINE, visitors="张"
    )
    follow_up = FollowUp.objects.create(
        visit=visit, matter="助餐", owner_name="李", due_on=TODAY - days(1)
    )
    sweep.sweep(now=NOW)
    assert open_(ReminderKind.FOLLOW_UP_PAST_DUE).exists()
    assert open_(ReminderKind.REGISTRATION_WAITING).exists()
    care_services.follow_up_update(
        follow_up=follow_up, data={"state": FollowUpState.SOLVED}, actor=None
    )
    registration_accept(registration=cast.reg_a_reported, branch=cast.branch_a, actor=None)
    sweep.sweep(now=LATER)
    assert not open_(ReminderKind.FOLLOW_UP_PAST_DUE).exists()
    assert not open_(ReminderKind.REGISTRATION_WAITING).exists()


def test_a_new_term_resolves_term_ending(cast):
    CommitteeTerm.objects.create(
        branch=cast.branch_a,
        number=2,
        starts_on=datetime.date(2021, 7, 1),
        ends_on=TODAY + days(60),
    )
    sweep.sweep(now=NOW)
    assert open_(ReminderKind.TERM_ENDING).exists()
    CommitteeTerm.objects.create(
        branch=cast.branch_a, number=3, starts_on=TODAY + days(61), ends_on=TODAY + days(1900)
    )
    sweep.sweep(now=LATER)
    assert not open_(ReminderKind.TERM_ENDING).exists()


def test_cadence_met_is_resolved_but_a_period_that_ended_unmet_is_not(cast, settings):
    settings.REMINDER_CADENCE_DAYS_LEFT = CADENCE_DEFAULTS
    late_march = NOW + days(7)
    sweep.sweep(now=late_march)
    branch = cast.branch_a.pk
    assembly = open_(ReminderKind.CADENCE_AT_RISK).filter(
        subject=f"cadence:{branch}:general_assembly:2026-01-01"
    )
    theme_day = open_(ReminderKind.CADENCE_AT_RISK).filter(
        subject=f"cadence:{branch}:theme_day:2026-03-01"
    )
    assert assembly.exists() and theme_day.exists()
    recording.meeting_record_new(
        branch=cast.branch_a,
        details={"kind": MeetingKind.GENERAL_ASSEMBLY, "topic": "一季度党员大会", "held_on": TODAY},
        marks={},
        client_key=uuid.uuid4(),
        actor=None,
    )
    sweep.sweep(now=late_march + datetime.timedelta(hours=1))
    assert not assembly.exists()  # met
    assert theme_day.exists()  # still at risk
    sweep.sweep(now=datetime.datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI))
    assert theme_day.exists()  # March ended without one: missed, not done


def test_events_resolve_once_their_day_has_passed(cast):
    plan(branch=cast.branch_a, on=TODAY + days(1))
    add_member(branch=cast.branch_a, name="寿星", born=datetime.date(1946, 3, 19))
    sweep.sweep(now=NOW)
    sweep.sweep(now=NOW + days(1))  # the day itself: still open
    assert open_(ReminderKind.MEETING_UPCOMING).count() == 2
    assert open_(ReminderKind.GREETING).count() == 2
    sweep.sweep(now=NOW + days(2))
    assert not open_(ReminderKind.MEETING_UPCOMING).exists()
    assert not open_(ReminderKind.GREETING).exists()


def test_the_inbox_shows_resolved_items_apart_and_the_badge_skips_them(client_for, cast):
    meeting = plan(branch=cast.branch_a, on=TODAY - days(4), topic="已召开的会")
    sweep.sweep(now=NOW)
    client = client_for("branch_secretary")
    assert "1条未读" in client.get(reverse("reminders:unread_badge")).content.decode()
    planning.meeting_cancel(meeting=meeting, reason="改期", actor=None)
    sweep.sweep(now=LATER)
    assert "无未读" in client.get(reverse("reminders:unread_badge")).content.decode()
    page = client.get(reverse("reminders:inbox")).content.decode()
    assert "已经处理" in page and "已处理" in page and "已召开的会" in page
    assert page.index('id="inbox-resolved"') < page.index("已召开的会")
    assert (
        "已召开的会" not in client.get(reverse("reminders:inbox") + "?show=unread").content.decode()
    )
    item = Reminder.objects.get(recipient=cast.user("branch_secretary"))
    detail = client.get(reverse("reminders:item", args=[item.pk])).content.decode()
    assert "已处理" in detail and "标为已读" not in detail


def test_resolved_items_are_not_sent_in_the_digest(cast, secretaries, smtp):
    community, _branch = secretaries
    prefer(community, digest_time=datetime.time(9, 0))
    done = plan(branch=cast.branch_a, on=TODAY - days(4), topic="已登记的会")
    plan(branch=cast.branch_a, on=TODAY - days(5), topic="未登记的会")
    sweep.sweep(now=NOW - datetime.timedelta(hours=2))  # 08:00: before the digest time
    planning.meeting_cancel(meeting=done, reason="改期", actor=None)
    sweep.sweep(now=NOW)  # 10:00: resolves, then builds the digest
    digest = Reminder.objects.get(kind=ReminderKind.DIGEST, recipient=community)
    titles = list(digest.items.values_list("title", flat=True))
    assert any("未登记的会" in t for t in titles)
    assert not any("已登记的会" in t for t in titles)
    reminder_sender.send_due()
    [mail] = smtp.raw
    body = mail.get_body(("plain",)).get_content()
    assert "未登记的会" in body and "已登记的会" not in body


def test_an_item_resolved_after_the_digest_was_made_is_left_out_when_sending(
    cast, secretaries, smtp
):
    community, _branch = secretaries
    prefer(community)
    first = plan(branch=cast.branch_a, on=TODAY - days(4), topic="先取消的会")
    plan(branch=cast.branch_a, on=TODAY - days(5), topic="还没登记的会")
    sweep.sweep(now=NOW)  # digest made, not yet sent
    planning.meeting_cancel(meeting=first, reason="改期", actor=None)
    sweep.sweep(now=LATER, digests=False)
    reminder_sender.send_due()
    [mail] = smtp.raw
    body = mail.get_body(("plain",)).get_content()
    assert "还没登记的会" in body and "先取消的会" not in body
