"""A community secretary imports a 花名册 through the web preview, then finds a member by
name in the roster: in Debian's Chromium, under the portal's real Content-Security-Policy
(the htmx check, progress and confirm steps must work without inline scripts)."""

import datetime
import re

import pytest
from django.utils import timezone

from members.models import ImportRun, Member

from ..conftest import build_cast
from ..members.workbooks import person, workbook
from .conftest import PageProblems, axe_violations, expect, log_in, screenshot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cast(transactional_db):
    return build_cast()


def test_a_secretary_imports_a_roster_and_finds_a_member_by_name(
    browser, live_server, cast, tmp_path
):
    rows = [person(n) for n in range(1, 31)]
    rows[6]["姓 名"] = "欧阳春华"
    path = tmp_path / "翠园社区花名册.xlsx"
    path.write_bytes(workbook(rows))

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems = PageProblems(page)
    base = live_server.url
    log_in(page, base, "community_secretary")

    page.locator("#main-nav a[href='/members/']").click()  # the menu's roster link
    page.get_by_role("link", name="导入花名册").click()
    page.wait_for_url(f"{base}/members/import/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="上传并检查").click()

    # The check starts by itself (htmx) and the preview replaces the progress panel.
    page.get_by_text("所有行均正确：将新增 30 人，更新 0 人，0 人无变化。").wait_for()
    preview = page.locator("#import-result table").first
    assert preview.locator("tbody tr").count() == 20  # the first rows to add
    assert "10\t欧阳春华" in preview.inner_text()  # with their Excel row numbers
    screenshot(page, "import-preview")
    assert not Member.objects.filter(name="欧阳春华").exists()

    page.get_by_role("button", name="确认导入").click()
    page.get_by_role("link", name="打开花名册").wait_for()
    assert "新增 30 人，更新 0 人，0 人无变化。" in page.locator(".alert-success").inner_text()
    assert ImportRun.objects.get().state == "done"
    screenshot(page, "import-done")

    page.get_by_role("link", name="打开花名册").click()
    page.fill("input[name=q]", "欧阳")
    page.locator("form.filter-bar button[type=submit]").click()
    page.wait_for_url("**/members/?*q=*")
    table = page.locator("table.roster-table tbody")
    assert table.locator("tr").count() == 1
    assert "欧阳春华" in table.inner_text()
    assert "139****0007" in table.inner_text()  # masked in the list
    page.get_by_role("link", name="欧阳春华").click()
    expect(page.locator("h1")).to_have_text(re.compile("^欧阳春华"))  # not the roster's h1
    context.close()
    assert problems.errors == []


def test_the_roster_and_import_pages_have_no_serious_accessibility_problem(
    browser, live_server, cast, axe_source
):
    context = browser.new_context(bypass_csp=True, locale="zh-CN")
    page = context.new_page()
    base = live_server.url
    log_in(page, base, "community_secretary")
    found = {}
    for path in (
        "/members/",
        f"/members/{cast.member_a.pk}/",
        "/members/import/",
        "/registrations/",
        f"/branches/{cast.branch_a.pk}/",
    ):
        page.goto(f"{base}{path}")
        found[path] = axe_violations(page, axe_source)
    context.close()
    assert {path: v for path, v in found.items() if v} == {}


def test_a_stranded_import_is_retried_on_a_phone_and_then_imports(
    browser, live_server, cast, tmp_path
):
    """A worker stopped mid-write left the import at 正在写入: past the lease the page
    offers 重试 and 放弃; 重试 checks the file again and the import goes through."""
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(workbook([person(1), person(2)]))
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 800})
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems = PageProblems(page)
    base = live_server.url
    log_in(page, base, "community_secretary")
    page.goto(f"{base}/members/import/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="上传并检查").click()
    page.get_by_text("所有行均正确：将新增 2 人").wait_for()

    run = ImportRun.objects.get()
    stopped = timezone.now() - datetime.timedelta(minutes=5)
    ImportRun.objects.filter(pk=run.pk).update(
        state="writing", claimed_at=stopped, lease_until=stopped + datetime.timedelta(minutes=2)
    )
    page.reload()
    page.get_by_text("写入没有完成。").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "import-stranded-375")
    page.get_by_role("button", name="重试").click()
    page.get_by_text("所有行均正确：将新增 2 人").wait_for()
    page.get_by_role("button", name="确认导入").click()
    page.get_by_role("link", name="打开花名册").wait_for()
    context.close()
    assert ImportRun.objects.get().state == "done"
    assert Member.objects.filter(name__startswith="导入").count() == 2
    assert problems.errors == []
