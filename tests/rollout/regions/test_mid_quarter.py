"""A community moved to another street in the middle of a quarter (docs/regions.md):
figures follow the unit, so for the whole quarter (before and after the move) its
members, meetings and care count under the new street, and the old street keeps only
what stays with it. Expected numbers are counted by hand from tests/reports/conftest.py
(Q1 2026, today 2026-05-20)."""

import datetime

import pytest

from activities import summaries
from activities.care.models import CareVisit
from activities.meetings.models import Meeting, MeetingKind
from branches.models import Organization
from reports import cache
from reports.selectors.build import node_dashboard
from rollout.regions import selectors, services
from tests.reports.conftest import Q1, TODAY, P, held

pytestmark = pytest.mark.django_db


def fresh(node):
    return Organization.objects.get(pk=node.pk)


def totals(node):
    t = node_dashboard(fresh(node), Q1, today=TODAY).total
    tally = t.tally
    return {
        "residents": t.residents,
        "registered": t.registered,
        "branches": t.branches,
        "dissolved": t.dissolved,
        "met": t.cells_met,
        "behind": t.cells_behind,
        "excused": t.cells_excused,
        "tally": (tally.expected, tally.present, tally.remote, tally.excused, tally.absent),
        "made_up": tally.made_up,
        "care": (t.care_needs, t.care_covered, t.care_overdue),
    }


def move(cast, community, street, user="district_staff"):
    community, street = fresh(community), fresh(street)
    token = selectors.move_preview(community, street).token
    return services.community_move(
        community=community, street=street, actor=cast.user(user), expected=token
    )


def test_a_community_moved_mid_quarter_takes_the_whole_quarter_to_its_new_street(world):
    cast = world.cast
    # Before: 和平街道 = 翠园社区 (A1-A4, branch_a) + functional_a on the street itself.
    assert totals(cast.street_a)["residents"] == 4
    assert totals(cast.street_a2)["residents"] == 3
    # Cached under the street's version, as the dashboard page reads it.
    assert cache.node_figures(fresh(cast.street_a), Q1, today=TODAY).total.residents == 4

    move(cast, cast.community_a, cast.street_a2)  # "on 16 February": between its meetings
    # After the move, a lecture held on 25 March in branch_a (A1 present).
    held(cast.branch_a, MeetingKind.LECTURE, datetime.date(2026, 3, 25), [(world.members["A1"], P)])
    summaries.rebuild()

    # 和平街道 keeps functional_a alone: 3 theme days met, its assembly behind; its
    # attendance 3 x (A1, A2 present). Nobody lives there any more.
    assert totals(cast.street_a) == {
        "residents": 0,
        "registered": 0,
        "branches": 1,
        "dissolved": 0,
        "met": 3,
        "behind": 1,
        "excused": 0,
        "tally": (6, 6, 0, 0, 0),
        "made_up": 0,
        "care": (0, 0, 0),
    }
    # 新华街道: its own 枫林社区 (B1-B3; branch_a2 4 periods: 3 met, T Feb behind;
    # branch_gone T Jan met) plus 翠园社区 for the whole quarter (branch_a: T Jan, T Feb,
    # GA met, T Mar excused). Attendance: branch_a2 6 expected (P3 R1 E1 A1); branch_a
    # T Jan (P R A), T Feb (P E A, made up), GA (P P A) and the lecture (P): 10 expected
    # (P5 R1 E1 A3, 1 made up). Care: A1 covered, A4 waiting, B2 overdue.
    assert totals(cast.street_a2) == {
        "residents": 7,
        "registered": 5,
        "branches": 2,
        "dissolved": 1,
        "met": 7,
        "behind": 1,
        "excused": 1,
        "tally": (16, 8, 2, 2, 4),
        "made_up": 1,
        "care": (3, 1, 1),
    }
    # The district as a whole changes only by the lecture.
    district = totals(cast.district_a)
    assert (district["residents"], district["met"], district["behind"]) == (7, 10, 2)
    assert district["tally"] == (22, 14, 2, 2, 4)
    # The cached dashboards were bumped with the move: no stale figure is served.
    assert cache.node_figures(fresh(cast.street_a), Q1, today=TODAY).total.residents == 0
    assert cache.node_figures(fresh(cast.street_a2), Q1, today=TODAY).total.residents == 7


def test_members_meetings_and_care_history_come_with_the_community(world):
    cast = world.cast
    street_path = fresh(cast.street_a2).path
    meetings = Meeting.objects.filter(branch=cast.branch_a).count()
    visits = CareVisit.objects.filter(member__community=cast.community_a).count()
    assert meetings == 5 and visits == 1  # 3 held, 1 planned, 1 cancelled; A1's visit
    move(cast, cast.community_a, cast.street_a2)
    assert fresh(cast.community_a).path == f"{street_path}{cast.community_a.code}/"
    under = {"branch__organization__path__startswith": street_path}
    assert Meeting.objects.filter(branch=cast.branch_a, **under).count() == meetings
    assert CareVisit.objects.filter(member__community__path__startswith=street_path).count() == 3
