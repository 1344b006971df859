"""Self check-in (扫码签到) in Chromium at 375 px: the secretary shows the meeting's QR
code; a member's phone (a second browser context, not logged in) opens the URL decoded
from the QR image itself (zxing-cpp on a screenshot, never the HTML), fails with wrong
digits, checks in with the right ones, and the secretary's recording screen shows the
member as present by itself (htmx polling), then saves without losing the check-in."""

import datetime
import io
import uuid

import pytest
from django.utils import timezone

from activities.meetings.models import Attendance, AttendanceStatus, MeetingKind, MeetingStatus
from activities.meetings.services import checkins, planning

from ..conftest import build_cast
from .conftest import PageProblems, axe_violations, no_sideways_scroll, screenshot
from .test_meeting_recording import PHONE, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


@pytest.fixture
def cast(transactional_db):
    from django.core.cache import cache

    cache.clear()  # the abuse counters of earlier tests
    return build_cast()


@pytest.fixture
def meeting(cast):
    # Begun a minute ago: its code is good for SELF_CHECKIN_HOURS from then. Without a
    # start time it would close at midnight (Asia/Shanghai), mid-test for a run at 16:00 UTC.
    begun = timezone.localtime() - datetime.timedelta(minutes=1)
    meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": "学习党的二十届四中全会精神",
            "planned_on": begun.date(),
            "start_time": begun.time().replace(second=0, microsecond=0),
        },
        client_key=uuid.uuid4(),
        actor=None,
    )
    return meeting


def decode_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"{len(found)} codes in the picture"
    return found[0].text


def test_a_member_checks_in_from_the_qr_code_and_the_secretary_sees_it_live(
    browser, live_server, cast, meeting
):
    base = live_server.url
    secretary = browser.new_context(**PHONE)
    secretary.set_default_timeout(15_000)
    page = secretary.new_page()
    problems = PageProblems(page)
    log_in(page, base, "branch_secretary")

    page.goto(f"{base}/meetings/{meeting.pk}/")
    page.get_by_role("link", name="签到二维码").tap()
    page.wait_for_url("**/check-in/")
    assert no_sideways_scroll(page)
    qr = page.locator("#checkin-qr svg")
    assert qr.bounding_box()["width"] >= 300  # big enough to scan from a seat
    url = decode_qr(qr.screenshot())
    assert url.startswith(f"{base}/checkin/")
    screenshot(page, "checkin-qr-375")

    # The secretary moves on to the recording screen; nobody has checked in yet.
    page.get_by_role("link", name="登记出席", exact=True).first.tap()
    page.wait_for_url("**/record/")
    live = page.locator("#checkin-live")
    assert "还没有人扫码签到" in live.inner_text()

    # A member's phone: another browser, no log-in, the URL from the picture.
    phone = browser.new_context(**PHONE)
    phone.set_default_timeout(15_000)
    member = phone.new_page()
    member_problems = PageProblems(member)
    member.goto(url)
    assert no_sideways_scroll(member)
    assert "赵德明" not in member.content()  # names are masked on the public page
    screenshot(member, "checkin-pick-375")
    member.get_by_role("link", name="赵*明").tap()
    member.wait_for_url("**?who=*")
    digits = member.get_by_label("手机号后四位")
    digits.fill("0000")
    with member.expect_navigation():
        member.get_by_role("button", name="签到").tap()
    assert "手机号后四位不对。还可以再试 4 次。" in member.locator("main").inner_text()
    screenshot(member, "checkin-wrong-digits-375")
    assert not Attendance.objects.filter(meeting=meeting).exists()

    member.get_by_label("手机号后四位").fill("5678")
    with member.expect_navigation(url="**?who=*"):
        member.get_by_role("button", name="签到").tap()
    done = member.locator(".checkin-done")
    done.wait_for()
    line = Attendance.objects.get(meeting=meeting, member=cast.member_a)
    time = timezone.localtime(line.checked_in_at).strftime("%H:%M")
    assert f"已于 {time} 签到" in done.inner_text()
    assert "签到成功" in member.locator(".messages").inner_text()
    screenshot(member, "checkin-done-375")

    # The secretary's screen shows it by itself (htmx polls the panel every 5 s).
    live.locator("li", has_text="赵德明").wait_for(timeout=15_000)
    assert "扫码签到" in live.inner_text()
    assert page.locator('#checkin-live [data-count="self"]').inner_text() == "1"
    screenshot(page, "checkin-record-live-375")
    # It keeps polling: a second check-in shows up too (bedridden 钱秀英, whom the
    # secretary's form still has as excused).
    checkins.self_check_in(meeting=meeting, member_id=cast.member_a_bedridden.pk)
    live.locator("li", has_text="钱秀英").wait_for(timeout=15_000)
    assert page.locator('#checkin-live [data-count="self"]').inner_text() == "2"

    # Saving the form loaded before the check-ins keeps both.
    page.get_by_role("button", name="保存出席情况").tap()
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    line.refresh_from_db()
    assert line.status == AttendanceStatus.PRESENT and line.checked_in_at is not None
    assert Attendance.objects.filter(meeting=meeting).count() == 2
    assert Attendance.objects.get(member=cast.member_a_bedridden).status == "present"
    assert f"扫码签到 {time}" in page.locator("main").inner_text()

    phone.close()
    secretary.close()
    assert problems.errors == []
    # The wrong digits were refused with a page (200), not an error status.
    assert member_problems.errors == []


