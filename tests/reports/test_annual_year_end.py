"""The year-end cycle's figures of the annual return (年报), counted by hand for 2025.

On the cast (computed 2026-01-15, figures as of 2025-12-31):
  branch_a (翠园社区), its 2025 cycle:
    pairs   赵德明·钱秀英 held 2025-12-01, 赵德明·孙建国 held 2026-01-05 (after 31
            December: not done), 钱秀英·孙建国 not held, 赵德明·周玉兰 held 2025-12-02
    grades  赵德明 优秀, 钱秀英 合格 (absent, graded), 孙建国 合格, 周玉兰 基本合格,
            何伟 only proposed (no decision: not counted)
    its 2024 cycle: 赵德明 优秀 (another year)
  branch_a's 整改 items:
    2025 closed 2025-12-20, 2025 open, 2025 closed 2026-01-10 (open on 31 December),
    2024 closed 2025-03-01 (carried over, closed in the year), 2024 open (carried over),
    2024 closed 2024-12-01 (in no figure of 2025), 2026 open (in no figure of 2025)
  functional_a (sits on 和平街道 itself): one pair held, 1 优秀, one 2025 item open
  branch_a2 (枫林社区, 新华街道 of the same district): one pair held, 1 不合格
"""

import datetime

import pytest
from django.urls import reverse

from activities.year_end.models import (
    Appraisal,
    Outcome,
    RectificationItem,
    TalkPair,
    YearEndCycle,
)
from reports.annual import definitions as d
from reports.annual import figures as f
from reports.annual.services import Decision, annual_return_review, annual_return_submit

from .. import factories

YEAR = 2025
TODAY = datetime.date(2026, 1, 15)
D = datetime.date
KEYS = [
    "talks_planned",
    "talks_done",
    "appraised_excellent",
    "appraised_qualified",
    "appraised_basically_qualified",
    "appraised_unqualified",
    "rectification_closed",
    "rectification_open",
    "rectification_earlier_closed",
    "rectification_earlier_open",
]


def _pair(cycle, one, other, held_on=None):
    first, second = sorted((one, other), key=lambda m: m.pk)
    return TalkPair.objects.create(
        cycle=cycle, first=first, second=second, kind="members", held_on=held_on
    )


def _item(branch, year, closed_on=None):
    return RectificationItem.objects.create(
        branch=branch,
        year=year,
        source="branch",
        problem="学习不够经常",
        measure="每月集中学习",
        owner="支部书记",
        deadline=D(year + 1, 3, 31),
        closed_on=closed_on,
        evidence="学习记录" if closed_on else "",
    )


@pytest.fixture
def year_end_data(cast):
    a, bedridden = cast.member_a, cast.member_a_bedridden
    reported, unregistered = cast.member_a_reported, cast.member_a_unregistered
    cycle = YearEndCycle.objects.create(branch=cast.branch_a, year=YEAR)
    _pair(cycle, a, bedridden, D(2025, 12, 1))
    _pair(cycle, a, reported, D(2026, 1, 5))
    _pair(cycle, bedridden, reported)
    _pair(cycle, a, unregistered, D(2025, 12, 2))
    proposed_only = factories.member(name="何伟", community=cast.community_a)
    for member, grade in (
        (a, "excellent"),
        (bedridden, "qualified"),
        (reported, "qualified"),
        (unregistered, "basically_qualified"),
    ):
        Appraisal.objects.create(cycle=cycle, member=member, decision=grade, reason="按评议结果")
    Appraisal.objects.filter(cycle=cycle, member=bedridden).update(absent_reason="卧床")
    Appraisal.objects.create(cycle=cycle, member=proposed_only, proposal="qualified")
    earlier = YearEndCycle.objects.create(branch=cast.branch_a, year=YEAR - 1)
    Appraisal.objects.create(cycle=earlier, member=a, decision="excellent")
    for year, closed_on in (
        (2025, D(2025, 12, 20)),
        (2025, None),
        (2025, D(2026, 1, 10)),
        (2024, D(2025, 3, 1)),
        (2024, None),
        (2024, D(2024, 12, 1)),
        (2026, None),
    ):
        _item(cast.branch_a, year, closed_on)

    functional = YearEndCycle.objects.create(branch=cast.functional_a, year=YEAR)
    f1 = factories.member(name="刘文", community=cast.community_a)
    f2 = factories.member(name="马兰", community=cast.community_a, male=False)
    _pair(functional, f1, f2, D(2025, 11, 30))
    Appraisal.objects.create(cycle=functional, member=f1, decision="excellent")
    _item(cast.functional_a, 2025)

    other = YearEndCycle.objects.create(branch=cast.branch_a2, year=YEAR)
    o1 = factories.member(name="郑强", community=cast.community_a2)
    o2 = factories.member(name="冯丽", community=cast.community_a2, male=False)
    _pair(other, o1, o2, D(2025, 12, 5))
    Appraisal.objects.create(
        cycle=other,
        member=o1,
        decision="unqualified",
        reason="长期不参加组织生活",
        outcome=Outcome.CORRECT_BY_DEADLINE,
    )
    return cast


