"""Every dashboard figure against numbers counted by hand from the fixture in conftest.py
(first quarter of 2026, today 2026-05-20). Rates are shown to one decimal."""

import datetime

import pytest

from activities.meetings.periods import Period, Span, year_span
from reports.selectors.build import branch_dashboard, node_dashboard
from reports.selectors.figures import DIRECT, sort_units
from reports.selectors.periods import PeriodChoice, choose_period, months_before, trend_months

from .conftest import Q1, TODAY

pytestmark = pytest.mark.django_db


def by_name(dashboard):
    return {unit.name: unit.figures for unit in dashboard.units}


def test_district_registration_coverage_counts_active_residents_and_accepted_registrations(world):
    total = node_dashboard(world.cast.district_a, Q1, today=TODAY).total
    # A1 A2 A3 A4 B1 B2 B3 live there (A5 moved, B4 died); A1 A2 A3 (notified) B1 B2 count.
    assert (total.residents, total.registered, total.unregistered) == (7, 5, 2)
    assert total.labels()["coverage"] == "71.4%"


def test_district_coverage_by_street(world):
    units = by_name(node_dashboard(world.cast.district_a, Q1, today=TODAY))
    assert (units["和平街道"].residents, units["和平街道"].registered) == (4, 3)
    assert units["和平街道"].labels()["coverage"] == "75.0%"
    assert (units["新华街道"].residents, units["新华街道"].registered) == (3, 2)
    assert units["新华街道"].labels()["coverage"] == "66.7%"


def test_branches_by_kind_pilots_and_the_dissolved_one(world):
    dashboard = node_dashboard(world.cast.district_a, Q1, today=TODAY)
    total = dashboard.total
    assert total.branches == 3  # branch_a, functional_a, branch_a2 (branch_gone is dissolved)
    assert {v: n for v, _label, n in dashboard.kind_rows} == {
        "community": 2,
        "functional": 1,
        "joint": 0,
    }
    assert (total.pilots, total.dissolved) == (1, 1)
    units = by_name(dashboard)
    assert (units["和平街道"].branches, units["和平街道"].dissolved) == (2, 0)
    assert (units["新华街道"].branches, units["新华街道"].dissolved) == (1, 1)


def test_cadence_compliance_counts_periods_with_the_excusal_and_the_dissolved_branch(world):
    total = node_dashboard(world.cast.district_a, Q1, today=TODAY).total
    # branch_a: T Jan, T Feb, GA met; T Mar excused.  functional_a: 3 T met, GA behind.
    # branch_a2: T Jan, GA, T Mar met; T Feb behind.  branch_gone: T Jan met; T Feb,
    # T Mar and the quarter's GA not owed (dissolved 15 Feb: one whole month in Q1).
    assert (total.cells_met, total.cells_behind) == (10, 2)
    assert (total.cells_excused, total.cells_in_progress) == (1, 0)
    assert total.cells["not_required"] == 3
    assert total.labels()["compliance"] == "83.3%"
    assert (total.branches_behind, total.branches_in_period) == (2, 4)


def test_compliance_by_street_and_the_list_of_branches_behind(world):
    cast = world.cast
    dashboard = node_dashboard(cast.district_a, Q1, today=TODAY)
    units = by_name(dashboard)
    assert (units["和平街道"].cells_met, units["和平街道"].cells_behind) == (6, 1)
    assert units["和平街道"].labels()["compliance"] == "85.7%"
    assert (units["新华街道"].cells_met, units["新华街道"].cells_behind) == (4, 1)
    assert units["新华街道"].labels()["compliance"] == "80.0%"
    behind = {line.branch.pk: (line.unit, line.behind_kinds) for line in dashboard.behind}
    assert behind == {
        cast.functional_a.pk: ("和平街道", ["支部党员大会"]),
        cast.branch_a2.pk: ("新华街道", ["主题党日"]),
    }


