"""A unit's retirees spread over two districts, for the overview's tests.

unit_a (东城区教育局): member_a (翠园社区, registered, home branch_a) and two more:
一 in 枫林社区 (district A, street_a2), not registered; 一 in 梅岭社区 (district B),
registration reported. member_a's meetings in 2026: present, absent, excused then
made up: (1 + 0 + 1) / 3; a 2025 meeting lies outside the period. Care: member_a
visited 5 days ago (on time), the district B retiree never visited (overdue)."""

import datetime

from django.utils import timezone

from activities.care.models import CareNeed
from activities.meetings.models import (
    Attendance,
    AttendanceStatus,
    MakeUp,
    MakeUpKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
)

from .. import factories as f

PERIOD = "start=2026-01-01&end=2026-12-31"


def meeting(branch, day, marks, *, topic="主题党日"):
    held = Meeting.objects.create(
        branch=branch,
        kind=MeetingKind.THEME_DAY,
        status=MeetingStatus.HELD,
        topic=topic,
        planned_on=day,
        held_on=day,
    )
    for member, status in marks:
        line = Attendance.objects.create(
            meeting=held,
            member=member,
            status=status,
            reason="外出" if status == AttendanceStatus.EXCUSED else "",
        )
        if status == AttendanceStatus.EXCUSED:
            MakeUp.objects.create(
                attendance=line,
                kind=MakeUpKind.HOME_DELIVERY,
                made_up_on=day,
                delivered_by="王书记",
                material="学习材料",
            )
    return held


def build(cast):
    today = timezone.localdate()
    a2 = f.member(name="吴建华", community=cast.community_a2, original_unit=cast.unit_a)
    b = f.member(name="郑丽", community=cast.community_b, original_unit=cast.unit_a, male=False)
    f.registration(member=b, status="reported")
    m = cast.member_a
    meeting(cast.branch_a, datetime.date(2026, 2, 10), [(m, AttendanceStatus.PRESENT)])
    meeting(cast.branch_a, datetime.date(2026, 3, 10), [(m, AttendanceStatus.ABSENT)])
    meeting(cast.branch_a, datetime.date(2026, 4, 10), [(m, AttendanceStatus.EXCUSED)])
    meeting(cast.branch_a, datetime.date(2025, 4, 10), [(m, AttendanceStatus.PRESENT)])
    need = CareNeed.objects.create(
        member=m, aged_80_plus=True, interval_days=30, started_on=datetime.date(2025, 1, 1)
    )
    CareNeed.objects.filter(pk=need.pk).update(last_visit_on=today - datetime.timedelta(days=5))
    CareNeed.objects.create(
        member=b, lives_alone=True, interval_days=30, started_on=datetime.date(2025, 1, 1)
    )
    return a2, b
