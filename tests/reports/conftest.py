"""A small district with hand-countable figures, on top of the standing cast.

Today is 2026-05-20 and the period is the first quarter of 2026. The default cadence rules
are retired for the period; district A has two of its own: a theme party day every month
and a general assembly every quarter. So every branch owes four periods in Q1.

district_a
├── street_a
│   ├── community_a: residents A1 A2 A3 (registered; A3's registration notified), A4 (only
│   │   reported), A5 (moved away). branch_a: home of A1 A2 A3.
│   └── functional_a (street level): A1 and A2 take part.
└── street_a2
    └── community_a2: residents B1 B2 (registered), B3 (never registered), B4 (deceased).
        branch_a2 (pilot): home of B1 B2. branch_gone: dissolved on 2026-02-15.
district_b: branch_b with its own resident and meeting, never counted in district A.
Care needs (30-day interval): A1 covered, B2 overdue, A4 waiting (new), A2's closed.

Meetings held (theme day = T, general assembly = GA):
  branch_a      T Jan 10, T Feb 10, GA Mar 20; March's T excused (an excusal), not held.
  functional_a  T Jan, Feb, Mar; no GA               -> behind on GA
  branch_a2     T Jan 15, GA Feb 25 (quorum: B1, its one voter, online), T Mar 15;
                no T in February  -> behind on T Feb
  branch_gone   T Jan 12 (owes January only)
"""

import datetime
import itertools
from dataclasses import dataclass

import pytest

