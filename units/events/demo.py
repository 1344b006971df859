"""Demo unit events for seed_demo: the demo liaison's unit tells the demo community of a
newly retired cadre (open), asks for a visit (accepted, overdue), reported a party
relation transfer (done) and a move the community declined. Bulk inserts; demo data
leaves no audit rows (nobody did it). Run after the members seed."""

from __future__ import annotations

import datetime

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from members.models import Gender, Member, MemberStatus, RetirementType

from .models import TaskState, UnitEvent, UnitEventKind


def seed_unit_events(*, unit, community, today: datetime.date) -> int:
    """The events (4 at most: fewer when the unit has too few retirees); returns how
    many were written."""
    days = datetime.timedelta
    now = timezone.now()
    retirees = list(
        Member.objects.filter(original_unit=unit, status=MemberStatus.ACTIVE)
        .annotate(
            here=Case(
                When(community=community, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("here", "pk")[:3]
    )
    events = [
        UnitEvent(
            unit=unit,
            kind=UnitEventKind.NEWLY_RETIRED,
            community=community,
            name="孙桂芝",
            gender=Gender.FEMALE,
            birth_date=datetime.date(1965, 3, 8),
            phone="13912345678",
            address="幸福里小区3栋2单元501室",
            retirement_type=RetirementType.TUIXIU,
            retired_on=today - days(40),
            former_post="教研室主任",
            happened_on=today - days(5),
            details="本人已同意到居住地社区报到，平时上午在家。",
            due_on=today + days(9),
            reported_at=now - days(5),
        )
    ]
    shapes = [
        (
            UnitEventKind.VISIT_REQUESTED,
            TaskState.ACCEPTED,
            "近期做了手术，单位请社区代为看望。",
            "",
        ),
        (
            UnitEventKind.RELATION_TRANSFERRED,
            TaskState.DONE,
            "组织关系已由单位党委转出。",
            "组织关系已转入本社区支部，花名册已更新。",
        ),
        (
            UnitEventKind.MOVED,
            TaskState.DECLINED,
            "听说已搬到女儿家居住。",
            "经入户核实，该同志仍在本社区居住，只是暂住女儿家一个月。",
        ),
    ]
    for member, (kind, state, details, outcome) in zip(retirees, shapes, strict=False):
        closed = state in (TaskState.DONE, TaskState.DECLINED)
        events.append(
            UnitEvent(
                unit=unit,
                kind=kind,
                community=member.community,
                member=member,
                happened_on=today - days(20),
                details=details,
                due_on=today - days(3),
                state=state,
                reported_at=now - days(20),
                handled_at=now - days(6) if closed else None,
                outcome=outcome,
                result_member=member if state == TaskState.DONE else None,
            )
        )
    UnitEvent.objects.bulk_create(events)
    return len(events)
