"""District bureau staff in a real browser: drill down district -> street -> community ->
branch through the dashboards and download an Excel export and the PDF.

Each dashboard page is checked with axe-core (no serious or critical violation), for
console errors and failed requests (the CSP would block an inline style or script).
"""

import io

import pytest

from tests.e2e.conftest import PageProblems, axe_source, axe_violations, browser, screenshot
from tests.factories import PASSWORD

from .conftest import build_world

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]
__all__ = ["axe_source", "browser"]  # fixtures used below


@pytest.fixture
def world(transactional_db):
    from tests.conftest import build_cast

    return build_world(build_cast())


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def check(page, axe_source, problems, name):
    screenshot(page, name)
    assert axe_violations(page, axe_source) == []
    assert problems.errors == []


def test_district_staff_drill_down_to_a_branch_and_download_an_export(
    world, live_server, browser, axe_source, frozen_today
):
    cast = world.cast
    # axe needs bypass_csp to inject its script; the CSP itself is checked below.
    context = browser.new_context(
        bypass_csp=True, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    problems = PageProblems(page)
    log_in(page, live_server.url, "district_staff")

    page.get_by_role("link", name="统计").first.click()
    page.wait_for_url(f"**/reports/org/{cast.district_a.pk}/")
    page.select_option("#period", "quarter")
    page.select_option("#year", "2026")
    page.select_option("#quarter", "1")
    page.locator("form.period-picker button[type=submit]").click()
    page.wait_for_url("**quarter=1**")
    assert page.locator(".stat-value").first.inner_text() == "71.4%"
    check(page, axe_source, problems, "reports-district")

    # District -> street (the comparison table's first column links each sub-unit).
    page.locator("table.comparison tbody").get_by_role("link", name=cast.street_a.name).click()
    page.wait_for_url(f"**/reports/org/{cast.street_a.pk}/**")
    assert "2026年第一季度" in page.locator("h1").inner_text()
    check(page, axe_source, problems, "reports-street")

    # Street -> community -> branch.
    comparison = page.locator("table.comparison tbody")
    comparison.get_by_role("link", name=cast.community_a.name).click()
    page.wait_for_url(f"**/reports/org/{cast.community_a.pk}/**")
    check(page, axe_source, problems, "reports-community")
    page.locator("table.comparison tbody").get_by_role("link", name=cast.branch_a.name).click()
    page.wait_for_url(f"**/reports/branch/{cast.branch_a.pk}/**")
    heat = page.locator("table.heatmap")
    assert "免" in heat.inner_text()  # March's excused theme day
    check(page, axe_source, problems, "reports-branch")

    with page.expect_download() as download_info:
        page.locator("a[href*='/export/heatmap.xlsx']").first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(download.path().read_bytes()))
    rows = [[c for c in row if c] for row in workbook.active.iter_rows(values_only=True)]
    assert ["主题党日", "✓ 1/1", "✓ 1/1", "免 0/1（社区集中改造，活动室停用）"] in [
        r[1:] for r in rows
    ]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="整个统计页导出 PDF").click()
    assert download_info.value.suggested_filename.endswith(".pdf")
    visited = [page.url.split("?")[0]]
    context.close()

    # The same pages under the real CSP: a blocked style or script would be a console error.
    strict = browser.new_context(locale="zh-CN")
    page = strict.new_page()
    problems = PageProblems(page)
    log_in(page, live_server.url, "district_staff")
    for node in (cast.district_a, cast.street_a, cast.community_a):
        page.goto(f"{live_server.url}/reports/org/{node.pk}/?period=year&year=2026")
    page.goto(f"{visited[0]}?period=month&year=2026&month=3")
    assert problems.errors == []
    strict.close()


def test_the_heat_map_keeps_branch_names_readable_on_a_phone_in_large_text(
    world, live_server, browser, frozen_today
):
    cast = world.cast
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    problems = PageProblems(page)
    log_in(page, live_server.url, "district_staff")
    page.get_by_role("button", name="大字版").first.click()
    page.wait_for_load_state("load")
    assert page.evaluate("() => document.body.classList.contains('large-mode')")
    page.goto(f"{live_server.url}/reports/org/{cast.district_a.pk}/?period=year&year=2026")
    screenshot(page, "reports-heatmap-375-large")
    # The month columns do not wrap; without a floor the name column shrank to what was
    # left (110px here, 43px with the demo's longer names: one character a line).
    font, widths = page.evaluate(
        """() => [
            parseFloat(getComputedStyle(document.querySelector('.heatmap .heat-name')).fontSize),
            [...document.querySelectorAll('.heatmap .heat-name')].map(
                e => e.getBoundingClientRect().width),
        ]"""
    )
    assert widths and min(widths) >= 5.5 * font, (font, widths)
    # The two links above the map are apart, not run together in one line of text.
    behind, export = (
        page.locator(".heatmap-section p.no-print a").nth(i).bounding_box() for i in (0, 1)
    )
    apart = export["x"] >= behind["x"] + behind["width"] + 8
    below = export["y"] >= behind["y"] + behind["height"] - 1
    assert apart or below, (behind, export)
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert problems.errors == []
    context.close()
