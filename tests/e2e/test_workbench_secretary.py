"""The secretaries' workbench in Chromium: the same numbers at 1280 px and on a 375 px
phone in 大字版, big targets, no sideways scrolling, no axe violations, and a count that
leads to a page showing the same count."""

import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from ..conftest import build_cast
from ..workbench.secretary_world import TODAY, build_year
from .test_secretary_journey import (
    LARGE_TARGET,
    STANDARD_TARGET,
    Journey,
    has_horizontal_scroll,
    log_in,
    small_targets,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]

# The glance at the top, as tests/workbench/secretary_world.build_year counts it.
EXPECTED = {
    "due": "4 项，其中紧急 1 项",
    "make-ups": "2 人次",
    "care": "逾期 1 人 · 本周到期 1 人",
    "registrations": "1",
    "notices": "2 条，未读 1 条",
    # rollout.completeness on the same world (tests/workbench/test_secretary.py checks this
    # line against the list it opens).
    "completeness": "待补全 15 项 · 完整率 0.0%",
}
# Rows whose text is squeezed into a narrow column beside its tag or buttons (one or two
# characters a line on a phone).
SQUEEZED_JS = """() => [...document.querySelectorAll('main .big-link, main .big-row')]
    .map(row => {
        const first = [...row.childNodes].find(node => node.textContent.trim());
        const range = document.createRange();
        range.selectNodeContents(first);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        const width = range.getBoundingClientRect().width;
        return [first.textContent.trim().slice(0, 20), width, lines.size];
    })
    .filter(([text, width, lines]) => lines > 2 && width < 120)"""
GLANCE_JS = """() => Object.fromEntries([...document.querySelectorAll('[id^="wb-count-"]')]
    .map(a => [a.id.slice(9), a.querySelector('.tag').innerText.trim()]))"""


@pytest.fixture
def cast(transactional_db, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    # An earlier transactional test's flush empties every table, the default cadence
    # rules of migration 0002 included: the numbers below count against them.
    seed_rules = import_module("activities.migrations.0002_seed_cadence_rules_from_domain").seed
    seed_rules(django_apps, None)
    cast = build_cast()
    build_year(cast)
    return cast


def _numbers(page) -> list[str]:
    """Every number of the panel, in page order."""
    return re.findall(
        r"\d+", page.locator("#wb-secretary").evaluate("s => s.parentElement.innerText")
    )


def test_the_workbench_shows_the_same_numbers_wide_and_on_a_phone_in_large_text(
    browser, live_server, axe_source, cast
):
    wide = Journey(browser, live_server, axe_source, viewport={"width": 1280, "height": 900})
    log_in(wide.page, wide.base, "community_secretary")
    wide.check("workbench-secretary-1280")
    assert wide.page.evaluate(GLANCE_JS) == EXPECTED
    assert small_targets(wide.page, STANDARD_TARGET) == []
    wide_numbers = _numbers(wide.page)

    phone = Journey(
        browser, live_server, axe_source, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    page = phone.page
    log_in(page, phone.base, "community_secretary")
    page.locator("form[action$='/large-mode/'] button").click()
    page.wait_for_load_state("load")
    assert "large-mode" in page.locator("body").get_attribute("class").split()
    phone.check("workbench-secretary-375-large")
    assert page.evaluate(GLANCE_JS) == EXPECTED
    assert _numbers(page) == wide_numbers
    assert not has_horizontal_scroll(page)
    assert page.evaluate(SQUEEZED_JS) == []
    assert small_targets(page, LARGE_TARGET) == []

    # One tap from the count to the work: the branch's make-up list, with the same count.
    page.locator("section[aria-labelledby=wb-make-ups] a.big-link").first.click()
    page.wait_for_load_state("load")
    assert "/make-ups/" in page.url
    assert "尚未补学的共 2 人次" in page.locator("main").inner_text()

    assert wide.violations() == {} and phone.violations() == {}
    assert wide.problems.errors == [] and phone.problems.errors == []
