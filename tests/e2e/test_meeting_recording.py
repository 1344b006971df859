"""A branch secretary on a 375 px phone records a held party group meeting with two
excused members and opens its sign-in sheet, under the real CSP, counting taps."""

import datetime

import pytest

from activities.meetings.models import Meeting, MeetingStatus
from members.models import Member

from ..conftest import build_cast
from .conftest import PageProblems, axe_violations, log_in, no_sideways_scroll, screenshot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]

PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
MOST_TAPS = 8  # group link, topic, 2 x (请假 + reason), save, 签到表


@pytest.fixture
def cast(transactional_db):
    cast = build_cast()
    names = ["周建国", "吴秀英", "郑德明", "王淑兰", "冯志伟", "陈玉珍", "褚红梅", "卫国强"]
    for i, name in enumerate(names):
        Member.objects.create(
            name=name,
            gender="male" if i % 2 else "female",
            birth_date=datetime.date(1946, 1, 1) + datetime.timedelta(days=200 * i),
            id_number=f"11010119460101{i:04d}",
            community=cast.community_a,
            home_branch=cast.branch_a,
            party_group=cast.group_a,
            full_member_on=datetime.date(1975, 7, 1),
        )
    return cast


class Taps:
    """Every tap goes through here, so the test can say how many the task took."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def tap(self, locator):
        locator.tap()
        self.count += 1

    def fill(self, locator, text):
        locator.tap()  # focusing the field is the tap; typing is not counted
        locator.fill(text)
        self.count += 1


def test_a_secretary_records_a_group_meeting_with_two_excused_and_prints_the_sheet(
    browser, live_server, cast
):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = PageProblems(page)
    base = live_server.url
    log_in(page, base, "branch_secretary")
    page.goto(f"{base}/branches/{cast.branch_a.pk}/meetings/")
    assert no_sideways_scroll(page)

    taps = Taps(page)
    taps.tap(page.get_by_role("link", name=f"登记：{cast.group_a.name}"))
    page.wait_for_url("**/meetings/record/?kind=group*")
    assert no_sideways_scroll(page)
    screenshot(page, "record-group-meeting")
    expected = page.locator(".att-row")
    assert expected.count() == 9  # our eight and the cast's 赵德明
    taps.fill(page.get_by_label("主题"), "学习党的二十届四中全会精神")

    away = {"吴秀英": "住院", "王淑兰": "外出探亲"}
    for name, reason in away.items():
        row = page.locator(".att-row", has=page.locator("legend", has_text=name))
        taps.tap(row.locator("label", has_text="请假"))
        taps.fill(row.get_by_label("原因"), reason)
    # The counts follow the taps (record.js runs under the CSP with its nonce).
    assert page.locator('[data-count="excused"]').inner_text() == "2"
    assert page.locator('[data-count="present"]').inner_text() == "7"
    # A status is written out, never only coloured: the chosen toggle carries a ✓.
    chosen = page.locator(".att-row", has=page.locator("legend", has_text="吴秀英")).locator(
        "input[value=excused] + label"
    )
    assert "✓" in chosen.evaluate("el => getComputedStyle(el, '::before').content")
    screenshot(page, "record-group-meeting-tapped")

    taps.tap(page.get_by_role("button", name="保存出席情况"))
    page.wait_for_url("**/meetings/*/")
    assert "会议及出席情况已保存" in page.locator(".messages").inner_text()

    taps.tap(page.get_by_role("link", name="签到表"))
    page.wait_for_url("**/sign-in-sheet/")
    sheet = page.locator(".sheet").inner_text()
    for name in ["周建国", "吴秀英", "卫国强", "赵德明"]:
        assert name in sheet
    assert cast.group_a.name in sheet
    screenshot(page, "sign-in-sheet")
    context.close()

    assert taps.count <= MOST_TAPS, f"{taps.count} taps"
    meeting = Meeting.objects.get(branch=cast.branch_a)
    assert (meeting.kind, meeting.status, meeting.party_group_id) == (
        "group",
        MeetingStatus.HELD,
        cast.group_a.pk,
    )
    lines = dict(meeting.attendances.values_list("member__name", "reason"))
    assert {k: v for k, v in lines.items() if v} == away
    assert meeting.attendances.filter(status="present").count() == 7
    assert problems.errors == []


def test_the_recording_screen_has_no_serious_accessibility_problem(
    browser, live_server, axe_source, cast
):
    context = browser.new_context(bypass_csp=True, **PHONE)
    page = context.new_page()
    log_in(page, live_server.url, "branch_secretary")
    page.goto(
        f"{live_server.url}/branches/{cast.branch_a.pk}/meetings/record/"
        f"?kind=group&group={cast.group_a.pk}"
    )
    violations = axe_violations(page, axe_source)
    context.close()
    assert violations == []


def test_a_planned_meetings_button_keeps_its_words_on_one_line_in_large_text(
    browser, live_server, cast
):
    # A long title beside a button in a .big-row: without wrapping, the row squeezed the
    # button to one character a line (登/记/出/席) on a 375px phone in large text.
    from django.utils import timezone

    from activities.meetings.models import MeetingKind

    Meeting.objects.create(
        branch=cast.branch_a,
        kind=MeetingKind.THEME_DAY,
        status=MeetingStatus.PLANNED,
        planned_on=timezone.localdate() + datetime.timedelta(days=3),
        topic="学习贯彻党的二十届四中全会精神专题研讨",
    )
    context = browser.new_context(**PHONE)
    page = context.new_page()
    problems = PageProblems(page)
    log_in(page, live_server.url, "branch_secretary")
    page.get_by_role("button", name="大字版").first.click()
    page.wait_for_load_state("load")
    page.goto(f"{live_server.url}/branches/{cast.branch_a.pk}/meetings/")
    screenshot(page, "meeting-list-375-large")
    button = page.locator(".big-row a.btn", has_text="登记出席").first
    lines = button.evaluate(
        """b => { const r = document.createRange(); r.selectNodeContents(b.firstChild);
                  return r.getClientRects().length; }"""
    )
    assert lines == 1
    assert no_sideways_scroll(page)
    assert problems.errors == []
    context.close()
