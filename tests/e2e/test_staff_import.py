"""Staff accounts in bulk in Chromium, on a 375 px phone in 大字版 and at 1280 px: the
system administrator imports 50 accounts through the import job's pages, the security
administrator approves their roles as one batch from the workbench, and one new person
opens the link from the SMS log, chooses a password and lands on their workbench. Every
page: no serious axe-core violation, nothing sticking out sideways.

E2E_SCREENSHOTS=some/folder keeps the pictures (staff-<size>-<page>.png)."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from activities.messaging.channels import LoggingSmsBackend
from branches.models import StaffRole
from rollout.staff.models import GrantBatch

from ..conftest import build_cast
from ..otp import login_as
from ..rollout.conftest import xlsx
from ..rollout.staff.conftest import HEADER, secretaries
from .conftest import PageProblems, axe_violations, expect, open_menu, screenshot
from .test_print_pages_a11y import STICKING_OUT

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
    },
    "1280": {"viewport": {"width": 1280, "height": 900}},
}
PASSWORD = "Branch#Secretary2026"


@pytest.fixture
def cast(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: the job page runs the job
    settings.REMINDER_SITE_URL = ""  # links start with the live server's address
    LoggingSmsBackend.outbox.clear()
    return build_cast()


class Session:
    """One browser context per person; the admins signed in through a test-client session
    with their second factor passed."""

    def __init__(self, browser, base, cast, axe_source, size):
        self.browser, self.base, self.cast = browser, base, cast
        self.axe_source, self.size = axe_source, size
        self.context = None
        self.errors = []

    def open(self, key=None):
        self.close()
        self.context = self.browser.new_context(bypass_csp=True, locale="zh-CN", **SIZES[self.size])
        self.context.set_default_timeout(30_000)
        if key:
            user = self.cast.user(key)
            user.large_mode = self.size == "375-large"
            user.save(update_fields=["large_mode"])
            client = Client()
            login_as(client, user, key=key)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            self.context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.base}]
            )
        page = self.context.new_page()
        self.problems = PageProblems(page)
        return page

    def look(self, page, name, *, large=True):
        page.wait_for_load_state("load")
        if self.size == "375-large" and large:
            assert page.evaluate("() => document.body.classList.contains('large-mode')")
        screenshot(page, f"staff-{self.size}-{name}")
        assert page.evaluate(STICKING_OUT) == [], name
        assert axe_violations(page, self.axe_source) == [], name

    def close(self):
        if self.context:
            self.errors += self.problems.errors
            self.context.close()
            self.context = None


@pytest.mark.parametrize("size", list(SIZES))
def test_fifty_accounts_imported_approved_and_one_activated(
    browser, live_server, cast, axe_source, size, tmp_path
):
    base = live_server.url
    s = Session(browser, base, cast, axe_source, size)
    path = tmp_path / "工作人员账号.xlsx"
    path.write_bytes(xlsx([HEADER, *secretaries(cast, 50)]))

    # The system administrator imports from the workbench: check first, then confirm.
    page = s.open("system_admin")
    page.goto(f"{base}/")
    page.get_by_role("link", name="导入工作人员账号").click()
    page.get_by_label("工作人员账号及角色").check()
    page.locator("select[name=node]").select_option(str(cast.city.pk))
    page.set_input_files("input[type=file]", str(path))
    s.look(page, "upload")
    page.get_by_role("button", name="上传并检查").click()
    page.locator("#import-confirm").wait_for()
    assert (
        page.locator("#import-counts").inner_text().split()
        == ["将新增", "50", "将修改", "0", "保持不变", "0"]
        or "50" in page.locator("#import-counts").inner_text()
    )
    s.look(page, "preview")
    assert not GrantBatch.objects.exists()
    page.locator("#import-confirm").click()
    page.locator("#import-status .alert-success").wait_for()
    batch = GrantBatch.objects.get()
    assert batch.grants.count() == 50
    new = get_user_model().objects.filter(pending_grants__batch=batch)
    assert not new.filter(is_active=True).exists()
    open_menu(page)
    page.get_by_role("link", name="批量开通账号", exact=True).click()
    s.look(page, "batches-system")

    # The security administrator approves them as one batch, from the workbench.
    page = s.open("security_admin")
    page.goto(f"{base}/")
    page.get_by_role("link", name="有 50 个导入的角色等待您审批").click()
    page.get_by_role("link", name=re.compile("50 个角色待审批")).click()
    expect(page.locator("table tbody tr")).to_have_count(50)  # count() would not wait
    s.look(page, "batch-review")
    page.get_by_role("button", name="批准全部 50 个待审批角色").click()
    page.locator(".alert-success").wait_for()
    s.look(page, "batch-approved")
    assert StaffRole.objects.filter(user__in=new).count() == 50
    assert len(LoggingSmsBackend.outbox) == 50

    # One new secretary opens the link from the SMS log, sets a password, lands home.
    person = new.order_by("pk").first()
    [sms] = [m for m in LoggingSmsBackend.outbox if m["phone"] == person.phone]
    link = re.search(r"https?://\S+/activate/[\w-]+/", sms["text"]).group(0)
    assert link.startswith(base)
    page = s.open()
    page.goto(link)
    assert person.username in page.locator("main").inner_text()
    s.look(page, "activate", large=False)
    page.get_by_label("设置密码").fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_role("button", name="设置密码并登录").click()
    page.wait_for_url(f"{base}/")
    assert person.display_name in page.locator(".user-name").inner_text()
    assert cast.branch_a.name in page.locator("main").inner_text()
    s.look(page, "workbench", large=False)
    person.refresh_from_db()
    assert person.is_active and person.check_password(PASSWORD)

    # The link works once.
    page.goto(link)
    assert "此链接已失效" in page.locator("h1").inner_text()
    s.look(page, "link-used", large=False)
    s.close()
    assert [e for e in s.errors if "410" not in e] == []