from activities import summaries
from activities.care.models import CareNeed, CareVisit
from activities.meetings.models import (
    Attendance,
    CadenceRule,
    Excusal,
    MakeUp,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from activities.meetings.periods import Period, quarter_span
from branches.models import BranchKind
from members.models import (
    BranchMembership,
    CommitteeTerm,
    CommunityRegistration,
    Member,
    MemberStatus,
    Position,
    Post,
)
from reports.selectors.periods import PeriodChoice
from tests import factories as f

TODAY = datetime.date(2026, 5, 20)
Q1 = PeriodChoice(quarter_span(2026, 1), 2026, 1, 1)
T, GA = MeetingKind.THEME_DAY, MeetingKind.GENERAL_ASSEMBLY
P, R, E, A = "present", "remote", "excused", "absent"


@dataclass
class World:
    cast: object
    branch_gone: object
    members: dict
    meetings: dict


def held(branch, kind, day, rows=(), *, topic="学习"):
    meeting = Meeting.objects.create(
        branch=branch,
        kind=kind,
        status=MeetingStatus.HELD,
        topic=topic,
        planned_on=day,
        held_on=day,
    )
    for member, status in rows:
        Attendance.objects.create(
            meeting=meeting, member=member, status=status, reason="住院" if status == E else ""
        )
    return meeting


_born = itertools.count(1)


def born_on(n: int) -> datetime.date:
    """A distinct birthday for each resident (never 29 February)."""
    return datetime.date(1940 + n % 20, 1 + n % 12, 1 + n % 28)


def resident(name, community, *, status="accepted", branch=None, member_status="active"):
    member = f.member(
        name=name,
        community=community,
        born=born_on(next(_born)),
        status=member_status,
        status_on=None if member_status == "active" else datetime.date(2025, 6, 1),
    )
    if status:
        f.registration(member=member, status=status, branch=branch)
    return member


def clean_slate():
    """Remove the people and meetings the standing cast brings, so every figure below is
    counted from this module alone (the organisations and branches stay)."""
    CareVisit.objects.all().delete()
    CareNeed.objects.all().delete()
    Attendance.objects.all().delete()
    Meeting.objects.all().delete()
    Excusal.objects.all().delete()
    CommitteeTerm.objects.all().delete()
    BranchMembership.objects.all().delete()
    CommunityRegistration.objects.all().delete()
    Member.objects.all().delete()


def build_world(cast) -> World:
    clean_slate()
    CadenceRule.objects.filter(district__isnull=True).update(valid_to=datetime.date(2025, 12, 31))
    for kind, period in ((T, Period.MONTH), (GA, Period.QUARTER)):
        CadenceRule.objects.create(
            district=cast.district_a,
            kind=kind,
            period=period,
            minimum_count=1,
            valid_from=datetime.date(2026, 1, 1),
            source_note="区定规则",
        )
    cast.branch_a2.is_pilot = True
    cast.branch_a2.save()
    gone = f.branch(
        organization=cast.community_a2,
        name="枫林社区原第二党支部",
        established_on=datetime.date(2020, 1, 1),
        dissolved_on=datetime.date(2026, 2, 15),
    )
    m = {}
    m["A1"] = resident("甲一", cast.community_a, branch=cast.branch_a)
    m["A2"] = resident("甲二", cast.community_a, branch=cast.branch_a)
    m["A3"] = resident("甲三", cast.community_a, status="notified", branch=cast.branch_a)
    m["A4"] = resident("甲四", cast.community_a, status="reported")
    m["A5"] = resident("甲五", cast.community_a, branch=cast.branch_a, member_status="moved")
    m["B1"] = resident("乙一", cast.community_a2, branch=cast.branch_a2)
    m["B2"] = resident("乙二", cast.community_a2, branch=cast.branch_a2)
    m["B3"] = resident("乙三", cast.community_a2, status=None)
    m["B4"] = resident("乙四", cast.community_a2, member_status="deceased")
    m["C1"] = resident("丙一", cast.community_b, branch=cast.branch_b)
    for key in ("A1", "A2"):
        BranchMembership.objects.create(member=m[key], branch=cast.functional_a)

    a1, a2, a3, b1, b2 = m["A1"], m["A2"], m["A3"], m["B1"], m["B2"]
    d = datetime.date
    mt = {}
    mt["a_t_jan"] = held(cast.branch_a, T, d(2026, 1, 10), [(a1, P), (a2, R), (a3, A)])
    mt["a_t_feb"] = held(cast.branch_a, T, d(2026, 2, 10), [(a1, P), (a2, E), (a3, A)])
    mt["a_ga_mar"] = held(cast.branch_a, GA, d(2026, 3, 20), [(a1, P), (a2, P), (a3, A)])
    absent_feb = Attendance.objects.get(meeting=mt["a_t_feb"], member=a3)
    MakeUp.objects.create(
        attendance=absent_feb,
        made_up_on=d(2026, 2, 19),
        delivered_by="支部书记",
        material="二月主题党日学习材料",
    )
    for month in (1, 2, 3):
        held(cast.functional_a, T, d(2026, month, 8), [(a1, P), (a2, P)])
    held(cast.branch_a2, T, d(2026, 1, 15), [(b1, P), (b2, P)])
    mt["a2_ga_feb"] = held(cast.branch_a2, GA, d(2026, 2, 25), [(b1, R), (b2, E)])
    # B2 had no vote that day (still probationary): B1 alone makes the quorum.
    Attendance.objects.filter(meeting=mt["a2_ga_feb"], member=b2).update(is_voting=False)
    held(cast.branch_a2, T, d(2026, 3, 15), [(b1, P), (b2, A)])
    held(gone, T, d(2026, 1, 12))
    # Never counted: another district, a planned and a cancelled meeting.
    held(cast.branch_b, T, d(2026, 1, 9), [(m["C1"], A)])
    Meeting.objects.create(branch=cast.branch_a, kind=T, topic="计划中", planned_on=d(2026, 3, 28))
    Meeting.objects.create(
        branch=cast.branch_a,
        kind=T,
        topic="取消",
        status=MeetingStatus.CANCELLED,
        planned_on=d(2026, 3, 29),
        cancel_reason="天气",
    )
    Excusal.objects.create(
        branch=cast.branch_a,
        period=Period.MONTH,
        period_start=d(2026, 3, 1),
        kind=T,
        reason="社区集中改造，活动室停用",
        approved_by="区委老干部局",
        approved_on=d(2026, 3, 2),
    )
    # Committee terms: branch_a's ends within six months; branch_a2's secretary died.
    term_a = CommitteeTerm.objects.create(
        branch=cast.branch_a,
        number=2,
        starts_on=d(2023, 10, 1),
        ends_on=d(2026, 9, 30),
        has_committee=False,
    )
    Position.objects.create(term=term_a, post=Post.SECRETARY, member=a1)
    term_a2 = CommitteeTerm.objects.create(
        branch=cast.branch_a2, number=1, starts_on=d(2024, 1, 1), ends_on=d(2029, 1, 1)
    )
    Position.objects.create(term=term_a2, post=Post.SECRETARY, member=m["B4"])
    # Care: A1 visited 19 days ago (covered), B2 last visited on 1 March and only phoned
    # since (overdue), A4 new this month and not yet due (waiting); A2's care has ended.
    for key, started, closed in (("A1", 1, None), ("B2", 1, None), ("A4", 130, None)):
        CareNeed.objects.create(
            member=m[key],
            interval_days=30,
            started_on=d(2026, 1, 1) + datetime.timedelta(days=started - 1),
            closed_on=closed,
        )
    CareNeed.objects.create(
        member=a2, started_on=d(2025, 1, 1), closed_on=d(2025, 12, 31), close_reason="康复"
    )
    for member, day, kind in ((a1, d(2026, 5, 1), "routine"), (b2, d(2026, 3, 1), "sick_visit")):
        CareVisit.objects.create(member=member, visited_on=day, kind=kind, visitors="书记")
    CareVisit.objects.create(member=b2, visited_on=d(2026, 5, 15), kind="phone", visitors="书记")
    assert m["B4"].status == MemberStatus.DECEASED
    assert cast.functional_a.kind == BranchKind.FUNCTIONAL
    # The rows above were written past the services: derive the dashboards' summaries
    # (tests/activities/meetings/test_summaries.py proves the services keep them equal to this).
    summaries.rebuild()
    return World(cast, gone, m, mt)


@pytest.fixture
def world(cast) -> World:
    return build_world(cast)


@pytest.fixture
def frozen_today(monkeypatch):
    """Views see TODAY as today."""
    monkeypatch.setattr("reports.views._today", lambda: TODAY)
    return TODAY
