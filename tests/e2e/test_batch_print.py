"""Batch printing in the browser (issue 21), on a 375 px phone in 大字版 and at 1280 px:
street A's staff start next week's sign-in sheets for every branch of the street, watch
the progress (n of N branches, the branch being printed), and download one PDF whose
outline has one entry per branch (pypdf) and whose pages name the right branches and
members (pdftotext). Without a broker, as in the demo: the job's page runs the job."""

import datetime
import threading

import pytest
from django.utils import timezone
from pypdf import PdfReader

from reports.prints.models import PrintJob, PrintState
from reports.prints.registry import KINDS, Kind, get_kind

from ..conftest import build_cast
from ..reports.prints.conftest import pdf_text, planned
from .conftest import PageProblems, axe_violations, log_in, no_sideways_scroll, screenshot
from .test_funds import SIZES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cast(transactional_db, settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: the demo's way
    settings.PRINT_JOB_DIR = str(tmp_path / "var")
    cast = build_cast()
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    planned(cast.branch_a, monday, topic="学习党章第一章")
    planned(cast.branch_a, monday + datetime.timedelta(days=2), topic="主题党日活动")
    planned(cast.functional_a, monday + datetime.timedelta(days=1), topic="志愿服务交流")
    planned(cast.branch_a2, monday, topic="另一街道的会议")  # street A2: not printed
    return cast


@pytest.fixture
def held_render(monkeypatch):
    """The branches wait until the test has looked at the job half done (set the event).

    A fixed pause per branch let a slow machine's progress check land after the job
    had finished; the live server renders in its own thread, so an event holds it."""
    release = threading.Event()
    real = get_kind("sign_in")

    def render(job, branch):
        release.wait(timeout=60)
        return real.render(job, branch)

    monkeypatch.setitem(
        KINDS,
        "sign_in",
        Kind("sign_in", real.label, render, real.branches, real.period, real.describe),
    )
    yield release
    release.set()  # a failed test does not leave the server's thread waiting


def street_staff_page(browser, live_server, cast, size, **options):
    """Street A's staff logged in at `size` (大字版 on the phone): (context, page, problems)."""
    if size == "375-large":
        user = cast.user("street_staff")
        user.large_mode = True
        user.save(update_fields=["large_mode"])
    context = browser.new_context(**SIZES[size], **options)
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems = PageProblems(page)
    log_in(page, live_server.url, "street_staff")
    return context, page, problems


@pytest.mark.parametrize("size", sorted(SIZES))
def test_street_staff_print_next_weeks_sign_in_sheets_for_the_street(
    browser, live_server, cast, axe_source, size, held_render
):
    context, page, problems = street_staff_page(
        browser, live_server, cast, size, bypass_csp=True, accept_downloads=True
    )
    base = live_server.url

    page.goto(f"{base}/reports/prints/")
    assert page.locator("h1").inner_text() == "批量打印"
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    screenshot(page, f"prints-{size}-form")
    page.get_by_label("一段时间内计划召开会议的签到表").check()
    page.get_by_label("范围").select_option(value=str(cast.street_a.pk))
    page.get_by_label("一个 PDF 文件：带封面，每个支部一个书签").check()
    page.get_by_role("button", name="开始打印").click()

    # The job's page: progress while it prints, then the download.
    page.wait_for_selector("#print-current")
    progress = page.locator("#print-progress").inner_text()
    assert "/ 2 个支部" in progress, progress
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    screenshot(page, f"prints-{size}-progress")
    held_render.set()
    page.wait_for_selector("#print-download", timeout=60_000)
    assert "可以下载" in page.locator("#print-status").inner_text()
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    screenshot(page, f"prints-{size}-done")
    with page.expect_download() as caught:
        page.click("#print-download")
    download = caught.value
    assert download.suggested_filename.endswith(".pdf")
    path = download.path()

    names = [cast.functional_a.name, cast.branch_a.name]  # the tree's order
    reader = PdfReader(path)
    assert [item.title for item in reader.outline] == names
    for item, name in zip(reader.outline, names, strict=True):
        first = reader.get_destination_page_number(item) + 1
        assert name in pdf_text(path, first, first)
    cover = pdf_text(path, 1, 1)
    assert "和平街道" in cover and all(name in cover for name in names)
    text = pdf_text(path)
    for words in ("学习党章第一章", "主题党日活动", "志愿服务交流", "赵德明", "钱秀英"):
        assert text.count(words) >= 1, words
    assert text.count("学习党章第一章") == 1  # no branch printed twice
    assert "另一街道的会议" not in text and cast.branch_a2.name not in text
    job = PrintJob.objects.get()
    assert (job.state, job.done, job.total) == (PrintState.DONE, 2, 2)

    # My recent jobs list it.
    page.goto(f"{base}/reports/prints/")
    assert "和平街道" in page.locator("main .big-list").inner_text()
    context.close()
    assert problems.errors == []


# The period fields each kind reads (registry.PERIODS), by their form names.
PERIOD_FIELDS = {
    "range": {"date_from", "date_to"},
    "period": {"year", "quarter"},
    "year": {"year"},
    "": set(),
}


def test_the_form_shows_only_the_period_fields_of_the_chosen_kind(browser, live_server, cast):
    context, page, problems = street_staff_page(browser, live_server, cast, "375-large")
    page.goto(f"{live_server.url}/reports/prints/")
    assert {kind.period for kind in KINDS.values()} == set(PERIOD_FIELDS)
    fields = {"date_from", "date_to", "year", "quarter"}
    for key, kind in KINDS.items():
        page.locator(f"input[name=kind][value={key}]").check()
        shown = {name for name in fields if page.locator(f"[name={name}]").is_visible()}
        assert shown == PERIOD_FIELDS[kind.period], key
        notes = page.locator(".print-form fieldset p.note:visible")
        assert notes.count() == 1, key  # the chosen kind's note alone
        assert no_sideways_scroll(page)
    # The ledger's year, chosen after the sheet's dates, still reaches the job.
    page.locator("input[name=kind][value=ledger]").check()
    page.get_by_role("button", name="开始打印").click()
    page.wait_for_selector("#print-status")
    job = PrintJob.objects.get()
    assert (job.kind, job.params) == ("ledger", {"year": timezone.localdate().year})
    context.close()
    assert problems.errors == []
