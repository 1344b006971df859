"""Unit events in the browser, on a 375 px phone in 大字版 and at 1280 px: the unit's
liaison reports a newly retired cadre (动员报到); the community's secretary opens the
task and registers her from the prefilled form; the liaison reads the outcome."""

import datetime

import pytest

from members.models import Member, RegistrationStatus
from members.validators import make_id_number
from units.events.models import UnitEvent

from ..conftest import build_cast
from .conftest import axe_violations, no_sideways_scroll, screenshot
from .test_funds import SIZES, Session

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium"),
    pytest.mark.django_db(transaction=True),
]

BORN = datetime.date(1965, 3, 8)


@pytest.fixture
def cast(transactional_db):
    return build_cast()


class EventsSession(Session):
    def look(self, page, shot):
        assert no_sideways_scroll(page), shot
        assert axe_violations(page, self.axe_source) == [], shot
        screenshot(page, f"units-events-{self.size}-{shot}")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_newly_retired_cadre_reported_registered_and_the_outcome_read(
    browser, live_server, cast, axe_source, size
):
    s = EventsSession(browser, live_server.url, size, "events", cast, axe_source)
    base = live_server.url

    # The liaison tells the community of a newly retired cadre.
    page = s.as_user("unit_liaison")
    page.goto(f"{base}/units/events/")
    s.look(page, "liaison-list-empty")
    page.get_by_role("link", name="新退休动员报到").click()
    page.get_by_label("姓名").fill("孙桂芝")
    page.get_by_label("性别").select_option("female")
    page.get_by_label("出生日期").fill(BORN.isoformat())
    page.get_by_label("电话").fill("13912345678")
    page.get_by_label("家庭住址").fill("翠园小区3栋2单元501室")
    page.get_by_label("离退休日期").fill("2026-10-31")
    page.get_by_label("原职务").fill("教研室主任")
    page.get_by_label("报到社区").select_option(label=cast.community_a.name)
    page.get_by_label("需要社区了解的情况").fill("本人已同意到社区报到，上午在家。")
    s.look(page, "report-form")
    page.get_by_role("button", name="发送给社区").click()
    page.wait_for_url("**/units/events/*/")
    assert "待社区办理" in page.locator("main").inner_text()
    s.look(page, "reported")

    # The community's secretary: the task list, the task, the prefilled registration.
    page = s.as_user("community_secretary")
    page.goto(f"{base}/")
    assert page.locator("#wb-events-open .tag").inner_text() == "1"
    s.look(page, "community-workbench")
    page.locator("#wb-events-open").click()
    page.wait_for_url("**/units/events/?state=open")
    s.look(page, "task-list")
    page.locator("#event-list a").first.click()
    s.look(page, "task")
    page.locator("#do-task").click()
    assert page.get_by_label("姓名").input_value() == "孙桂芝"
    assert page.get_by_label("原职务").input_value() == "教研室主任"
    page.get_by_label("身份证号").fill(make_id_number("319901", BORN, 8, male=False))
    page.get_by_label("所在支部").select_option(label=cast.branch_a.name)
    s.look(page, "register-form")
    page.get_by_role("button", name="登记报到并编入支部").click()
    page.wait_for_url("**/units/events/*/")
    assert "已办结" in page.locator("main").inner_text()
    s.look(page, "task-done")

    # The liaison reads the outcome.
    page = s.as_user("unit_liaison")
    page.goto(f"{base}/units/events/")
    assert "已完成" in page.locator("#event-list").inner_text()
    s.look(page, "liaison-list-done")
    page.locator("#event-list a").first.click()
    assert "已登记报到" in page.locator("#event-outcome").inner_text()
    s.look(page, "outcome")
    page.goto(f"{base}/")
    s.look(page, "liaison-workbench")
    s.close()

    event = UnitEvent.objects.get()
    member = Member.objects.get(name="孙桂芝")
    assert (event.state, event.result_member) == ("done", member)
    assert (member.original_unit, member.home_branch) == (cast.unit_a, cast.branch_a)
    # Accepted, and the unit told at once: its liaison's inbox got the notice.
    assert member.registrations.get().status == RegistrationStatus.NOTIFIED
