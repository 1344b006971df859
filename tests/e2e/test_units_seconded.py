"""Seconded in-service members in the browser, on a 375 px phone in 大字版 and at 1280 px:
the community secretary records 王建国, sent by unit_a onto branch_a's committee, and makes
him 组织委员 of the current term; the branch's page shows him with 选派 and his unit, and
the unit_a liaison finds him on the workbench."""

import datetime

import pytest
from django.utils import timezone

from members.models import CommitteeTerm, Position, Post

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
    today = timezone.localdate()
    term = CommitteeTerm.objects.create(
        branch=cast.branch_a,
        number=1,
        starts_on=today - datetime.timedelta(days=400),
        ends_on=today + datetime.timedelta(days=1000),
        has_committee=True,
    )
    Position.objects.create(term=term, post=Post.SECRETARY, member=cast.member_a)
    cast.term = term
    return cast


class SecondedSession(Session):
    def look(self, page, shot):
        assert no_sideways_scroll(page), shot
        assert axe_violations(page, self.axe_source) == [], shot
        screenshot(page, f"seconded-{self.size}-{shot}")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_community_records_a_seconded_member_who_becomes_organisation_member(
    browser, live_server, cast, axe_source, size
):
    s = SecondedSession(browser, live_server.url, size, "seconded", cast, axe_source)
    branch_url = f"{live_server.url}/branches/{cast.branch_a.pk}/"

    page = s.as_user("community_secretary")
    page.goto(branch_url)
    page.get_by_role("link", name="选派在职党员：查看、登记、结束").click()
    page.get_by_role("link", name="登记选派在职党员").click()
    page.get_by_label("姓名").fill("王建国")
    page.get_by_label("选派单位（原单位）").select_option(label=cast.unit_a.name)
    page.get_by_label("选派担任").select_option(value="committee")
    page.get_by_label("在原单位职务").fill("机关党委副书记")
    s.look(page, "seconded-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/branches/{cast.branch_a.pk}/seconded/")
    assert "已登记选派在职党员" in page.locator(".messages").inner_text()
    assert "王建国" in page.locator(".seconded-list").inner_text()
    s.look(page, "seconded-list")

    page.goto(branch_url)
    page.get_by_role("link", name="修改本届任职或日期").click()
    page.get_by_label("组织委员").select_option(label=f"王建国（选派 · {cast.unit_a.name}）")
    s.look(page, "term-edit")
    page.get_by_role("button", name="保存本届").click()
    page.wait_for_url(branch_url)
    panel = page.locator(".branch-members").inner_text()
    assert "王建国" in panel and "选派" in panel and cast.unit_a.name in panel
    s.look(page, "branch-page")

    page = s.as_user("unit_liaison")
    wb = page.locator("section[aria-labelledby=unit-seconded]")
    assert "王建国" in wb.inner_text() and "组织委员" in wb.inner_text()
    wb.scroll_into_view_if_needed()
    s.look(page, "liaison-workbench")
    s.close()

    position = cast.term.positions.get(post=Post.ORGANISATION)
    assert position.seconded.name == "王建国" and position.member is None
