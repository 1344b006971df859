"""What the dashboards, the drill-down lists, the rules and the compliance pages say, in
the Chinese a user reads (issue 13, item 10): every noun present, every count defined,
and a card's lines that add up to its figure."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
Q1 = "?period=quarter&year=2026&quarter=1"


def text_of(html: str) -> str:
    """The visible text, each tag read as a space (enough for the sentences here)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def card(html: str, title: str) -> str:
    """One figure card of the summary, from its title to the end of its block."""
    start = html.index(f'<h2 class="stat-title">{title}</h2>')
    return html[start : html.index("</div>", start)]


@pytest.fixture
def district(client_for):
    return client_for("district_staff")


def test_the_branches_card_adds_up_and_says_what_is_apart(world, district, frozen_today):
    html = district.get(
        reverse("reports:org_dashboard", args=[world.cast.district_a.pk]) + Q1
    ).content.decode()
    branches = card(html, "支部")
    shown = int(re.search(r'class="stat-value"><a [^>]*>(\d+)</a>', branches).group(1))
    kinds = [int(n) for n in re.findall(r"<li>[^<：]+：<a [^>]*>(\d+)</a></li>", branches)]
    # branch_a, functional_a and the pilot branch_a2 are active; one branch is dissolved.
    assert (shown, sum(kinds), len(kinds)) == (3, 3, 3)
    words = text_of(branches)
    assert "现有支部，按类型：" in words
    assert "其中试点支部： 1" in words and "另有已撤销支部（不计入上数）： 1" in words
    # The table of kinds: a caption that fits every row, and the total they add up to.
    page = text_of(html)
    assert "现有支部（不含已撤销）" not in page
    assert "现有支部按类型统计（试点支部含在其中，已撤销支部另计）" in page
    assert "现有支部合计 3" in page


def test_a_period_of_the_compliance_figures_is_defined(world, district, frozen_today):
    html = district.get(reverse("reports:org_dashboard", args=[world.cast.district_a.pk]) + Q1)
    page = text_of(html.content.decode())
    assert "达标 10 项，未达标 2 项" in page
    definition = "“项”指一个支部的一类会议在一个考核期（一个月、一个季度或一年）内的开会要求。"
    assert page.count(definition) == 2  # the card and the list of branches behind


def test_the_trend_says_which_months_it_shows_and_why(world, district, frozen_today):
    html = district.get(reverse("reports:org_dashboard", args=[world.cast.district_a.pk]) + Q1)
    page = text_of(html.content.decode())
    assert (
        "图表和下表显示2025年10月至2026年3月，即截至2026年第一季度末的 6 个月，便于看出趋势"
    ) in page
    # A year shows its own twelve months: nothing to explain.
    year = district.get(
        reverse("reports:org_dashboard", args=[world.cast.district_a.pk]) + "?period=year&year=2026"
    )
    assert "便于看出趋势" not in year.content.decode()


def test_a_community_compares_its_branches_by_name(world, client_for, frozen_today):
    client = client_for("community_secretary")
    html = client.get(
        reverse("reports:org_dashboard", args=[world.cast.community_a.pk]) + Q1
    ).content.decode()
    page = text_of(html)
    assert "按支部对比" in page and "各支部对比（2026年第一季度）" in page
    assert "按对比" not in page and "各对比" not in page


def test_a_dashboard_cached_in_chinese_is_not_served_in_english(world, client_for, frozen_today):
    client = client_for("community_secretary")
    url = reverse("reports:org_dashboard", args=[world.cast.community_a.pk]) + Q1
    assert "按支部对比" in text_of(client.get(url).content.decode())
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = text_of(client.get(url).content.decode())
    assert "Comparison by Branch" in page and "支部" not in page.split("Comparison by")[1][:20]


def test_the_unregistered_list_heads_the_name_column_with_xingming(world, district):
    members = reverse("reports:org_members", args=[world.cast.district_a.pk])
    html = district.get(members + "?list=unregistered").content.decode()
    assert '<th scope="col">姓名</th>' in html and '<th scope="col">名称</th>' not in html


def test_the_rules_and_the_compliance_page_say_how_often(cast, client_for):
    rules = client_for("district_staff").get(reverse("activities:rule_list"))
    rules = text_of(rules.content.decode())
    assert "每年 1 次" in rules and "每季度 1 次" in rules and "每月 1 次" in rules
    assert "每年份" not in rules and "每季度份" not in rules
    page = client_for("community_secretary").get(
        reverse("activities:branch_compliance", args=[cast.branch_a.pk]) + "?year=2025"
    )
    page = text_of(page.content.decode())
    assert "组织生活会 （每年 1 次）" in page and "主题党日 （每月 1 次）" in page
    assert "≥" not in page
