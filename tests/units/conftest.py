"""Fixtures of the units tests: a half-year of meetings of unit_a's retirees in
community_a, with make-ups, excusals, a move between branches mid-period and a member
who died in the half."""

import datetime
from dataclasses import dataclass

import pytest

from activities.care.models import CareVisit, FollowUp, FollowUpState
from activities.meetings.services import makeups
from activities.meetings.services.recording import Mark
from members.models import MemberStatus, Recognition, ServiceRole

from .. import factories as f
from ..activities.conftest import record

D = datetime.date


@dataclass
class HalfYear:
    branch_two: object
    mover: object
    stayer: object
    died: object
    left_early: object
    other_unit: object


def make_up(meeting, member, day):
    makeups.makeup_record(
        attendance=meeting.attendances.get(member=member),
        details={
            "kind": "study",
            "made_up_on": day,
            "delivered_by": "组织委员",
            "material": "会议材料",
        },
        actor=None,
    )


@pytest.fixture
def half_year(cast):
    """H1 2026 in community_a: branch_a and a second branch; `mover` moves from branch_a
    to the second branch in April; `died` took part in February and died in May;
    `left_early` moved away in January before any meeting; `other_unit` is unit_b's."""
    branch_two = f.branch(organization=cast.community_a, name="翠园社区第二党支部")

    def retiree(name, unit=cast.unit_a):
        person = f.member(name=name, community=cast.community_a, original_unit=unit)
        f.registration(member=person, branch=cast.branch_a, reported_on=D(2025, 5, 6))
        return person

    mover, stayer, died = retiree("钱志远"), retiree("孙桂芳"), retiree("李德明")
    left_early, other_unit = retiree("周文华"), retiree("吴国庆", unit=cast.unit_b)
    left_early.status, left_early.status_on, left_early.home_branch = "moved", D(2026, 1, 5), None
    left_early.save()
    # Outside the half: neither counts.
    record(branch=cast.branch_a, held_on=D(2025, 12, 10))
    feb = record(
        branch=cast.branch_a,
        held_on=D(2026, 2, 10),
        marks={mover.pk: Mark("absent"), stayer.pk: Mark("excused", "外出")},
    )
    mar = record(
        branch=cast.branch_a,
        held_on=D(2026, 3, 10),
        marks={mover.pk: Mark("excused", "住院"), died.pk: Mark("absent")},
    )
    make_up(mar, mover, D(2026, 3, 20))
    make_up(feb, stayer, D(2026, 2, 25))
    # The move: the registration places the mover in the second branch from April.
    registration = mover.registrations.get()
    registration.branch = branch_two
    registration.save(update_fields=["branch"])
    mover.home_branch = branch_two
    mover.save(update_fields=["home_branch"])
    died.status, died.status_on, died.home_branch = MemberStatus.DECEASED, D(2026, 5, 2), None
    died.save()
    record(branch=branch_two, held_on=D(2026, 4, 10), marks={mover.pk: Mark("remote")})
    may = record(branch=branch_two, held_on=D(2026, 5, 12), marks={mover.pk: Mark("absent")})
    make_up(may, mover, D(2026, 5, 30))
    record(branch=cast.branch_a, held_on=D(2026, 6, 9))
    record(branch=cast.branch_a, held_on=D(2026, 7, 9))  # the second half
    # Care, roles and honours.
    for kind, day in (("festival", D(2026, 1, 20)), ("sick_visit", D(2026, 3, 25))):
        visit = CareVisit.objects.create(
            member=mover,
            visited_on=day,
            kind=kind,
            visitors="张书记",
            summary="心脏不好，住院两周",
            matters_raised="医药费报销慢",
        )
    FollowUp.objects.create(
        visit=visit,
        matter="医药费报销慢",
        owner_name="张书记",
        due_on=D(2026, 4, 30),
        state=FollowUpState.SOLVED,
        solved_on=D(2026, 4, 20),
        outcome="已协调报销",
    )
    ServiceRole.objects.create(
        member=stayer, kind="grid_leader", organization_name="翠园社区", starts_on=D(2025, 1, 1)
    )
    ServiceRole.objects.create(
        member=stayer, kind="volunteer", starts_on=D(2024, 1, 1), ends_on=D(2025, 6, 30)
    )
    Recognition.objects.create(member=stayer, title="优秀共产党员", conferred_on=D(2026, 6, 28))
    Recognition.objects.create(member=stayer, title="老黄牛奖", conferred_on=D(2024, 6, 28))
    return HalfYear(branch_two, mover, stayer, died, left_early, other_unit)