def test_heat_map_cells_show_held_over_required_per_month_and_the_excusal(world):
    cast = world.cast
    dashboard = node_dashboard(cast.district_a, Q1, today=TODAY)
    assert [m.short_label for m in dashboard.months] == ["1月", "2月", "3月"]
    lines = {line.branch.pk: line for line in dashboard.heat_lines}
    assert set(lines) == {
        cast.branch_a.pk,
        cast.functional_a.pk,
        cast.branch_a2.pk,
        world.branch_gone.pk,
    }

    def row(branch, kind):
        found = next(k for k in lines[branch.pk].kinds if k.kind == kind)
        return [(c.status, c.cell.counted, c.cell.required, c.colspan) for c in found.cells]

    # Only the kinds some rule asks for appear: the theme day and the general assembly.
    assert [k.kind for k in lines[cast.branch_a.pk].kinds] == ["general_assembly", "theme_day"]
    assert row(cast.branch_a, "theme_day") == [
        ("met", 1, 1, 1),
        ("met", 1, 1, 1),
        ("excused", 0, 1, 1),
    ]
    march = next(k for k in lines[cast.branch_a.pk].kinds if k.kind == "theme_day").cells[2]
    assert march.cell.excusal.reason == "社区集中改造，活动室停用"
    assert row(cast.branch_a, "general_assembly") == [("met", 1, 1, 3)]  # spans the quarter
    assert row(cast.functional_a, "general_assembly") == [("behind", 0, 1, 3)]
    assert row(cast.branch_a2, "theme_day") == [
        ("met", 1, 1, 1),
        ("behind", 0, 1, 1),
        ("met", 1, 1, 1),
    ]
    assert row(world.branch_gone, "theme_day") == [
        ("met", 1, 1, 1),
        ("not_required", 0, 0, 1),
        ("not_required", 0, 0, 1),
    ]
    assert [e.reason for e in dashboard.excusals] == ["社区集中改造，活动室停用"]


def test_attendance_rate_by_month_counts_made_up_and_ignores_other_districts(world):
    dashboard = node_dashboard(world.cast.district_a, Q1, today=TODAY)
    # The trend shows six months ending with March; October to December had no meetings.
    assert [p.month.label for p in dashboard.trend] == [
        "2025年10月",
        "2025年11月",
        "2025年12月",
        "2026年1月",
        "2026年2月",
        "2026年3月",
    ]
    months = {p.month.start.month: p.tally for p in dashboard.trend}
    assert months[12].expected == 0 and months[12].rate is None
    jan, feb, mar = months[1], months[2], months[3]
    assert (jan.expected, jan.present, jan.remote, jan.absent) == (7, 5, 1, 1)
    assert (feb.expected, feb.present, feb.remote, feb.excused, feb.absent, feb.made_up) == (
        7,
        3,
        1,
        2,
        1,
        1,
    )
    assert (mar.expected, mar.present, mar.absent) == (7, 5, 2)
    assert [p.tally.rate_label for p in dashboard.trend[3:]] == ["85.7%", "71.4%", "71.4%"]
    assert dashboard.total.labels()["attendance"] == "76.2%"  # (13 + 2 + 1) / 21


def test_attendance_by_street_counts_a_meeting_where_it_happened(world):
    units = by_name(node_dashboard(world.cast.district_a, Q1, today=TODAY))
    # 和平街道: branch_a 9 lines (4 present, 1 remote, 1 made up) + functional_a 6 present.
    assert units["和平街道"].tally.expected == 15
    assert units["和平街道"].labels()["attendance"] == "80.0%"
    assert units["新华街道"].tally.expected == 6
    assert units["新华街道"].labels()["attendance"] == "66.7%"


def test_members_with_no_participation_for_three_months(world):
    dashboard = node_dashboard(world.cast.district_a, Q1, today=TODAY)
    # Since 2026-02-20: A1, A2 attended the GA on 20 March, B1 joined the GA of 25 Feb by
    # phone. A3 was absent and made up on 19 Feb (too early); B2 excused, then absent.
    assert months_before(TODAY, 3) == datetime.date(2026, 2, 20)
    assert (dashboard.total.inactive, dashboard.total.home_members) == (2, 5)
    units = by_name(dashboard)
    assert (units["和平街道"].inactive, units["新华街道"].inactive) == (1, 1)


def test_structure_warnings(world):
    cast = world.cast
    dashboard = node_dashboard(cast.district_a, Q1, today=TODAY)
    warned = {line.branch.pk: line.warnings for line in dashboard.warned}
    assert warned == {
        cast.branch_a.pk: ["term_ending"],  # ends 2026-09-30, 133 days ahead
        cast.functional_a.pk: ["too_few", "no_term"],  # two taking part, no term
        cast.branch_a2.pk: ["too_few", "vacant"],  # its secretary died
    }
    counts = {code: n for code, _label, n in dashboard.warning_rows}
    assert counts == {
        "too_few": 2,
        "too_many": 0,
        "no_committee": 0,
        "no_term": 1,
        "vacant": 1,
        "term_ending": 1,
    }
    assert dashboard.total.warned_branches == 3


def test_care_coverage_and_overdue_visits(world):
    dashboard = node_dashboard(world.cast.district_a, Q1, today=TODAY)
    total = dashboard.total
    assert (total.care_needs, total.care_covered, total.care_overdue) == (3, 1, 1)
    assert total.labels()["care"] == "33.3%"
    units = by_name(dashboard)
    assert (units["和平街道"].care_needs, units["和平街道"].care_covered) == (2, 1)
    assert (units["新华街道"].care_overdue, units["新华街道"].labels()["care"]) == (1, "0.0%")
    branch = branch_dashboard(world.cast.branch_a2, Q1, today=TODAY).total
    assert (branch.care_needs, branch.care_overdue) == (1, 1)


