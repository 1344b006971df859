"""数据完整率 in the browser, on a 375 px phone in 大字版 and at 1280 px: the district's
staff open it from their workbench, drill into a street and a community, list the
branches without a secretary and go to one; the community's secretary opens it from the
workbench's glance, lists the members without an address (masked identifiers) and goes
to one's edit page. No sideways scroll, no axe violation, no console error."""

import pytest
from django.urls import reverse

from .. import factories as f
from ..conftest import build_cast
from .conftest import axe_violations, no_sideways_scroll, screenshot
from .test_funds import SIZES, Session

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cast(transactional_db):
    cast = build_cast()
    f.org(name="新建社区", level="community", parent=cast.street_a2)
    return cast


class Look(Session):
    def look(self, page, shot):
        assert no_sideways_scroll(page), shot
        assert axe_violations(page, self.axe_source) == [], shot
        assert self.problems.errors == [], shot
        screenshot(page, f"completeness-{self.size}-{shot}")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_district_and_the_community_find_what_to_fix(
    browser, live_server, cast, axe_source, size
):
    s = Look(browser, live_server.url, size, "completeness", cast, axe_source)

    page = s.as_user("district_staff")
    s.look(page, "district-workbench")
    page.goto(live_server.url + reverse("reports:org_dashboard", args=[cast.district_a.pk]))
    screenshot(page, f"completeness-{size}-district-dashboard")
    card = page.locator(".stat-completeness")
    assert card.locator(".stat-value").inner_text() == "0.0%"
    card.locator(".stat-value a").click()
    page.wait_for_url(f"**/completeness/?area={cast.district_a.pk}")
    page.go_back()
    page.goto(live_server.url + "/")
    page.locator(".stat-completeness .stat-value a").first.click()
    page.wait_for_url(f"**/completeness/?area={cast.district_a.pk}")
    assert page.locator("h1").inner_text() == "数据完整率 · 东城区"
    assert page.locator("#completeness-lines tbody tr").count() == 2  # its two streets
    s.look(page, "district")
    page.locator("a[data-problem=no_secretary]").click()
    page.wait_for_url("**problem=no_secretary")
    assert page.locator("#to-fix li").count() == 3
    s.look(page, "district-no-secretary")
    page.get_by_role("link", name="和平街道", exact=True).click()
    page.wait_for_url(f"**area={cast.street_a.pk}**")
    page.get_by_role("link", name="翠园社区", exact=True).click()
    page.wait_for_url(f"**area={cast.community_a.pk}**")
    s.look(page, "community-by-branch")
    page.locator("#to-fix li a.btn").first.click()
    page.wait_for_url("**/branches/*/#branch-members-title")
    assert page.locator("#branch-members-title").is_visible()

    page = s.as_user("community_secretary")
    s.look(page, "secretary-workbench")
    page.locator("#wb-count-completeness").click()
    page.wait_for_url("**/completeness/")
    page.locator("a[data-problem=address]").click()
    page.wait_for_url("**problem=address")
    items = page.locator("#to-fix li")
    assert items.count() == 3
    assert cast.member_a_reported.id_number not in page.content()
    assert "139****1111" in page.content()  # 钱秀英's phone, masked
    s.look(page, "secretary-no-address")
    page.locator(f"li[data-member='{cast.member_a_bedridden.pk}'] a.btn").click()
    page.wait_for_url(f"**/members/{cast.member_a_bedridden.pk}/edit/")
    s.close()