COMMUNITY_A = [4, 2, 1, 2, 1, 0, 1, 2, 1, 1]
FUNCTIONAL_A = [1, 1, 1, 0, 0, 0, 0, 1, 0, 0]
STREET_A = [a + b for a, b in zip(COMMUNITY_A, FUNCTIONAL_A, strict=True)]
COMMUNITY_A2 = [1, 1, 0, 0, 0, 1, 0, 0, 0, 0]


def _pick(figures):
    return [figures[key] for key in KEYS]


def test_a_community_and_its_street_equal_the_hand_count(
    year_end_data, django_assert_max_num_queries
):
    cast = year_end_data
    with django_assert_max_num_queries(f.AREA_QUERIES):
        area = f.area_figures(cast.district_a, YEAR, today=TODAY)
    assert _pick(area[cast.community_a.pk]) == COMMUNITY_A
    # The street's own share: the functional branch sitting on it.
    assert _pick(area[cast.street_a.pk]) == FUNCTIONAL_A
    assert _pick(f.own_figures(cast.street_a, YEAR, today=TODAY)) == FUNCTIONAL_A
    assert _pick(f.node_figures(cast.street_a, YEAR, today=TODAY)) == STREET_A
    assert _pick(area[cast.community_a2.pk]) == COMMUNITY_A2
    district = f.node_figures(cast.district_a, YEAR, today=TODAY)
    assert _pick(district) == [a + b for a, b in zip(STREET_A, COMMUNITY_A2, strict=True)]
    talks = next(item for s in d.SECTIONS for item in s.figures if item.key == "talks")
    assert d.rate(district, talks) == 4 / 6


def test_the_year_after_counts_the_open_items_as_carried_over(year_end_data):
    figures = f.area_figures(year_end_data.community_a, YEAR + 1, today=D(2027, 1, 15))
    ours = figures[year_end_data.community_a.pk]
    # 2026: the 2026 item open; carried over: 2025's open item and 2024's open item still
    # open, 2025's item closed 2026-01-10 closed in the year.
    assert ours["rectification_open"] == 1
    assert (ours["rectification_earlier_open"], ours["rectification_earlier_closed"]) == (2, 1)
    assert ours["talks_planned"] == 0 and ours["appraised_excellent"] == 0


def test_the_street_submits_its_communitys_snapshot_plus_its_own_branches(year_end_data):
    cast = year_end_data
    community = annual_return_submit(
        node=cast.community_a,
        year=YEAR,
        revision=0,
        actor=cast.user("community_secretary"),
        today=TODAY,
    )
    annual_return_review(
        annual_return=community,
        decision=Decision.ACCEPT,
        comment="",
        revision=community.revision,
        actor=cast.user("street_staff"),
    )
    street = annual_return_submit(
        node=cast.street_a, year=YEAR, revision=0, actor=cast.user("street_staff"), today=TODAY
    )
    assert _pick(street.versions.get().figures) == STREET_A


def test_the_page_and_the_excel_show_the_figures_with_their_definitions(year_end_data, client_for):
    import io

    from openpyxl import load_workbook

    cast = year_end_data
    client = client_for("community_secretary")
    body = client.get(reverse("reports:annual_return", args=[cast.community_a.pk, YEAR]))
    text = body.content.decode()
    assert "谈心谈话完成率" in text and "50.0%" in text
    assert "暂未提供" not in text
    assert "直至销号当年" in text
    xlsx = client.get(reverse("reports:annual_xlsx", args=[cast.community_a.pk, YEAR]))
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    values = {row[1]: row[2] for row in rows[4:]}
    assert values["已完成谈心谈话"] == 2
    assert values["评定为合格的党员"] == 2
    assert (values["本年整改事项已完成"], values["本年整改事项未完成"]) == (1, 2)
    assert rows[-1][1:3] == ("往年结转整改事项仍未完成", 1)
