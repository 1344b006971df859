"""A carer on a 375 px phone: the community secretary opens "my care visits", records a
送学上门 visit for an overdue bedridden member (choosing the meeting it makes up for),
and the member leaves the overdue lists; the absence is closed. Every page is checked
for sideways scrolling, console errors, failed requests and axe-core violations."""

import datetime
import uuid

import pytest

from activities.care.models import CareVisit
from activities.meetings.models import AttendanceStatus, MakeUp, MeetingKind
from activities.meetings.services import recording
from members.models import Health
from tests.conftest import build_cast
from tests.e2e.conftest import (  # noqa: F401 (fixtures reused from the e2e folder)
    PageProblems,
    axe_source,
    axe_violations,
    browser,
    log_in,
    screenshot,
)
from tests.e2e.test_secretary_journey import has_horizontal_scroll

from .conftest import carer, make_member, make_need

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cast(transactional_db):
    return build_cast()


@pytest.fixture
def overdue_member(cast):
    from django.utils import timezone

    today = timezone.localdate()
    member = make_member(branch=cast.branch_a, name="卧床的周老", health=Health.BEDRIDDEN)
    need = make_need(member, interval=14, started=today - datetime.timedelta(days=200))
    carer(need, user=cast.user("community_secretary"), name="社区张书记", lead=True)
    CareVisit.objects.create(
        member=member,
        visited_on=today - datetime.timedelta(days=25),
        kind="routine",
        visitors="社区张书记",
    )
    meeting = recording.meeting_record_new(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": "学习党的二十届四中全会精神",
            "held_on": today - datetime.timedelta(days=6),
            "party_group": None,
        },
        marks={member.pk: recording.Mark(AttendanceStatus.EXCUSED, "卧床")},
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting
    return member, meeting


def test_a_carer_on_a_phone_records_a_home_study_visit_and_the_member_leaves_the_overdue_list(
    browser,  # noqa: F811
    live_server,
    axe_source,  # noqa: F811
    cast,
    overdue_member,
):
    member, meeting = overdue_member
    context = browser.new_context(
        bypass_csp=True,
        locale="zh-CN",
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = PageProblems(page)
    base = live_server.url
    checked, wide = {}, []

    def check(name):
        page.wait_for_load_state("load")
        if has_horizontal_scroll(page):
            wide.append(page.url)
        checked[name] = axe_violations(page, axe_source)
        screenshot(page, f"care-phone-{name}")

    log_in(page, base, "community_secretary")
    page.goto(f"{base}/care/")
    row = page.locator("#due-list li", has_text=member.name)
    assert row.is_visible()
    assert "逾期" in row.inner_text()
    check("mine")

    row.get_by_role("link", name="记录走访").click()
    page.wait_for_url(f"{base}/care/members/{member.pk}/visits/new/**")
    check("visit-form")
    meeting_field = page.locator("select[name=meeting]")
    assert not meeting_field.is_visible()  # only for 送学上门
    page.get_by_label("送学上门").check()
    assert meeting_field.is_visible()
    meeting_field.select_option(str(meeting.pk))
    page.get_by_label("走访情况").fill("送去全会学习材料，老人认真听讲")
    page.get_by_role("button", name="保存走访记录").click()

    page.wait_for_url(f"{base}/care/")
    assert "已记录对卧床的周老的走访" in page.locator(".messages").inner_text()
    assert page.locator("#due-list li", has_text=member.name).count() == 0
    check("mine-after")

    page.goto(f"{base}/care/branches/{cast.branch_a.pk}/")
    assert page.locator("#overdue-list li", has_text=member.name).count() == 0
    check("branch-care")
    page.goto(f"{base}/care/org/{cast.community_a.pk}/")
    assert page.locator("#overdue-list li", has_text=member.name).count() == 0
    check("coverage")

    context.close()
    made_up = MakeUp.objects.get(attendance__meeting=meeting, attendance__member=member)
    assert made_up.care_visit.visitors  # the visit carries the make-up
    assert wide == []
    assert {name: found for name, found in checked.items() if found} == {}
    assert problems.errors == []


def test_the_care_register_scrolls_in_its_own_box_on_a_phone(
    browser,  # noqa: F811
    live_server,
    cast,
    overdue_member,
):
    # The register's nine columns are ~900px wide: without a scrolling box the whole page
    # scrolled sideways at 375px (and at 1280px in large text).
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    problems = PageProblems(page)
    log_in(page, live_server.url, "community_secretary")
    page.goto(f"{live_server.url}/care/branches/{cast.branch_a.pk}/register/")
    screenshot(page, "care-register-375")
    box = page.locator(".care-register .sheet-scroll")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # the table scrolls there
    assert not has_horizontal_scroll(page)
    assert problems.errors == []
    context.close()