def test_street_dashboard_compares_communities_and_its_own_functional_branch(world):
    cast = world.cast
    dashboard = node_dashboard(cast.street_a, Q1, today=TODAY)
    assert [(u.key, u.level) for u in dashboard.units] == [
        (cast.community_a.pk, "community"),
        (DIRECT, "direct"),
    ]
    community, direct = (u.figures for u in dashboard.units)
    assert (community.residents, community.branches, community.cells_met) == (4, 1, 3)
    assert (direct.residents, direct.branches, direct.cells_behind) == (0, 1, 1)
    assert dashboard.total.tally.expected == 15


def test_community_dashboard_compares_its_branches(world):
    cast = world.cast
    dashboard = node_dashboard(cast.community_a2, Q1, today=TODAY)
    assert [(u.name, u.level) for u in dashboard.units] == [
        ("枫林社区原第二党支部", "branch"),
        ("枫林社区离退休干部党支部", "branch"),
    ]
    gone, a2 = (u.figures for u in dashboard.units)
    assert (gone.dissolved, gone.cells_met, gone.tally.expected) == (1, 1, 0)
    assert (a2.cells_met, a2.cells_behind, a2.inactive) == (3, 1, 1)
    assert (dashboard.total.residents, dashboard.total.registered) == (3, 2)


def test_branch_overview(world):
    cast = world.cast
    dashboard = branch_dashboard(cast.branch_a, Q1, today=TODAY)
    total = dashboard.total
    assert (total.cells_met, total.cells_excused, total.cells_behind) == (3, 1, 0)
    assert (total.tally.expected, total.tally.rate_label) == (9, "66.7%")
    assert (total.home_members, total.inactive) == (3, 1)
    assert dashboard.lines[0].warnings == ["term_ending"]
    assert dashboard.units == []


def test_a_year_view_marks_unfinished_periods_in_progress_never_behind(world):
    year = PeriodChoice(year_span(2026), 2026, 1, 1)
    dashboard = node_dashboard(world.cast.district_a, year, today=TODAY)
    assert len(dashboard.months) == 12
    functional = next(li for li in dashboard.lines if li.branch.pk == world.cast.functional_a.pk)
    theme = next(k for k in functional.kinds if k.kind == "theme_day")
    # January to March held; April is over and missed; May (today) onwards in progress.
    assert [c.status for c in theme.cells] == ["met"] * 3 + ["behind"] + ["in_progress"] * 8
    assembly = next(k for k in functional.kinds if k.kind == "general_assembly")
    assert [(c.status, c.colspan) for c in assembly.cells] == [
        ("behind", 3),
        ("in_progress", 3),
        ("in_progress", 3),
        ("in_progress", 3),
    ]


def test_choose_period_reads_the_query_and_falls_back_to_the_current_quarter():
    today = datetime.date(2026, 5, 20)
    assert choose_period({}, today=today).span == Span(datetime.date(2026, 4, 1), Period.QUARTER)
    month = choose_period({"period": "month", "year": "2025", "month": "11"}, today=today)
    assert month.span == Span(datetime.date(2025, 11, 1), Period.MONTH)
    assert month.query() == "period=month&year=2025&month=11"
    assert month.previous == Span(datetime.date(2025, 10, 1), Period.MONTH)
    assert month.next == Span(datetime.date(2025, 12, 1), Period.MONTH)
    junk = choose_period({"period": "decade", "year": "x", "quarter": "9"}, today=today)
    assert junk.span == Span(datetime.date(2026, 4, 1), Period.QUARTER)
    assert choose_period({"period": "year", "year": "2024"}, today=today).span == year_span(2024)
    assert len(trend_months(year_span(2024))) == 12
    assert [m.start.month for m in trend_months(month.span)] == [6, 7, 8, 9, 10, 11]


def test_sub_units_sort_on_the_server_by_any_column_both_ways(world):
    units = node_dashboard(world.cast.district_a, Q1, today=TODAY).units
    ordered, sort = sort_units(units, "coverage")
    assert ([u.name for u in ordered], sort) == (["新华街道", "和平街道"], "coverage")
    ordered, sort = sort_units(units, "-coverage")
    assert [u.name for u in ordered] == ["和平街道", "新华街道"]
    ordered, sort = sort_units(units, "nonsense")
    assert ([u.name for u in ordered], sort) == (["和平街道", "新华街道"], "name")
