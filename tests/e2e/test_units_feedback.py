"""The feedback report in the browser, on a 375 px phone in 大字版 and at 1280 px: the
community generates, reviews and sends unit_a's H1-2026 report; the unit's liaison
opens it from the workbench and acknowledges it with a reply; the community sees the
acknowledgement and the reply on its workbench."""

import datetime

import pytest

from units.feedback.models import FeedbackLetter, LetterState

from ..activities.conftest import record
from ..conftest import build_cast
from ..factories import PASSWORD
from .conftest import PageProblems, axe_violations, no_sideways_scroll, screenshot
from .test_funds import SIZES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium"),
    pytest.mark.django_db(transaction=True),
]

REPLY = "感谢社区，我单位将安排走访。"


@pytest.fixture
def cast(transactional_db):
    cast = build_cast()
    record(branch=cast.branch_a, held_on=datetime.date(2026, 3, 10))
    record(branch=cast.branch_a, held_on=datetime.date(2026, 5, 12))
    return cast


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
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{self.base}/")
        return page

    def look(self, page, shot):
        assert no_sideways_scroll(page), shot
        assert axe_violations(page, self.axe_source) == [], shot
        screenshot(page, f"feedback-{self.size}-{shot}")

    def close(self):
        if self.context:
            self.errors += self.problems.errors
            self.context.close()
        assert self.errors == []


@pytest.mark.parametrize("size", sorted(SIZES))
def test_generate_review_send_acknowledge_and_read_the_reply(
    browser, live_server, cast, axe_source, size
):
    s = Session(browser, live_server.url, size, cast, axe_source)
    base = live_server.url
    community_url = f"{base}/units/feedback/communities/{cast.community_a.pk}/?year=2026&half=1"

    # The community generates, reviews and sends.
    page = s.as_user("community_secretary")
    page.goto(community_url)
    s.look(page, "community")
    page.get_by_role("link", name="生成", exact=True).click()
    page.get_by_role("button", name="生成").click()
    page.wait_for_url("**/units/feedback/*/")
    assert cast.member_a.name in page.content()
    s.look(page, "draft")
    page.get_by_role("link", name="审核并填写意见").click()
    page.get_by_label("社区意见").fill("本半年按时参加组织生活。")
    page.get_by_label(f"对{cast.member_a.name}的意见").fill("积极参加")
    s.look(page, "review")
    page.get_by_role("button", name="保存审核").click()
    page.wait_for_url("**/units/feedback/*/")
    page.get_by_role("link", name="发送原单位").click()
    s.look(page, "send")
    page.get_by_role("button", name="发送原单位").click()
    page.wait_for_url("**/units/feedback/*/")
    assert "已发送，等待原单位确认" in page.content()
    s.look(page, "sent")

    # The liaison opens it from the workbench and acknowledges it with a reply.
    page = s.as_user("unit_liaison")
    assert page.locator("#wb-feedback-to-acknowledge").inner_text() == "1"
    page.get_by_role("link", name="等待您确认的反馈表").click()
    s.look(page, "unit-letters")
    with page.expect_navigation():  # content() mid-navigation can read an empty document
        page.get_by_role("link", name=cast.community_a.name).click()
    assert "积极参加" in page.content()
    s.look(page, "liaison-letter")
    page.get_by_role("link", name="确认并回复").click()
    page.get_by_label("给社区的回复（可不填）").fill(REPLY)
    page.get_by_role("button", name="确认收到").click()
    page.wait_for_url("**/units/feedback/*/")
    assert page.locator("#fb-reply-text").inner_text() == REPLY
    s.look(page, "acknowledged")

    # The community sees the acknowledgement and the reply on its workbench.
    page = s.as_user("community_secretary")
    panel = page.locator("#wb-feedback").locator("xpath=..")
    assert REPLY[:10] in panel.inner_text()
    s.look(page, "workbench-reply")
    with page.expect_navigation():
        panel.get_by_role("link", name=f"{cast.unit_a.name}已回复").click()
    assert "原单位已确认" in page.content()
    s.close()

    letter = FeedbackLetter.objects.get(unit=cast.unit_a, community=cast.community_a)
    assert (letter.state, letter.reply) == (LetterState.ACKNOWLEDGED, REPLY)
