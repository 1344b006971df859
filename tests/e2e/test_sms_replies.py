"""Meeting notices by SMS, end to end: a meeting planned for tomorrow; the sweep sends one
SMS per member with a phone through the fake Tencent server (its SDK, signed); the fake
calls back over HTTP with the receipts (one phone switched off) and two replies, "1" and
"2 住院复查"; the secretary, on a phone at 375 px in 大字版, sees who will come, who cannot
and why, and who did not answer; once the meeting is recorded, one tap makes the decline
请假 with its reason. The district staff (read-only) see the same list at 1280 px,
without the button. Screenshots: E2E_SCREENSHOTS=/tmp/h8-shots."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.meetings.models import Attendance, AttendanceStatus, MeetingKind
from activities.meetings.services import planning, recording
from activities.messaging import sender as reminder_sender
from activities.messaging import sweep
from activities.messaging.models import ReceiptState, ReminderDelivery

from ..activities.messaging.fake_providers import FakeTencent, post_json
from ..activities.messaging.test_sms_providers import PHONE_A, PHONE_B, TOKEN, configure
from ..conftest import build_cast
from .conftest import PageProblems, axe_violations, expect, screenshot
from .test_print_pages_a11y import PHONE, STICKING_OUT
from .test_workbench import DESKTOP, open_as

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cast(transactional_db):
    from django.core.cache import cache

    cache.clear()
    cast = build_cast()
    cast.member_a.phone = PHONE_A
    cast.member_a.save()
    return cast


@pytest.fixture
def fake(settings):
    fake = FakeTencent().start()
    configure(settings, fake)
    yield fake
    fake.stop()


def test_members_answer_the_notice_and_the_secretary_makes_the_decline_excused_in_one_tap(
    browser, live_server, axe_source, cast, fake
):
    meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": "学习党的二十届四中全会精神",
            "planned_on": timezone.localdate() + timezone.timedelta(days=1),
        },
        client_key=uuid.uuid4(),
        actor=None,
    )
    sweep.sweep()
    assert reminder_sender.send_due().sent == 2
    assert len(fake.sent) == 2 and set(fake.per_key().values()) == {1}

    # The provider calls back over HTTP: receipts, then the two replies.
    def url(what):
        name = f"reminders:sms_{what}"
        return live_server.url + reverse(name, kwargs={"provider": "tencent", "token": TOKEN})

    status, answer = post_json(url("status"), fake.receipts(failed=set()))
    assert (status, answer) == (200, {"result": 0, "errmsg": "OK"})
    assert post_json(url("reply"), fake.reply(PHONE_A, "1"))[0] == 200
    assert post_json(url("reply"), fake.reply(PHONE_B, "2 住院复查"))[0] == 200
    assert set(ReminderDelivery.objects.values_list("receipt", flat=True)) == {
        ReceiptState.DELIVERED
    }

    # The secretary on a phone, 大字版.
    context, page = open_as(
        browser, live_server, cast.user("branch_secretary"), "branch_secretary", PHONE
    )
    problems = PageProblems(page)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    page.get_by_role("button", name="大字版").first.click()
    page.wait_for_load_state("load")
    assert page.evaluate("() => document.body.classList.contains('large-mode')")
    section = page.locator("#meeting-notices")
    section.wait_for()
    counts = page.locator("#notice-counts").inner_text()
    assert "会参加 1" in counts and "不能参加 1" in counts and "未回复 0" in counts
    assert "已送达手机 2" in counts
    assert "住院复查" in section.inner_text()
    assert page.locator("#excuse-declines").count() == 0  # not recorded yet
    assert page.evaluate(STICKING_OUT) == []
    screenshot(page, "sms-replies-secretary-375-large")

    # The meeting is held (recorded with everyone present), then one tap.
    recording.meeting_record(
        meeting=meeting,
        details={"held_on": timezone.localdate()},
        marks={},
        record_key=uuid.uuid4(),
        actor=cast.user("branch_secretary"),
    )
    page.reload()
    button = page.locator("#excuse-declines")
    button.wait_for()
    button.tap()
    # Back on the same URL: wait for the message, not for the URL.
    expect(page.locator(".alert").first).to_contain_text("记为请假")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    excused = Attendance.objects.get(meeting=meeting, status=AttendanceStatus.EXCUSED)
    assert excused.reason == "住院复查"
    assert "住院复查" in page.locator("section[aria-labelledby=att-title] table").inner_text()
    page.locator("#meeting-notices").wait_for()
    assert page.locator("#excuse-declines").count() == 0  # nothing left to excuse
    assert axe_violations(page, axe_source) == []
    screenshot(page, "sms-replies-after-tap-375-large")
    assert problems.errors == []
    context.close()

    # The district staff read the same list at 1280 px, without the button.
    context, page = open_as(
        browser, live_server, cast.user("district_staff"), "district_staff", DESKTOP
    )
    problems = PageProblems(page)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/text-replies/")
    assert "住院复查" in page.locator("#meeting-notices").inner_text()
    assert page.locator("#excuse-declines").count() == 0
    assert axe_violations(page, axe_source) == []
    screenshot(page, "sms-replies-district-1280")
    context.close()
    context, page = open_as(
        browser, live_server, cast.user("branch_secretary"), "branch_secretary", DESKTOP
    )
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    page.locator("#meeting-notices").wait_for()
    screenshot(page, "sms-replies-secretary-1280")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/text-replies/excuse/")
    screenshot(page, "sms-declines-page-1280")
    assert problems.errors == []
    context.close()
