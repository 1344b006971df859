"""Notices in a real browser: district staff write one on a phone in 大字版 with a PDF and
a 3-day deadline and send it to street A; the branch secretary, at desk width, finds it
unread, opens it and downloads the file, which the district then sees as opened.

Every page is checked with axe-core (no serious or critical violation), for console
errors and failed requests, and at 375 px for horizontal scrolling.
"""

import datetime

import pytest
from django.utils import timezone

from notices.models import Notice, NoticeReceipt

from ..conftest import build_cast
from .conftest import PageProblems, axe_violations, log_in, open_menu, screenshot
from .test_secretary_journey import has_horizontal_scroll

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def cast(transactional_db):
    return build_cast()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def visit(page, problems, axe_source, name, found: dict):
    page.wait_for_load_state("load")
    found[name] = axe_violations(page, axe_source)
    if page.viewport_size["width"] <= 375 and has_horizontal_scroll(page):
        found[name].append("scrolls sideways at 375 px")
    screenshot(page, name)


def test_a_district_sends_a_notice_and_a_branch_opens_its_file(
    browser, live_server, axe_source, cast
):
    district = cast.user("district_staff")
    district.large_mode = True
    district.save(update_fields=["large_mode"])
    found: dict[str, list[str]] = {}

    phone = browser.new_context(
        bypass_csp=True, locale="zh-CN", viewport={"width": 375, "height": 800}
    )
    page = phone.new_page()
    problems = PageProblems(page)
    log_in(page, live_server.url, "district_staff")
    assert page.locator(".navbar-toggler").is_visible()
    open_menu(page)  # the phone's collapsed menu
    page.click("#notice-nav")
    page.click("text=写通知")
    visit(page, problems, axe_source, "notice-compose-375-large", found)
    page.fill("input[name=title]", "关于学习主题党日材料的通知")
    page.check("input[name=kind][value=study]")
    page.fill("textarea[name=body]", "请各支部组织学习。\n\n## 要求\n- 学习后确认收到")
    page.click("button[name=preview]")
    assert page.inner_text("#notice-preview h2") == "要求"
    page.check(f"input[name=audience][value='{cast.street_a.pk}']")
    deadline = timezone.localdate() + datetime.timedelta(days=3)
    page.fill("input[name=deadline]", deadline.isoformat())
    page.set_input_files(
        "input[name=files]",
        files=[{"name": "学习材料.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.click("button[name=send]")
    visit(page, problems, axe_source, "notice-send-375-large", found)
    assert "将发送给 2 个支部。" in page.inner_text("#send-count")
    page.click("text=确认发送")
    visit(page, problems, axe_source, "notice-sent-375-large", found)
    assert "已发送给 2 个支部。" in page.inner_text(".messages")
    notice = Notice.objects.get()
    assert (notice.deadline, notice.recipient_count) == (deadline, 2)
    assert problems.errors == []
    phone.close()

    desk = browser.new_context(
        bypass_csp=True,
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    page = desk.new_page()
    problems = PageProblems(page)
    log_in(page, live_server.url, "branch_secretary")
    page.wait_for_selector("#notice-unread")
    assert page.inner_text("#notice-unread") == "1 条未读"
    page.click("#notice-nav")
    visit(page, problems, axe_source, "notice-received-1280", found)
    row = page.locator("#received-list li", has_text="关于学习主题党日材料的通知")
    assert "未读" in row.inner_text()
    page.goto(f"{live_server.url}/notices/{notice.pk}/")
    NoticeReceipt.objects.filter(branch=cast.branch_a).update(opened_at=None, opened_by=None)
    with page.expect_download() as download:
        page.click("#notice-files a")
    assert download.value.suggested_filename == "学习材料.pdf"
    receipt = NoticeReceipt.objects.get(branch=cast.branch_a)
    assert receipt.opened_by == cast.user("branch_secretary"), "downloading opens it"
    visit(page, problems, axe_source, "notice-detail-1280", found)
    assert problems.errors == []
    desk.close()
    assert {name: v for name, v in found.items() if v} == {}