def test_every_new_page_at_375_large_text_and_1280(browser, live_server, cast, meeting, axe_source):
    """A look at each new page (E2E_SCREENSHOTS keeps the pictures): no sideways scroll
    on a phone in 大字版, no serious axe-core findings (bypass_csp: axe is injected as an
    inline script; the first test runs under the real CSP)."""
    from activities.meetings import checkin

    base = live_server.url
    public = f"{base}/checkin/{checkin.token_for(meeting)}/"
    visitor, _ = checkins.visitor_request(meeting=meeting, name="王来宾", note="长江街道支部")
    pages = {
        "qr": f"{base}/meetings/{meeting.pk}/check-in/",
        "live": f"{base}/meetings/{meeting.pk}/check-in/live/",
        "visitor": f"{base}/check-in-visitors/{visitor.pk}/",
        "sheet": f"{base}/meetings/{meeting.pk}/sign-in-sheet/",
    }
    for size, options in (("375-large", PHONE), ("1280", DESKTOP)):
        context = browser.new_context(bypass_csp=True, **options)
        context.set_default_timeout(15_000)
        page = context.new_page()
        problems = PageProblems(page)
        log_in(page, base, "branch_secretary")
        if size == "375-large":
            with page.expect_navigation():
                page.get_by_role("button", name="大字版").tap()
        for name, url in pages.items():
            page.goto(url)
            assert page.locator("h1").count() >= 1
            if size == "375-large":
                assert no_sideways_scroll(page), name
            assert axe_violations(page, axe_source) == [], name
            screenshot(page, f"checkin-{name}-{size}")

        member = context.new_page()  # the same browser: 大字版 carries over
        member.goto(public)
        if size == "375-large":
            assert no_sideways_scroll(member)
        assert axe_violations(member, axe_source) == []
        screenshot(member, f"checkin-public-pick-{size}")
        member.get_by_label("您的姓名（全名）").fill("王来宾")
        with member.expect_navigation():
            member.get_by_role("button", name="下一步").click()
        assert "不在本次会议的名单上" in member.locator("main").inner_text()
        assert axe_violations(member, axe_source) == []
        screenshot(member, f"checkin-public-visitor-{size}")
        member.goto(f"{public}?who={cast.member_a_bedridden.pk}")
        assert axe_violations(member, axe_source) == []
        screenshot(member, f"checkin-public-digits-{size}")
        context.close()
        assert problems.errors == []

    checkins.checkin_close(meeting=meeting, actor=None)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(public)
    assert "本次会议的扫码签到已关闭" in page.locator("main").inner_text()
    screenshot(page, "checkin-public-closed-375")
    context.close()
