"""Funds in the browser, on a 375 px phone in 大字版 and at 1280 px: the district grants
money to a branch; its secretary records two spendings with receipts, the one above the
threshold waits and counts only once the community secretary approves it; the street
closes the year, and a later entry is refused in Chinese."""

import io

import pytest
from PIL import Image

from resources.funds.models import Spending, SpendingState

from ..conftest import build_cast
from ..factories import PASSWORD
from .conftest import PageProblems, axe_violations, expect, no_sideways_scroll, screenshot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
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


@pytest.fixture
def receipts(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, format="PNG")
    photo = tmp_path / "发票照片.png"
    photo.write_bytes(buffer.getvalue())
    scan = tmp_path / "发票.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return [str(photo), str(scan)]


class Session:
    def __init__(self, browser, base, size, name, cast, axe_source):
        self.browser, self.base, self.size, self.name = browser, base, size, name
        self.cast, self.axe_source = cast, axe_source
        self.context = None

    def as_user(self, username):
        if self.context:
            self.context.close()
        if self.size == "375-large":  # 大字版, as a phone user with poor sight has it
            user = self.cast.user(username)
            user.large_mode = True
            user.save(update_fields=["large_mode"])
        # bypass_csp: axe-core is injected as an inline script.
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
        screenshot(page, f"funds-{self.size}-{shot}")

    def close(self):
        if self.context:
            self.context.close()
        assert self.problems.errors == []


@pytest.mark.parametrize("size", sorted(SIZES))
def test_grant_spend_approve_close_and_refuse(
    browser, live_server, cast, receipts, axe_source, size
):
    s = Session(browser, live_server.url, size, "funds", cast, axe_source)
    branch_url = f"{live_server.url}/funds/branches/{cast.branch_a.pk}/"

    # The district grants 1000 yuan to branch_a.
    page = s.as_user("district_staff")
    page.goto(branch_url)
    page.get_by_role("link", name="登记拨款").click()
    page.get_by_label("区委老干部局").check()
    page.get_by_label("金额（元）").fill("1000.00")
    s.look(page, "grant-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{branch_url}?year=*")
    assert "1000.00" in page.locator("#balance").inner_text()

    # The branch secretary records two spendings with receipts.
    page = s.as_user("branch_secretary")
    for amount, category, purpose in (
        ("120.50", "学习资料", "购买学习读本"),
        ("650.00", "活动场地", "重阳节活动场地"),
    ):
        page.goto(branch_url)
        page.get_by_role("link", name="登记支出").click()
        page.get_by_label("金额（元）").fill(amount)
        page.get_by_label(category).check()
        page.get_by_label("用途").fill(purpose)
        page.get_by_label("票据（照片或 PDF）").set_input_files(receipts)
        if amount == "650.00":
            s.look(page, "spending-form")
        page.get_by_role("button", name="保存").click()
        page.wait_for_url("**/funds/spending/*/")
    assert "审批通过后才入账" in page.locator(".messages").inner_text()
    assert page.locator("#state").inner_text() == "待审批"
    assert page.locator("#receipts li").count() == 2
    s.look(page, "spending-waiting")
    page.goto(branch_url)
    assert "879.50" in page.locator("#balance").inner_text()  # the 650.00 does not count yet
    s.look(page, "branch-before-approval")

    # The community secretary approves it: now it counts.
    page = s.as_user("community_secretary")
    page.goto(f"{live_server.url}/funds/approvals/")
    s.look(page, "approvals")
    page.locator("#waiting-list a").first.click()
    page.get_by_role("button", name="同意", exact=True).click()
    # The decision lands back on this page's URL: wait for the new state, not the URL.
    expect(page.locator("#state")).to_have_text("已审批")
    page.wait_for_url("**/funds/spending/*/")
    page.goto(branch_url)
    assert "229.50" in page.locator("#balance").inner_text()
    s.look(page, "branch-after-approval")

    # The street closes the year; the secretary's later entry is refused.
    page = s.as_user("street_staff")
    page.goto(f"{live_server.url}/funds/areas/{cast.street_a.pk}/")
    s.look(page, "street-overview")
    page.locator("#close-year").click()
    page.get_by_label("本年度账目已核对无误，确认结账。").check()
    page.get_by_role("button", name="确认结账").click()
    page.wait_for_url(f"**/funds/areas/{cast.street_a.pk}/?year=*")
    expect(page.locator("#year-closed")).to_be_visible()

    page = s.as_user("branch_secretary")
    page.goto(branch_url)
    assert page.locator("#year-closed").is_visible()
    assert page.get_by_role("link", name="登记支出").count() == 0
    page.goto(f"{branch_url}spending/new/")
    page.get_by_label("金额（元）").fill("10.00")
    page.get_by_label("交通").check()
    page.get_by_label("用途").fill("车费")
    page.get_by_label("票据（照片或 PDF）").set_input_files(receipts[:1])
    page.get_by_role("button", name="保存").click()
    assert "已由和平街道关闭结账" in page.locator("#form-error").inner_text()
    s.look(page, "refused-after-close")
    s.close()

    states = sorted(Spending.objects.values_list("amount", "state"))
    assert [(str(a), st) for a, st in states] == [
        ("120.50", SpendingState.COUNTED),
        ("650.00", SpendingState.APPROVED),
    ]
