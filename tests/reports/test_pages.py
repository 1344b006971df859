"""The dashboard pages, drill-down lists and exports show the fixture's figures."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts import crypto

pytestmark = pytest.mark.django_db
Q1 = "?period=quarter&year=2026&quarter=1"


@pytest.fixture
def district(client_for):
    return client_for("district_staff")


def test_the_district_dashboard_shows_every_figure_in_chinese_with_links(
    world, district, frozen_today
):
    cast = world.cast
    html = district.get(reverse("reports:org_dashboard", args=[cast.district_a.pk]) + Q1)
    html = html.content.decode()
    assert "东城区 · 统计" in html and "2026年第一季度" in html
    for figure in ("71.4%", "83.3%", "76.2%", "85.7%", "66.7%"):
        assert figure in html
    members = reverse("reports:org_members", args=[cast.district_a.pk])
    assert f'href="{members}?list=unregistered">2</a>' in html
    assert f'href="{members}?list=inactive">2</a>' in html
    branches = reverse("reports:org_branches", args=[cast.district_a.pk])
    assert f'href="{branches}?list=active&amp;kind=functional">1</a>' in html
    street = reverse("reports:org_dashboard", args=[cast.street_a.pk])
    assert f'href="{street}?period=quarter&amp;year=2026&amp;quarter=1">和平街道</a>' in html
    # Status is told by symbol and words, not colour alone; the excusal is footnoted.
    assert "✗</span> 0/1" in html and "未达标" in html
    assert "社区集中改造，活动室停用" in html
    # Charts are inline SVG sized by CSS: no style attribute anywhere (strict CSP).
    assert "<svg" in html and "style=" not in html


def test_the_comparison_sorts_on_the_server(world, district, frozen_today):
    url = reverse("reports:org_dashboard", args=[world.cast.district_a.pk]) + Q1
    ascending = district.get(url + "&sort=coverage").content.decode()
    assert ascending.index("新华街道</a>") < ascending.index("和平街道</a>")
    assert 'aria-sort="ascending"' in ascending
    descending = district.get(url + "&sort=-coverage").content.decode()
    assert descending.index("和平街道</a>") < descending.index("新华街道</a>")
    assert 'aria-sort="descending"' in descending


def test_the_heat_map_pages_and_filters_to_branches_behind(world, district, frozen_today):
    url = reverse("reports:org_dashboard", args=[world.cast.district_a.pk]) + Q1
    html = district.get(url + "&heat=behind").content.decode()
    heat = html[html.index('id="heatmap-title"') : html.index('id="attendance-title"')]
    assert "枫林社区离退休干部党支部" in heat and "功能型党支部" in heat
    assert "翠园社区离退休干部党支部" not in heat


def test_a_long_list_of_branches_behind_shows_the_furthest_behind_and_links_to_all(
    world, district, frozen_today, monkeypatch
):
    monkeypatch.setattr("reports.selectors.dashboard.BEHIND_SHOWN", 1)
    url = reverse("reports:org_dashboard", args=[world.cast.district_a.pk]) + Q1
    html = district.get(url).content.decode()
    behind = html[html.index('id="behind-title"') : html.index('id="heatmap-title"')]
    # functional_a is behind in one period, branch_a2 in one: both counted, one listed.
    assert "2 个支部未达标" in behind
    assert behind.count('<th scope="row">') == 1
    branches = reverse("reports:org_branches", args=[world.cast.district_a.pk])
    assert "以上为落后最多的 1 个支部，查看全部 2 个。" in behind
    assert f'href="{branches}?list=behind&amp;period=quarter' in behind


def test_drill_down_lists_hold_the_people_and_branches_behind_the_figures(
    world, district, frozen_today
):
    cast = world.cast
    members = reverse("reports:org_members", args=[cast.district_a.pk])
    page = district.get(members + "?list=unregistered").content.decode()
    assert "甲四" in page and "乙三" in page and "甲一" not in page
    page = district.get(members + "?list=inactive").content.decode()
    assert "甲三" in page and "乙二" in page and "甲一" not in page and "乙一" not in page
    branches = reverse("reports:org_branches", args=[cast.district_a.pk])
    page = district.get(branches + Q1 + "&list=behind").content.decode()
    assert "2 个支部" in page and "支部党员大会" in page
    page = district.get(branches + "?list=warning&code=too_few").content.decode()
    assert "2 个支部" in page
    page = district.get(branches + "?list=dissolved").content.decode()
    assert "枫林社区原第二党支部" in page
    meetings = reverse("reports:org_meetings", args=[cast.district_a.pk])
    page = district.get(meetings + Q1 + "&month=2026-02").content.decode()
    assert "3 次会议" in page and "2026-02-25" in page


def test_a_member_list_decrypts_nothing_it_does_not_show(
    world, district, frozen_today, monkeypatch
):
    decrypted = []
    monkeypatch.setattr(crypto, "decrypt", lambda stored: decrypted.append(stored) or "x")
    members = reverse("reports:org_members", args=[world.cast.district_a.pk])
    for which in ("residents", "inactive"):
        page = district.get(members + f"?list={which}").content.decode()
        assert "甲三" in page  # names, communities and branches only
    assert decrypted == []


def shown(cell):
    """A cell as the spreadsheet shows it; a rate must be a number in percent format."""
    if cell.number_format == "0.0%":
        assert cell.data_type == "n" and isinstance(cell.value, int | float), cell.value
        return f"{cell.value * 100:.1f}%"
    return cell.value


def sheet_rows(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    return [[shown(cell) for cell in row] for row in workbook.active.iter_rows()]


def test_each_table_exports_to_excel_with_the_same_figures(world, district, frozen_today):
    cast = world.cast

    def export(table):
        url = reverse("reports:org_export", args=[cast.district_a.pk, table]) + Q1
        return sheet_rows(district.get(url))

    def rate_columns(table):
        """Per data row, which columns hold a number in percent format."""
        url = reverse("reports:org_export", args=[cast.district_a.pk, table]) + Q1
        sheet = load_workbook(io.BytesIO(district.get(url).content)).active
        return {
            tuple(i for i, c in enumerate(row) if c.number_format == "0.0%" and c.data_type == "n")
            for row in list(sheet.iter_rows())[4:]
        }

    assert rate_columns("comparison") == {(3, 8, 10, 15)}  # every sub-unit and the total
    assert rate_columns("attendance") - {()} == {(7,)}  # () a month with no meeting ("—")
    comparison = export("comparison")
    assert ["和平街道", 4, 3, "75.0%", 2, 0, 6, 1, "85.7%", 1, "80.0%", 3, 1, 2, 2, "50.0%"] in [
        r[:-1] for r in comparison
    ]
    total = ["合计", 7, 5, "71.4%", 3, 1, 10, 2, "83.3%", 2, "76.2%", 5, 2, 3, 3, "33.3%", 1]
    assert total in comparison
    behind = export("behind")
    assert ["枫林社区离退休干部党支部", "新华街道", "主题党日", 1] in behind
    attendance = export("attendance")
    assert ["2026年2月", 7, 3, 1, 2, 1, 1, "71.4%"] in attendance
    kinds = export("kinds")
    assert ["已撤销支部", 1] in kinds
    heat = export("heatmap")
    assert ["枫林社区原第二党支部", "主题党日", "✓ 1/1", "—", "—"] in heat
    warnings = export("warnings")
    assert [r[0] for r in warnings[4:]] == [
        "和平街道银发志愿服务队功能型党支部",
        "翠园社区离退休干部党支部",
        "枫林社区离退休干部党支部",
    ]


def test_the_whole_dashboard_prints_to_a_pdf_with_chinese_text(world, district, frozen_today):
    import shutil
    import subprocess

    response = district.get(reverse("reports:org_pdf", args=[world.cast.district_a.pk]) + Q1)
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    for expected in (
        "东城区",
        "社区报到覆盖率",
        "71.4%",
        "组织生活落实热力表",
        "枫林社区离退休干部党支部",
        "1/1",  # a heat map cell: counted / required
    ):
        assert expected in text


def test_the_branch_overview_links_to_the_meeting_pages(world, district, frozen_today):
    cast = world.cast
    html = district.get(reverse("reports:branch_dashboard", args=[cast.branch_a.pk]) + Q1)
    html = html.content.decode()
    assert reverse("activities:meeting_list", args=[cast.branch_a.pk]) in html
    assert "66.7%" in html and "半年内任期届满" in html
    rows = sheet_rows(
        district.get(reverse("reports:branch_export", args=[cast.branch_a.pk, "attendance"]) + Q1)
    )
    assert ["2026年1月", 3, 1, 1, 0, 1, 0, "66.7%"] in rows


def test_an_excusal_reason_is_shown_in_the_heat_map_as_text(world, district, frozen_today):
    from activities.meetings.models import Excusal

    Excusal.objects.filter(branch=world.cast.branch_a).update(reason='<b onclick="x()">改造</b>')
    html = district.get(
        reverse("reports:org_dashboard", args=[world.cast.district_a.pk]) + Q1
    ).content.decode()
    heat = html[html.index('id="heatmap-title"') : html.index('id="attendance-title"')]
    # The end of a cell's title (the list of excusals under the map goes on after it).
    assert '：&lt;b onclick=&quot;x()&quot;&gt;改造&lt;/b&gt;">' in heat
    assert "<b onclick" not in html


def test_the_excel_of_branches_behind_keeps_the_dashboards_order(world, district, frozen_today):
    """Furthest behind first, as the dashboard lists them (not in tree order)."""
    from activities import summaries
    from activities.meetings.models import Meeting

    cast = world.cast
    Meeting.objects.filter(branch=cast.branch_a2, held_on="2026-01-15").delete()
    summaries.rebuild()  # branch_a2 now misses two theme days, functional_a one assembly
    html = district.get(reverse("reports:org_dashboard", args=[cast.district_a.pk]) + Q1)
    section = html.content.decode()
    section = section[section.index('id="behind-title"') : section.index('id="heatmap-title"')]
    on_screen = [name for name in (cast.branch_a2.name, cast.functional_a.name) if name in section]
    on_screen.sort(key=section.index)
    url = reverse("reports:org_export", args=[cast.district_a.pk, "behind"]) + Q1
    rows = sheet_rows(district.get(url))[4:]
    assert [row[0] for row in rows] == on_screen == [cast.branch_a2.name, cast.functional_a.name]
    assert [row[3] for row in rows] == [2, 1]


def test_the_dashboard_pdf_fills_page_one_and_prints_no_link_hint(world, district, frozen_today):
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    response = district.get(reverse("reports:org_pdf", args=[world.cast.district_a.pk]) + Q1)
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    first = text.split("\f")[0]
    # The seven cards take two rows, and the comparison table follows on page 1.
    assert "社区报到覆盖率" in first and "关怀走访及时率" in first
    assert "按街道（镇）对比" in first and "合计" in first
    assert "报到覆盖率与组织生活达标率" in text  # the charts are printed...
    assert "链接" not in text  # ...without the screen's hint about links


def test_a_horizontal_bar_s_value_stands_after_its_track_never_on_the_bar():
    from reports.charts import bar_chart

    chart = bar_chart("覆盖率", [("和平街道", 0.852, ""), ("新华街道", 1.0, ""), ("空", None, "")])
    for bar in chart.bars:
        assert bar.text_x >= bar.x + bar.track + 4
        assert bar.text_x + 60 <= chart.width  # room for "100.0%"
