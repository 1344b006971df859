"""The workbenches of the district staff, the unit liaison and the auditor in Chromium, on
a phone at 375 px with 大字版 and at 1280 px: the same numbers at both sizes, nothing
sticking out sideways, no serious or critical axe-core violation, no console error.

E2E_SCREENSHOTS=docs/screenshots keeps the pictures the README shows
(workbench-district-375.png, workbench-district-1280.png, workbench-liaison-1280.png,
workbench-auditor-1280.png)."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.tasks import verify_audit_chain
from activities.messaging.models import Reminder, ReminderKind, ReminderState
from members.models import Member
from notices import services as notice_services
from notices.models import Notice
from tests.e2e.conftest import PageProblems, axe_source, axe_violations, browser, screenshot
from tests.e2e.test_print_pages_a11y import PHONE, STICKING_OUT
from tests.otp import login_as
from tests.reports.conftest import TODAY, build_world

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]
__all__ = ["axe_source", "browser"]  # fixtures used below

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# What a workbench counts: the key figures, the facts lists and the tags of its lists.
NUMBERS = """() => [...document.querySelectorAll(
    'main .stat-value, main .facts dd, main .tag, main table td')].map(e => e.textContent.trim())"""


@pytest.fixture
def world(transactional_db, monkeypatch):
    from tests.conftest import build_cast

    real = timezone.localdate
    monkeypatch.setattr(
        "django.utils.timezone.localdate",
        lambda value=None, timezone=None: TODAY if value is None else real(value, timezone),
    )
    world = build_world(build_cast())
    cast = world.cast
    # unit_a's retirees: A1 A2 A3 registered, A4 only reported, B3 never.
    Member.objects.filter(name__in=["甲一", "甲二", "甲三", "甲四", "乙三"]).update(
        original_unit=cast.unit_a
    )
    staff = cast.user("district_staff")
    notice = Notice.objects.create(
        organization=cast.district_a,
        author=staff,
        title="关于学习贯彻全会精神的通知",
        deadline=TODAY - datetime.timedelta(days=3),
    )
    notice.audience.set([cast.district_a])
    notice_services.send(notice=notice, actor=staff)
    notice.receipts.filter(branch=cast.branch_a).update(confirmed_at=timezone.now())
    Reminder.objects.create(
        kind=ReminderKind.DIGEST,
        subject="digest:1",
        recipient=cast.user("community_secretary"),
        period="2026-05-19",
        area_path=cast.community_a.path,
        title="每日提醒",
        state=ReminderState.FAILED,
        last_error="邮件服务器拒收",
    )
    verify_audit_chain()
    return world


def open_as(browser, live_server, user, key, options):
    """A browser page signed in as `user` (the admin roles with their second factor),
    through a session made by the test client."""
    client = Client()
    login_as(client, user, key=key)
    context = browser.new_context(bypass_csp=True, locale="zh-CN", **options)
    context.set_default_timeout(30_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    return context, page


def look(page, axe_source, name):
    page.wait_for_load_state("load")
    screenshot(page, name)
    return {
        "axe": axe_violations(page, axe_source),
        "sticking out sideways": page.evaluate(STICKING_OUT),
    }


@pytest.mark.parametrize("key", ["district_staff", "unit_liaison", "auditor"])
def test_the_workbench_shows_the_same_numbers_on_a_phone_in_large_text_and_on_a_desktop(
    world, live_server, browser, axe_source, key
):
    user = world.cast.user(key)
    short = {"district_staff": "district", "unit_liaison": "liaison"}.get(key, key)
    numbers = {}
    for size, options in (("1280", DESKTOP), ("375", PHONE)):
        context, page = open_as(browser, live_server, user, key, options)
        problems = PageProblems(page)
        page.goto(live_server.url + "/")
        if size == "375":
            page.get_by_role("button", name="大字版").first.click()
            page.wait_for_load_state("load")
            assert page.evaluate("() => document.body.classList.contains('large-mode')")
        assert look(page, axe_source, f"workbench-{short}-{size}") == {
            "axe": [],
            "sticking out sideways": [],
        }
        numbers[size] = page.evaluate(NUMBERS)
        assert problems.errors == []
        context.close()
    assert numbers["375"] == numbers["1280"] and numbers["1280"]
    if key == "district_staff":
        assert "71.4%" in numbers["1280"] and "2 个支部未确认" in numbers["1280"]
    if key == "unit_liaison":
        # The liaison panel's facts follow the unit's tag (the units panel comes first).
        at = numbers["1280"].index("查看离退休干部名单")
        assert numbers["1280"][at + 1 : at + 5] == ["5", "3", "1", "1"]
