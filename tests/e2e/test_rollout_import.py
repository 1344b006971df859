"""The structure import in the browser (issue 22), on a 375 px phone in 大字版 and at
1280 px, as the two roles that reach it (district staff over their district, the city
administrator over the city): a file with mistakes is checked and every mistake shown at
its row and column with nothing written; a right file is checked, previewed (to add, to
change), confirmed and written. Without a broker, as in the demo: the job's page runs
the job."""

import pytest

from branches.models import Organization
from rollout.jobs.models import ImportJob, JobState

from ..conftest import build_cast
from ..factories import PASSWORD
from ..rollout.conftest import xlsx
from .conftest import PageProblems, axe_violations, no_sideways_scroll, screenshot
from .test_funds import SIZES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium"),
    pytest.mark.django_db(transaction=True),
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MISTAKES = [
    ("代码", "名称", "地址", "上级代码"),
    ("319901003", "光明街道", "光明路1号", "319901"),
    ("319901004001", "错位社区", "", "319901003"),
    ("3199010", "坏代码", "", ""),
]
GOOD = [
    ("代码", "名称", "地址", "上级代码"),
    ("319901003", "光明街道", "光明路1号", "319901"),
    ("319901003001", "光明社区", "光明路8号", "319901003"),
    ("319901001001", "翠园新村社区", "", "319901001"),
]


@pytest.fixture
def cast(transactional_db, settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: the demo's way
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_cast()


def upload(page, base, rows, name, *, area):
    page.goto(f"{base}/rollout/imports/")
    page.get_by_label("组织架构（区、街道、社区）").check()
    page.get_by_label("范围", exact=True).select_option(label=area)
    page.set_input_files(
        "input[type=file]", files=[{"name": name, "mimeType": XLSX, "buffer": xlsx(rows)}]
    )
    assert page.get_by_label("先检查，列出将要发生的变化；我确认后才写入").is_checked()
    page.get_by_role("button", name="上传并检查").click()


@pytest.mark.parametrize(
    ("role", "size"),
    [
        ("district_staff", "375-large"),
        ("district_staff", "1280"),
        ("city_admin", "375-large"),
        ("city_admin", "1280"),
    ],
)
def test_a_structure_file_is_checked_previewed_confirmed_and_written(
    browser, live_server, cast, axe_source, role, size
):
    user = cast.user(role)
    area = "区 · 东城区" if role == "district_staff" else "市 · 滨海市"
    if size == "375-large":
        user.large_mode = True
        user.save(update_fields=["large_mode"])
    context = browser.new_context(bypass_csp=True, accept_downloads=True, **SIZES[size])
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems = PageProblems(page)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")
    shot = f"rollout-{role}-{size}"

    page.goto(f"{base}/rollout/imports/")
    assert page.locator("h1").inner_text() == "表格导入"
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    screenshot(page, f"{shot}-1-form")

    # A file with mistakes: each named at its row, nothing written.
    upload(page, base, MISTAKES, "有错误.xlsx", area=area)
    page.wait_for_selector("#import-errors")
    errors = page.locator("#import-errors").inner_text()
    assert "第 3 行" in errors and "第 4 行" in errors and "“代码”列" in errors, errors
    assert "发现错误" in page.locator("#import-state").inner_text()
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    screenshot(page, f"{shot}-2-errors")
    assert not Organization.objects.filter(code="319901003").exists()

    # A right file: the preview, then confirm and write.
    upload(page, base, GOOD, "东城区组织架构.xlsx", area=area)
    page.wait_for_selector("#import-confirm")
    counts = page.locator("#import-counts").inner_text()
    assert "新增\n2" in counts.replace("\t", "\n") or "新增 2" in counts, counts
    assert "翠园新村社区" in page.locator("main").inner_text()
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    screenshot(page, f"{shot}-3-preview")
    page.click("#import-confirm")
    page.wait_for_selector("text=已写入：新增 2 条，修改 1 条")
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    screenshot(page, f"{shot}-4-done")
    assert Organization.objects.get(code="319901003001").path == (
        "3199/319901/319901003/319901003001/"
    )
    assert ImportJob.objects.filter(state=JobState.DONE).count() == 1
    context.close()
    assert problems.errors == []
