"""The annual return in a real browser: the community secretary (375 px, 大字版) submits,
the street staff (1280 px) returns it with a comment, the secretary resubmits (version 2)
and the street accepts it. Each page: axe-core, no console errors or failed requests."""

import pytest

from tests.e2e.conftest import PageProblems, axe_source, axe_violations, browser, screenshot
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]
__all__ = ["axe_source", "browser"]  # fixtures used below

YEAR = 2025


@pytest.fixture
def cast(transactional_db):
    from tests.conftest import build_cast

    cast = build_cast()
    secretary = cast.user("community_secretary")
    secretary.large_mode = True
    secretary.save(update_fields=["large_mode"])
    return cast


def _page(browser, base_url, username, width):
    context = browser.new_context(
        bypass_csp=True, locale="zh-CN", viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    problems = PageProblems(page)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page, problems


def _check(page, axe_source, problems, name):
    screenshot(page, name)
    assert axe_violations(page, axe_source) == []
    assert problems.errors == []


def test_a_community_submits_the_street_returns_it_and_accepts_version_two(
    cast, live_server, browser, axe_source
):
    url = f"{live_server.url}/reports/org/{cast.community_a.pk}/annual/{YEAR}/"
    secretary, secretary_problems = _page(browser, live_server.url, "community_secretary", 375)
    secretary.goto(url)
    assert "large-mode" in (secretary.locator("body").get_attribute("class") or "")
    assert "光荣在党50年" in secretary.content()
    _check(secretary, axe_source, secretary_problems, "annual-community-375")
    secretary.get_by_role("link", name="核对并上报").click()
    _check(secretary, axe_source, secretary_problems, "annual-submit-375")
    secretary.get_by_role("button", name=f"上报{YEAR}年度统计表").click()
    secretary.wait_for_url(url)
    assert "年报已上报" in secretary.content()
    assert "已上报，待审核" in secretary.locator("#state-title").inner_text()

    street, street_problems = _page(browser, live_server.url, "street_staff", 1280)
    street.goto(f"{live_server.url}/reports/org/{cast.street_a.pk}/annual/{YEAR}/")
    _check(street, axe_source, street_problems, "annual-street-1280")
    street.get_by_role("link", name=cast.community_a.name).click()
    street.get_by_role("link", name="审核这份年报").click()
    _check(street, axe_source, street_problems, "annual-review-1280")
    street.get_by_label("退回修改").check()
    street.get_by_label("意见（需要修改的地方）").fill("请核对去世人数")
    street.get_by_role("button", name="提交审核意见").click()
    street.wait_for_url(url)
    assert "已退回修改" in street.locator("#state-title").inner_text()

    secretary.goto(url)
    assert "请核对去世人数" in secretary.content()
    secretary.get_by_role("link", name="核对并上报").click()
    secretary.get_by_role("button", name=f"上报{YEAR}年度统计表").click()
    secretary.wait_for_url(url)
    assert "第 2 版" in secretary.content()

    street.goto(url)
    street.get_by_role("link", name="审核这份年报").click()
    street.get_by_label("审核通过").check()
    street.get_by_role("button", name="提交审核意见").click()
    street.wait_for_url(url)
    assert "已审核通过" in street.locator("#state-title").inner_text()
    _check(street, axe_source, street_problems, "annual-accepted-1280")
    street.goto(f"{live_server.url}/reports/org/{cast.street_a.pk}/annual/{YEAR}/")
    _check(street, axe_source, street_problems, "annual-street-after-1280")
