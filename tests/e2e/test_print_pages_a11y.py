"""The printable sheets, the branch dashboard and the care coverage page in Chromium, on a
phone at 375 px with 大字版 and at 200 % zoom (1280 px at 200 % = 640 CSS px): no serious
or critical axe-core violation (a table that scrolls sideways must be reachable by
keyboard and named: `scrollable-region-focusable`), no sideways scroll of the page itself,
and the sign-in sheet's labels keep their words whole ("主持人", not "主持/人")."""

import pytest

from activities.meetings.models import Meeting
from tests.e2e.conftest import (
    PageProblems,
    axe_source,
    axe_violations,
    browser,
    log_in,
    screenshot,
)
from tests.reports.conftest import TODAY, build_world

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]
__all__ = ["axe_source", "browser"]  # fixtures used below

PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
ZOOM_200 = {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}

# Labels the sign-in sheet prints beside or above what is filled in: each on one line.
SPLIT_LABELS = """() => [...document.querySelectorAll(
    '.sheet-facts dt, .sheet-foot span, .sheet-table th')]
    .filter(e => {
        const range = document.createRange();
        range.selectNodeContents(e);
        const tops = [...range.getClientRects()].map(r => Math.round(r.top));
        return new Set(tops).size > 1;
    })
    .map(e => e.textContent.trim())"""
# What sticks out past the right edge of the page (outside any scrolling region).
STICKING_OUT = """() => document.documentElement.scrollWidth <= document.documentElement.clientWidth
    ? [] : [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .filter(e => !e.parentElement.closest('[role=region]'))
        .map(e => `${e.tagName}.${e.className}`).slice(0, 5)"""


@pytest.fixture
def world(transactional_db, monkeypatch):
    from tests.conftest import build_cast

    monkeypatch.setattr("reports.views._today", lambda: TODAY)
    return build_world(build_cast())


def pages_of(world) -> dict[str, str]:
    cast = world.cast
    branch = cast.branch_a.pk
    meeting = Meeting.objects.filter(branch=cast.branch_a).order_by("held_on").first()
    return {
        "sign-in-sheet": f"/meetings/{meeting.pk}/sign-in-sheet/",
        "ledger": f"/branches/{branch}/ledger/?year=2026",
        "attendance-report": f"/branches/{branch}/attendance-report/?year=2026&quarter=1",
        "branch-dashboard": f"/reports/branch/{branch}/?period=quarter&year=2026&quarter=1",
        "care-coverage": f"/care/org/{cast.district_a.pk}/",
    }


@pytest.mark.parametrize(("size", "options"), [("375-large", PHONE), ("640-zoom", ZOOM_200)])
def test_sheets_and_dashboards_pass_axe_on_a_phone_and_at_200_percent_zoom(
    world, live_server, browser, axe_source, size, options
):
    context = browser.new_context(bypass_csp=True, locale="zh-CN", **options)
    context.set_default_timeout(30_000)
    page = context.new_page()
    problems = PageProblems(page)
    log_in(page, live_server.url, "district_staff")
    if size == "375-large":
        page.get_by_role("button", name="大字版").first.click()
        page.wait_for_load_state("load")
        assert page.evaluate("() => document.body.classList.contains('large-mode')")
    found = {}
    for name, url in pages_of(world).items():
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        screenshot(page, f"print-a11y-{name}-{size}")
        found[name] = {
            "axe": axe_violations(page, axe_source),
            "sticking out sideways": page.evaluate(STICKING_OUT),
        }
        if name == "sign-in-sheet":
            found[name]["labels split"] = page.evaluate(SPLIT_LABELS)
    clean = {"axe": [], "sticking out sideways": []}
    assert found == {
        name: {**clean, **({"labels split": []} if name == "sign-in-sheet" else {})}
        for name in found
    }
    assert problems.errors == []
    context.close()
