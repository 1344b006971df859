"""The secretaries' workbench fixture: branch_a's year, counted by hand (build_year), with
today pinned to Sunday 6 December 2026 (the month, the quarter and the year all end in 25
days, and "this week" ends today)."""

import datetime

import pytest
from django.utils import timezone

from activities.care import summaries as care_summaries
from activities.care.models import CareNeed, CareVisit, CareVisitKind
from activities.meetings.models import Attendance, MakeUpKind, Meeting, MeetingKind, MeetingStatus
from activities.meetings.services import makeups
from activities.meetings.services.recording import Mark
from notices import services as notice_services
from notices.models import Notice, NoticeReceipt, ResponseKind
from tests.activities.conftest import record

TODAY = datetime.date(2026, 12, 6)
D = datetime.date


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def held(branch, kind, day, group=None):
    return Meeting.objects.create(
        branch=branch,
        kind=kind,
        party_group=group,
        status=MeetingStatus.HELD,
        planned_on=day,
        held_on=day,
        topic="学习",
    )


def plan(branch, kind, day, group=None):
    return Meeting.objects.create(
        branch=branch,
        kind=kind,
        party_group=group,
        status=MeetingStatus.PLANNED,
        planned_on=day,
        topic="学习",
    )


def notice(cast, title, *, response, deadline=None, to=None):
    item = Notice.objects.create(
        organization=cast.district_a,
        author=cast.user("district_staff"),
        title=title,
        body="请认真学习。",
        response=response,
        deadline=deadline,
    )
    item.audience.set([to or cast.community_a])
    notice_services.send(notice=item, actor=cast.user("district_staff"))
    return item


def visit(member, day):
    CareVisit.objects.create(
        member=member, visited_on=day, kind=CareVisitKind.ROUTINE, visitors="张书记"
    )
    care_summaries.refresh(cared=[member.pk])


def build_year(cast):
    """branch_a's 2026 as the hand count below reads it (default cadence rules, one party
    group, no committee, so committee meetings are not owed):

    - 主题党日 monthly: held every month but March and June (2 behind), not yet in
      December, planned for 10 December (due, 25 days left, its plan a tap away);
    - 党小组会 monthly for group_a: held every month but February (1 behind), not yet
      in December (due);
    - 支部党员大会 quarterly: held each quarter (Q4 on 15 October: done);
    - 党课 quarterly: Q1-Q3 held, Q4 planned for 1 December and not recorded (due; the
      planned meeting waits to be recorded);
    - 组织生活会 yearly: not held (due, urgent: 25 days left);
    - 民主评议 yearly: held on 20 November (done).
    Make-ups: the November 主题党日 with 赵德明 absent and 钱秀英 excused (2 waiting); the
    October 主题党日 with 赵德明 absent, made up (not waiting); a 2025-11 absence (outside
    the twelve months). Care: 钱秀英 (every 14 days, visited 20 days ago: overdue) and 赵德明
    (every 30 days, visited 30 days ago: due today, this week). Registrations: the cast's
    one reported registration. Notices to community_a: one to confirm by 9 December
    (unread), one to reply to by 4 December (opened, late), one opened that needs no
    answer and one confirmed (neither waits).
    """
    branch, group = cast.branch_a, cast.group_a
    for month in range(1, 12):
        if month not in (3, 6, 10, 11):  # October's and November's: below, with absences
            held(branch, MeetingKind.THEME_DAY, D(2026, month, 8))
        if month != 2:
            held(branch, MeetingKind.GROUP, D(2026, month, 12), group)
    for day in (D(2026, 2, 10), D(2026, 5, 10), D(2026, 8, 10)):
        held(branch, MeetingKind.GENERAL_ASSEMBLY, day)
        held(branch, MeetingKind.LECTURE, day)
    held(branch, MeetingKind.GENERAL_ASSEMBLY, D(2026, 10, 15))
    held(branch, MeetingKind.APPRAISAL, D(2026, 11, 20))
    marks = {
        cast.member_a.pk: Mark("absent"),
        cast.member_a_bedridden.pk: Mark("excused", "卧床"),
    }
    record(branch=branch, kind=MeetingKind.THEME_DAY, held_on=D(2026, 11, 8), marks=marks)
    october = record(
        branch=branch,
        kind=MeetingKind.THEME_DAY,
        held_on=D(2026, 10, 8),
        marks={cast.member_a.pk: Mark("absent")},
    )
    makeups.makeup_record(
        attendance=Attendance.objects.get(meeting=october, member=cast.member_a),
        details={
            "kind": MakeUpKind.STUDY,
            "made_up_on": D(2026, 10, 20),
            "delivered_by": "张书记",
            "material": "会议精神",
        },
        actor=None,
    )
    record(
        branch=branch,
        kind=MeetingKind.THEME_DAY,
        held_on=D(2025, 11, 8),
        marks={cast.member_a.pk: Mark("absent")},
    )
    theme_plan = plan(branch, MeetingKind.THEME_DAY, D(2026, 12, 10))
    lecture_plan = plan(branch, MeetingKind.LECTURE, D(2026, 12, 1))

    bedridden = CareNeed.objects.create(
        member=cast.member_a_bedridden, interval_days=14, started_on=D(2025, 1, 1)
    )
    routine = CareNeed.objects.create(
        member=cast.member_a, interval_days=30, started_on=D(2025, 1, 1)
    )
    visit(cast.member_a_bedridden, TODAY - datetime.timedelta(days=20))
    visit(cast.member_a, TODAY - datetime.timedelta(days=30))

    to_confirm = notice(
        cast, "关于开展组织生活会的通知", response=ResponseKind.CONFIRM, deadline=D(2026, 12, 9)
    )
    to_reply = notice(cast, "学习资料反馈", response=ResponseKind.REPLY, deadline=D(2026, 12, 4))
    just_read = notice(cast, "主题党日参考", response=ResponseKind.NONE)
    confirmed = notice(
        cast, "已确认的通知", response=ResponseKind.CONFIRM, deadline=D(2026, 12, 20)
    )
    now = timezone.now()
    NoticeReceipt.objects.filter(notice__in=[to_reply, just_read, confirmed]).update(opened_at=now)
    NoticeReceipt.objects.filter(notice=confirmed).update(confirmed_at=now)
    return {
        "theme_plan": theme_plan,
        "lecture_plan": lecture_plan,
        "needs": (bedridden, routine),
        "to_confirm": to_confirm,
        "to_reply": to_reply,
    }


@pytest.fixture
def year(cast, today):
    return build_year(cast)
