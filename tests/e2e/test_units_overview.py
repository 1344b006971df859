"""The unit overview in the browser, on a 375 px phone in 大字版 and at 1280 px: the
liaison opens it from the workbench and drills into the district where one retiree
lives; the district finds it in the menu, chooses a period and drills into its own
district (not into the other). No sideways scroll, no axe violation, no console error."""

import pytest

from ..conftest import build_cast
from ..units.overview_world import build
from .conftest import axe_violations, no_sideways_scroll, open_menu, screenshot
from .test_funds import SIZES, Session

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cast(transactional_db):
    cast = build_cast()
    build(cast)
    return cast


class Look(Session):
    def look(self, page, shot):
        assert no_sideways_scroll(page), shot
        assert axe_violations(page, self.axe_source) == [], shot
        screenshot(page, f"units-overview-{self.size}-{shot}")


def area_rows(page) -> dict[str, str]:
    rows = page.locator("#areas tbody tr")
    return {
        rows.nth(i).locator("th").inner_text().strip(): rows.nth(i).inner_text()
        for i in range(rows.count())
    }


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_liaison_and_the_district_read_a_units_retirees_by_area(
    browser, live_server, cast, axe_source, size
):
    s = Look(browser, live_server.url, size, "overview", cast, axe_source)

    page = s.as_user("unit_liaison")
    page.locator("#unit-overview-link").click()
    page.wait_for_url(f"**/units/overview/{cast.unit_a.pk}/")
    assert page.locator("h1").inner_text().startswith("东城区教育局")
    assert page.locator("#total-retirees").inner_text() == "3"
    assert "33.3%" in page.locator("#total-registered").inner_text()
    assert sorted(area_rows(page)) == ["东城区", "西湖区"]
    assert page.locator("svg.unit-chart-svg").is_visible()
    s.look(page, "liaison-unit")
    page.get_by_role("link", name="西湖区").click()
    page.wait_for_url("**/units/overview/*/?area=*")
    assert list(area_rows(page)) == ["长江街道"]
    assert "赵德明" not in page.content()
    s.look(page, "liaison-district-b")

    page = s.as_user("district_staff")
    open_menu(page)  # the phone's collapsed menu
    nav = page.locator("#main-nav").get_by_role("link", name="原单位", exact=True)
    nav.wait_for(state="visible")
    nav.click()
    page.wait_for_url("**/units/overview/")
    s.look(page, "district-list")
    page.get_by_role("link", name="东城区教育局").click()
    page.wait_for_url(f"**/units/overview/{cast.unit_a.pk}/?*")
    page.get_by_label("起").fill("2025-01-01")
    page.get_by_label("止").fill("2025-12-31")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**start=2025-01-01**")
    assert "100.0%" in area_rows(page)["东城区"]  # the one 2025 meeting, attended
    assert page.get_by_role("link", name="西湖区").count() == 0  # not the district's area
    page.get_by_role("link", name="东城区").click()
    page.wait_for_url("**area=*")
    assert sorted(area_rows(page)) == ["和平街道", "新华街道"]
    s.look(page, "district-drilled")
    s.close()
