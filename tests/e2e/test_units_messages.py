"""Unit messages in the browser, on a 375 px phone in 大字版 and at 1280 px: the community
accepts the registration of a retiree of unit_a; the unit's liaison logs in, finds the
message (unread, in words) in the unit's inbox and opens it; the member's page shows that
the unit was told, and the registration is notified without anybody typing a date. The
district's staff record the unit's e-mail (the robot's secret never shown back)."""

import datetime

import pytest

from members.models import CommunityRegistration, RegistrationStatus
from units.messages.models import UnitContact

from .. import factories as f
from ..conftest import build_cast
from .conftest import PageProblems, axe_violations, expect, no_sideways_scroll, screenshot
from .test_funds import SIZES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cast(transactional_db):
    return build_cast()


class Session:
    def __init__(self, browser, base, size, cast, axe_source):
        self.browser, self.base, self.size = browser, base, size
        self.cast, self.axe_source = cast, axe_source
        self.context = None
        self.errors = []

    def as_user(self, username):
        if self.context:
            self.errors += self.problems.errors
            self.context.close()
        if self.size == "375-large":
            user = self.cast.user(username)
            user.large_mode = True
            user.save(update_fields=["large_mode"])
        self.context = self.browser.new_context(bypass_csp=True, **SIZES[self.size])
        self.context.set_default_timeout(15_000)
        page = self.context.new_page()
        self.problems = PageProblems(page)
        page.goto(f"{self.base}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", f.PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{self.base}/")
        return page

    def look(self, page, shot):
        assert no_sideways_scroll(page), shot
        assert axe_violations(page, self.axe_source) == [], shot
        screenshot(page, f"unit-messages-{self.size}-{shot}")

    def close(self):
        if self.context:
            self.errors += self.problems.errors
            self.context.close()
        assert self.errors == []


@pytest.mark.parametrize("size", sorted(SIZES))
def test_accepting_a_registration_tells_the_unit_and_notifies_it(
    browser, live_server, cast, axe_source, size
):
    member = f.member(
        name="吴国华",
        community=cast.community_a,
        born=datetime.date(1956, 4, 3),
        original_unit=cast.unit_a,
    )
    registration = f.registration(member=member, status="reported")
    s = Session(browser, live_server.url, size, cast, axe_source)

    # The community secretary accepts the registration into branch_a.
    page = s.as_user("community_secretary")
    page.goto(f"{live_server.url}/registrations/{registration.pk}/accept/")
    page.locator("select[name=branch]").select_option(str(cast.branch_a.pk))
    page.get_by_role("button", name="接收并编入支部").click()
    page.wait_for_url(f"**/members/{member.pk}/")
    told = page.locator(".unit-told")
    assert "联络员站内信" in told.inner_text() and "已发送" in told.inner_text()
    assert "已告知原单位" in page.locator("#reg-title + ul, #reg-title ~ ul").first.inner_text()
    s.look(page, "member-told")
    page.goto(f"{live_server.url}/units/messages/sent/")
    assert "吴国华" in page.locator("#sent-list").inner_text()
    s.look(page, "sent")

    # The liaison of unit_a finds it in the unit's inbox, unread in words, and opens it.
    page = s.as_user("unit_liaison")
    s.look(page, "workbench")
    page.get_by_role("link", name="1条发给本单位的消息未读").click()  # the workbench
    item = page.locator("#inbox li").first
    expect(item).to_contain_text("吴国华")  # the inbox, parsed
    assert "未读" in item.inner_text()
    s.look(page, "inbox")
    item.locator("a").click()
    page.wait_for_url("**/units/messages/*/")
    assert "翠园社区" in page.locator("main").inner_text()
    s.look(page, "message")
    page.goto(f"{live_server.url}/units/messages/")
    assert "未读" not in page.locator("#inbox").inner_text()

    registration = CommunityRegistration.objects.get(pk=registration.pk)
    assert registration.status == RegistrationStatus.NOTIFIED
    assert registration.notified_on is not None

    # The liaison records the unit's e-mail and a robot; the robot's address stays hidden.
    page.goto(f"{live_server.url}/units/contacts/{cast.unit_a.pk}/edit/")
    page.locator("input[name=email]").fill("jyj@example.org")
    page.locator("input[name=webhook_url]").fill(
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=TOPSECRETKEY"
    )
    s.look(page, "contact-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/units/contacts/{cast.unit_a.pk}/")
    facts = page.locator("#contact-facts").inner_text()
    assert "jyj@example.org" in facts and "TOPSECRETKEY" not in page.content()
    s.look(page, "contact")
    s.close()
    assert UnitContact.objects.get(unit=cast.unit_a).webhook_url.endswith("TOPSECRETKEY")
