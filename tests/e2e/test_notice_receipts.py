"""The receipts work in a real browser, at 1280 px and at 375 px in 大字版: a street
forwards the district's notice (with a PDF of its own), a community secretary confirms
from the confirm page, the district sees 1 of 3 confirmed and reminds the rest, and
exactly one reminder reaches each secretary of the open branches.

Every page is checked with axe-core, for console errors and failed requests, for
sideways scrolling at 375 px and for tap targets in 大字版."""

import datetime

import pytest
from django.utils import timezone

from activities.messaging.models import Reminder, ReminderKind
from notices.models import Notice, NoticeReceipt

from ..conftest import build_cast
from ..notices.receipts_helpers import PDF, send_notice
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


@pytest.fixture
def cast(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_cast()


VIEWS = {
    "desktop": ({"viewport": {"width": 1280, "height": 900}}, False),
    "phone-large": (
        {
            "viewport": {"width": 375, "height": 812},
            "device_scale_factor": 2,
            "is_mobile": True,
            "has_touch": True,
        },
        True,
    ),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_forward_confirm_follow_and_remind(browser, live_server, axe_source, cast, view, tmp_path):
    options, large = VIEWS[view]
    for user in cast.users.values():
        user.large_mode = large
        user.save(update_fields=["large_mode"])
    notice = send_notice(
        sender=cast.district_a,
        audience=[cast.street_a, cast.street_a2],
        author=cast.user("district_staff"),
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )
    minimum = LARGE_TARGET if large else STANDARD_TARGET
    wide, small = [], {}

    def visit(journey, name):
        if view == "phone-large" and has_horizontal_scroll(journey.page):
            wide.append(name)
        found = small_targets(journey.page, minimum)
        if found:
            small[name] = found
        journey.check(f"receipts-{view}-{name}")

    def session(username):
        journey = Journey(browser, live_server, axe_source, **options)
        log_in(journey.page, journey.base, username)
        return journey

    # The street forwards it to its area with a note, an earlier deadline and a PDF.
    street = session("street_staff")
    page = street.page
    page.goto(f"{street.base}/notices/{notice.pk}/forward/")
    visit(street, "forward-form")
    page.fill("textarea[name=note]", "请各社区党组织于周五前组织学习并确认。")
    page.fill(
        "input[name=deadline]", (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    )
    pdf = tmp_path / "街道要求.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("input[name=files]", str(pdf))
    page.get_by_role("button", name="转发通知").click()
    page.wait_for_url(f"{street.base}/notices/*/receipts/")
    forwarded = Notice.objects.get(root=notice)
    assert page.url == f"{street.base}/notices/{forwarded.pk}/receipts/"
    assert "已转发，共 2 个支部" in page.content()
    visit(street, "forward-receipts")
    street.context.close()

    # The community secretary confirms from the confirm page (the reminder's link).
    secretary = session("community_secretary")
    page = secretary.page
    page.goto(f"{secretary.base}/notices/{forwarded.pk}/confirm/")
    assert "和平街道的转发说明" in page.content()
    visit(secretary, "confirm")
    page.get_by_role("button", name="确认收到").click()
    page.wait_for_load_state("load")
    assert "已为 1 个支部确认收到" in page.content()
    visit(secretary, "confirmed")
    secretary.context.close()

    # The district: 1 of 3 confirmed; it reminds the rest.
    district = session("district_staff")
    page = district.page
    page.goto(f"{district.base}/notices/{notice.pk}/receipts/")
    counts = page.locator(".count-number").all_inner_texts()
    assert counts[:3] == ["3", "1", "1"]
    visit(district, "receipts")
    page.get_by_role("link", name="和平街道").click()
    page.wait_for_load_state("load")
    visit(district, "receipts-street")
    page.get_by_role("link", name="东城区").click()  # back up the trail: the whole notice
    page.wait_for_load_state("load")
    page.get_by_role("link", name="提醒未确认的 2 个支部").click()
    page.wait_for_load_state("load")
    visit(district, "remind")
    page.get_by_role("button", name="发送提醒").click()
    page.wait_for_load_state("load")
    assert "已提醒 2 个支部的书记" in page.content()
    district.context.close()

    for journey in (street, secretary, district):
        assert journey.violations() == {}
        assert journey.problems.errors == []
    assert wide == []
    assert small == {}
    assert NoticeReceipt.objects.filter(notice=notice, confirmed_at__isnull=False).count() == 1
    # functional_a: the street's staff; branch_a2: nobody holds a role there but the
    # street a2 staff, who answer only street-level branches: no one to remind.
    reminded = sorted(
        Reminder.objects.filter(kind=ReminderKind.NOTICE_UNCONFIRMED).values_list(
            "recipient__username", flat=True
        )
    )
    assert reminded == ["street_staff"]
