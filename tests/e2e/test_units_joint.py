"""Joint meetings in the browser, on a 375 px phone in 大字版 and at 1280 px: the street
records a joint meeting with unit_a and community_a and an action item owned by the
unit, already overdue; the unit's liaison finds it on the workbench, marked overdue in
words, opens the meeting and closes the item with a note; it leaves the workbench."""

import datetime

import pytest
from django.utils import timezone

from units.joint.models import ActionItem, JointMeeting

from ..conftest import build_cast
from ..factories import PASSWORD
from .conftest import PageProblems, axe_violations, no_sideways_scroll, screenshot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium"),
    pytest.mark.django_db(transaction=True),
]

SIZES = {
    "375-large": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "zh-CN",
    },
    "1280": {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"},
}


@pytest.fixture
def cast(transactional_db):
    return build_cast()


class Session:
    def __init__(self, browser, base, size, cast, axe_source):
        self.browser, self.base, self.size = browser, base, size
        self.cast, self.axe_source = cast, axe_source
        self.context = None
        self.errors: list[str] = []

    def as_user(self, username):
        self.close_context()
        if self.size == "375-large":  # 大字版
            user = self.cast.user(username)
            user.large_mode = True
            user.save(update_fields=["large_mode"])
        self.context = self.browser.new_context(bypass_csp=True, **SIZES[self.size])
        self.context.set_default_timeout(15_000)
        page = self.context.new_page()
        self.problems = PageProblems(page)
        page.goto(f"{self.base}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{self.base}/")
        return page

    def look(self, page, shot):
        assert no_sideways_scroll(page), shot
        assert axe_violations(page, self.axe_source) == [], shot
        screenshot(page, f"joint-{self.size}-{shot}")

    def close_context(self):
        if self.context:
            self.context.close()
            self.errors += self.problems.errors
            self.context = None


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_street_records_and_the_liaison_closes_the_item(
    browser, live_server, cast, axe_source, size
):
    s = Session(browser, live_server.url, size, cast, axe_source)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    # The street records the meeting: itself (prefilled), the community, the unit.
    page = s.as_user("street_staff")
    page.locator("#joint-section").get_by_role("link", name="记录联席会议").click()
    page.wait_for_url("**/units/joint/new/")
    page.get_by_label("主题").fill("新退休干部报到")
    page.get_by_label("地点").fill("和平街道党群服务中心")
    assert page.locator("select[name=parties-0-who]").input_value() == f"org:{cast.street_a.pk}"
    page.select_option("select[name=parties-1-party]", "community")
    page.select_option("select[name=parties-1-who]", f"org:{cast.community_a.pk}")
    page.select_option("select[name=parties-2-party]", "unit")
    page.select_option("select[name=parties-2-who]", f"unit:{cast.unit_a.pk}")
    page.fill("input[name=parties-2-attendees]", "刘联络员")
    page.fill("input[name=items-0-title]", "提供新退休干部名单")
    page.select_option("select[name=items-0-party]", "unit")
    page.select_option("select[name=items-0-who]", f"unit:{cast.unit_a.pk}")
    page.fill("input[name=items-0-due_on]", yesterday.isoformat())
    s.look(page, "record-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/units/joint/*/")
    assert "联席会议已记录" in page.locator("main").inner_text()
    assert page.locator("#parties li").count() == 3
    s.look(page, "meeting-street")
    meeting = JointMeeting.objects.get()

    # The liaison finds the item on the workbench, overdue, and closes it.
    page = s.as_user("unit_liaison")
    section = page.locator("#joint-section")
    assert "提供新退休干部名单" in section.inner_text()
    assert "已逾期" in section.inner_text()
    assert "我的未办结事项 1 项" in section.inner_text()
    s.look(page, "workbench-liaison")
    section.get_by_role("link", name="提供新退休干部名单").click()
    page.wait_for_url(f"**/units/joint/{meeting.pk}/*")
    s.look(page, "meeting-liaison")
    page.get_by_role("link", name="办结", exact=True).click()
    page.get_by_label("办理情况").fill("名单已送到社区")
    s.look(page, "close-form")
    page.get_by_role("button", name="办结待办事项").click()
    page.wait_for_url(f"**/units/joint/{meeting.pk}/")
    assert "名单已送到社区" in page.locator("#items").inner_text()
    page.goto(f"{live_server.url}/")
    assert page.locator("#joint-section").count() == 0
    s.look(page, "workbench-after")
    s.close_context()
    assert s.errors == []
    item = ActionItem.objects.get()
    assert item.closed_at and item.closing_note == "名单已送到社区"
