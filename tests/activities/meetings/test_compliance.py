"""Compliance (held vs required) against cases computed by hand.

Default rules (seeded by the data migration): general assembly ≥1 per quarter,
committee ≥1 per month, party group meeting ≥1 per month per group, lecture ≥1 per
quarter, theme day ≥1 per month, life meeting and appraisal ≥1 per year.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.meetings.compliance import CellStatus, Summary, compliance
from activities.meetings.models import CadenceRule, Excusal, Meeting, MeetingKind, MeetingStatus
from activities.meetings.periods import Period
from activities.meetings.services.recording import Mark
from branches.models import Branch, PartyGroup
from members.models import CommitteeTerm

from ..conftest import record

D = datetime.date
TODAY = D(2026, 11, 29)
Q1 = (D(2025, 1, 1), D(2025, 3, 31))


def held(branch, kind, day, group=None):
    return Meeting.objects.create(
        branch=branch,
        kind=kind,
        party_group=group,
        status=MeetingStatus.HELD,
        topic="测试",
        planned_on=day,
        held_on=day,
    )


def cells_of(branch, start, end, *, today=TODAY):
    branch = Branch.objects.select_related("organization").get(pk=branch.pk)
    return compliance([branch], start, end, today=today)[branch.pk]


def by_label(cells):
    return {c.span.short_label: (c.counted, c.required, c.status) for c in cells}


def test_a_quarter_of_theme_days_with_a_gap_is_met_twice_and_behind_once(cast):
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 1, 10))
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 3, 10))
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 3, 20))  # two in March: still one month

    cells = cells_of(cast.branch_a, *Q1)[MeetingKind.THEME_DAY]

    assert by_label(cells) == {
        "1月": (1, 1, CellStatus.MET),
        "2月": (0, 1, CellStatus.BEHIND),
        "3月": (1, 1, CellStatus.MET),
    }
    assert [c.held for c in cells] == [1, 0, 2]


def test_the_quarterly_assembly_and_lecture_are_counted_per_quarter(cast):
    held(cast.branch_a, MeetingKind.GENERAL_ASSEMBLY, D(2025, 2, 14))
    held(cast.branch_a, MeetingKind.LECTURE, D(2025, 4, 1))  # next quarter

    cells = cells_of(cast.branch_a, *Q1)

    assert by_label(cells[MeetingKind.GENERAL_ASSEMBLY]) == {"一季度": (1, 1, CellStatus.MET)}
    assert by_label(cells[MeetingKind.LECTURE]) == {"一季度": (0, 1, CellStatus.BEHIND)}


def test_a_period_not_over_yet_is_in_progress_not_behind(cast):
    cells = cells_of(cast.branch_a, D(2026, 10, 1), D(2026, 12, 31))

    assert by_label(cells[MeetingKind.GENERAL_ASSEMBLY]) == {
        "四季度": (0, 1, CellStatus.IN_PROGRESS)
    }
    theme = by_label(cells[MeetingKind.THEME_DAY])
    assert theme["10月"] == (0, 1, CellStatus.BEHIND)
    assert theme["11月"] == (0, 1, CellStatus.IN_PROGRESS)  # today is 29 November
    assert theme["12月"] == (0, 1, CellStatus.IN_PROGRESS)
    assert by_label(cells[MeetingKind.LIFE_MEETING]) == {"全年": (0, 1, CellStatus.IN_PROGRESS)}


def test_an_excusal_for_a_quarter_excuses_its_months_and_the_quarter(cast):
    Excusal.objects.create(
        branch=cast.branch_a,
        period=Period.QUARTER,
        period_start=D(2025, 2, 17),  # any day: stored as 1 January
        reason="活动室改造",
        approved_by="区委老干部局 李科长",
        approved_on=D(2025, 1, 3),
    )
    cells = cells_of(cast.branch_a, *Q1)

    assert Excusal.objects.get().period_start == D(2025, 1, 1)
    assert {c.status for c in cells[MeetingKind.THEME_DAY]} == {CellStatus.EXCUSED}
    assert cells[MeetingKind.GENERAL_ASSEMBLY][0].status == CellStatus.EXCUSED
    # The year is not inside the quarter: the yearly meetings are still owed.
    year = cells_of(cast.branch_a, D(2025, 1, 1), D(2025, 12, 31))
    assert year[MeetingKind.LIFE_MEETING][0].status == CellStatus.BEHIND


def test_an_excusal_for_one_kind_leaves_the_other_kinds_owed(cast):
    Excusal.objects.create(
        branch=cast.branch_a,
        period=Period.MONTH,
        period_start=D(2025, 2, 1),
        kind=MeetingKind.THEME_DAY,
        reason="春节",
        approved_by="街道党工委",
        approved_on=D(2025, 1, 20),
    )
    cells = cells_of(cast.branch_a, *Q1)

    assert by_label(cells[MeetingKind.THEME_DAY])["2月"][2] == CellStatus.EXCUSED
    assert by_label(cells[MeetingKind.THEME_DAY])["1月"][2] == CellStatus.BEHIND
    # A month's excusal does not cover the whole quarter's assembly.
    assert cells[MeetingKind.GENERAL_ASSEMBLY][0].status == CellStatus.BEHIND


@pytest.mark.parametrize(
    ("established", "quarter_required", "months_required"),
    [
        # Founded 1 Feb: Feb and Mar are whole months -> 2/3 of a quarter rounds to 1.
        (D(2025, 2, 1), 1, {"1月": 0, "2月": 1, "3月": 1}),
        # Founded 10 Feb: only March is whole -> 1/3 of a quarter rounds to 0.
        (D(2025, 2, 10), 0, {"1月": 0, "2月": 0, "3月": 1}),
        # Founded on 1 Jan: the whole quarter.
        (D(2025, 1, 1), 1, {"1月": 1, "2月": 1, "3月": 1}),
    ],
)
def test_a_branch_founded_mid_quarter_owes_its_share_of_whole_months(
    cast, established, quarter_required, months_required
):
    cast.branch_a.established_on = established
    cast.branch_a.save()

    cells = cells_of(cast.branch_a, *Q1)

    assert cells[MeetingKind.GENERAL_ASSEMBLY][0].required == quarter_required
    assert {c.span.short_label: c.required for c in cells[MeetingKind.THEME_DAY]} == (
        months_required
    )
    if not quarter_required:
        assert cells[MeetingKind.GENERAL_ASSEMBLY][0].status == CellStatus.NOT_REQUIRED


def test_a_dissolved_branch_owes_nothing_after_dissolution(cast):
    cast.branch_a.established_on = D(2010, 1, 1)
    cast.branch_a.dissolved_on = D(2025, 5, 20)
    cast.branch_a.save()
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 4, 8))

    cells = cells_of(cast.branch_a, D(2025, 4, 1), D(2025, 12, 31))

    # April was a whole month; May was cut short; June onwards it was gone.
    assert {c.span.short_label: c.status for c in cells[MeetingKind.THEME_DAY]} == {
        "4月": CellStatus.MET,
        **{f"{m}月": CellStatus.NOT_REQUIRED for m in range(5, 13)},
    }
    # Q2 kept one whole month of three: rounds to nothing owed.
    assert cells[MeetingKind.GENERAL_ASSEMBLY][0].status == CellStatus.NOT_REQUIRED
    # The year: four whole months of twelve rounds to 0, so no life meeting owed.
    year = cells_of(cast.branch_a, D(2025, 1, 1), D(2025, 12, 31))
    assert year[MeetingKind.LIFE_MEETING][0].required == 0


def test_group_meetings_are_owed_by_every_group_and_one_busy_group_covers_no_other(cast):
    second = PartyGroup.objects.create(branch=cast.branch_a, name="第二党小组")
    held(cast.branch_a, MeetingKind.GROUP, D(2025, 1, 5), cast.group_a)
    held(cast.branch_a, MeetingKind.GROUP, D(2025, 1, 25), cast.group_a)

    january = cells_of(cast.branch_a, *Q1)[MeetingKind.GROUP][0]
    assert (january.held, january.counted, january.required) == (2, 1, 2)
    assert january.status == CellStatus.BEHIND

    held(cast.branch_a, MeetingKind.GROUP, D(2025, 1, 28), second)
    january = cells_of(cast.branch_a, *Q1)[MeetingKind.GROUP][0]
    assert (january.held, january.counted, january.required) == (3, 2, 2)
    assert january.status == CellStatus.MET


def test_a_branch_without_party_groups_owes_no_group_meetings(cast):
    cells = cells_of(cast.branch_a2, *Q1)
    assert {c.status for c in cells[MeetingKind.GROUP]} == {CellStatus.NOT_REQUIRED}


def test_committee_meetings_are_owed_only_while_a_committee_sits(cast):
    # No term at all, then a secretary-only term, then a committee from March.
    cells = cells_of(cast.branch_a, *Q1)
    assert {c.required for c in cells[MeetingKind.COMMITTEE]} == {0}

    CommitteeTerm.objects.create(
        branch=cast.branch_a,
        starts_on=D(2020, 1, 1),
        ends_on=D(2025, 2, 28),
        has_committee=False,
    )
    CommitteeTerm.objects.create(
        branch=cast.branch_a,
        number=2,
        starts_on=D(2025, 3, 1),
        ends_on=D(2030, 2, 28),
        has_committee=True,
    )
    cells = cells_of(cast.branch_a, *Q1)
    assert {c.span.short_label: c.required for c in cells[MeetingKind.COMMITTEE]} == {
        "1月": 0,
        "2月": 0,
        "3月": 1,
    }


def test_a_districts_own_rule_replaces_the_default_only_there(cast):
    CadenceRule.objects.create(
        district=cast.district_a,
        kind=MeetingKind.LECTURE,
        period=Period.MONTH,
        minimum_count=1,
        valid_from=D(2025, 2, 1),
        source_note="东城区：党课每月一次",
    )
    a = cells_of(cast.branch_a, *Q1)[MeetingKind.LECTURE]
    b = cells_of(cast.branch_b, *Q1)[MeetingKind.LECTURE]

    # A rule governs the periods whose last day it rules: the quarterly default's Q1
    # ends under the district's monthly rule, which starts with February.
    assert [c.span.period for c in a] == ["month", "month"]  # February and March
    assert [c.span.short_label for c in a] == ["2月", "3月"]
    assert [(c.span.period, c.required) for c in b] == [("quarter", 1)]


def test_the_minimum_can_be_more_than_one(cast):
    rule = CadenceRule.objects.get(district__isnull=True, kind=MeetingKind.THEME_DAY)
    rule.valid_to = D(2024, 12, 31)
    rule.save()
    CadenceRule.objects.create(
        kind=MeetingKind.THEME_DAY,
        period=Period.MONTH,
        minimum_count=2,
        valid_from=D(2025, 1, 1),
        source_note="测试",
    )
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 1, 3))
    january = cells_of(cast.branch_a, *Q1)[MeetingKind.THEME_DAY][0]
    assert (january.counted, january.required, january.status) == (1, 2, CellStatus.BEHIND)


def test_a_bedridden_members_absence_does_not_touch_compliance(roster):
    record(
        branch=roster.branch,
        held_on=D(2025, 2, 14),
        marks={roster.bedridden.pk: Mark("excused", "卧床")},
    )
    cells = cells_of(roster.branch, *Q1)
    assert cells[MeetingKind.GENERAL_ASSEMBLY][0].status == CellStatus.MET
    line = roster.bedridden.attendances.get()
    assert (line.status, line.reason) == ("excused", "卧床")


def test_planned_and_cancelled_meetings_do_not_count(cast):
    Meeting.objects.create(
        branch=cast.branch_a,
        kind=MeetingKind.GENERAL_ASSEMBLY,
        topic="计划",
        planned_on=D(2025, 2, 1),
    )
    Meeting.objects.create(
        branch=cast.branch_a,
        kind=MeetingKind.GENERAL_ASSEMBLY,
        status=MeetingStatus.CANCELLED,
        topic="取消",
        planned_on=D(2025, 2, 2),
    )
    assert cells_of(cast.branch_a, *Q1)[MeetingKind.GENERAL_ASSEMBLY][0].counted == 0


def test_a_quarter_summary_adds_up_its_months(cast):
    held(cast.branch_a, MeetingKind.THEME_DAY, D(2025, 1, 10))
    cells = cells_of(cast.branch_a, *Q1)[MeetingKind.THEME_DAY]
    summary = Summary(MeetingKind.THEME_DAY, cells)
    assert (summary.counted, summary.required, summary.status) == (1, 3, CellStatus.BEHIND)


def test_compliance_runs_the_same_queries_for_three_or_thirty_branches(cast):
    def make_branches(n):
        return [
            Branch.objects.create(organization=cast.community_a, name=f"测试支部{n}-{i}")
            for i in range(n)
        ]

    def count(branches):
        branches = list(
            Branch.objects.filter(pk__in=[b.pk for b in branches]).select_related("organization")
        )
        for b in branches:
            held(b, MeetingKind.THEME_DAY, D(2025, 1, 9))
        with CaptureQueriesContext(connection) as ctx:
            compliance(branches, D(2025, 1, 1), D(2025, 12, 31), today=TODAY)
        return len(ctx)

    # Rules, the one aggregate of held meetings, excusals, party groups, committee terms.
    assert count(make_branches(3)) == count(make_branches(30)) == 5
