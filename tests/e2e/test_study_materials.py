"""Study materials and bulletins in a real browser: a branch secretary on a 375 px phone
in 大字版 adds a study material to a meeting, opens the branch's library and records a
送学上门 with that material; district staff at 1280 px draft a periodic bulletin from
the dashboard and download its PDF. Every page: axe-core, no sideways scrolling, big
enough targets, no console errors."""

import pytest

from ..activities.meetings.test_materials import a_member
from ..conftest import build_cast
from ..notices.study import sent_notice
from ..reports.conftest import build_world
from .conftest import expect
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
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def cast(transactional_db):
    return build_cast()


def held_meeting(cast):
    import datetime
    import uuid

    from activities.meetings.models import AttendanceStatus, MeetingKind
    from activities.meetings.services import recording

    member = a_member(cast)
    return recording.meeting_record_new(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.THEME_DAY,
            "topic": "六月主题党日",
            "held_on": datetime.date(2025, 6, 10),
        },
        marks={member.pk: recording.Mark(AttendanceStatus.EXCUSED, "卧床")},
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting


def test_a_secretary_on_a_phone_uses_a_study_material_at_a_meeting_and_at_home(
    browser, live_server, axe_source, cast
):
    from activities.meetings.models import MakeUp

    material = sent_notice(by=cast.district_a, to=[cast.community_a], title="党章学习读本")
    meeting = held_meeting(cast)
    user = cast.user("branch_secretary")
    user.large_mode = True
    user.save(update_fields=["large_mode"])
    journey = Journey(browser, live_server, axe_source, **PHONE)
    page, base = journey.page, journey.base
    log_in(page, base, "branch_secretary")
    problems = []

    def look(name):
        if has_horizontal_scroll(page):
            problems.append(f"{name}: scrolls sideways")
        problems.extend(f"{name}: {t}" for t in small_targets(page, LARGE_TARGET))
        journey.check(name)

    page.goto(f"{base}/meetings/{meeting.pk}/")
    look("phone-large-meeting")
    page.select_option("select[name=notice]", str(material.pk))
    page.get_by_role("button", name="添加到本次会议").click()
    # The form is on the meeting's page and lands back there: wait for the row itself.
    expect(page.locator("section[aria-labelledby=materials-title] .big-row")).to_have_count(1)
    page.wait_for_url(f"{base}/meetings/{meeting.pk}/")
    look("phone-large-meeting-with-material")

    page.get_by_role("link", name="学习资料库").first.click()
    page.wait_for_url(f"{base}/branches/{cast.branch_a.pk}/library/")
    assert "六月主题党日" in page.locator("main").inner_text()
    look("phone-large-library")

    page.goto(f"{base}/meetings/{meeting.pk}/")
    page.get_by_role("link", name="登记补学 送学党员").click()
    page.select_option("select[name=study_material]", str(material.pk))
    page.fill("input[name=delivered_by]", "支部书记 陈书记")
    page.fill("input[name=material]", "")
    look("phone-large-make-up")
    page.get_by_role("button", name="保存补学记录").click()
    page.wait_for_url(f"{base}/meetings/{meeting.pk}/")
    assert MakeUp.objects.get().study_material_id == material.pk

    journey.context.close()
    assert problems == []
    assert journey.violations() == {}
    assert journey.problems.errors == []


@pytest.mark.parametrize("phone", [False, True], ids=["1280", "375-large"])
def test_district_staff_draft_a_bulletin_from_the_dashboard_and_download_its_pdf(
    browser, live_server, axe_source, cast, phone
):
    from notices.models import Notice

    build_world(cast)
    user = cast.user("district_staff")
    if phone:
        user.large_mode = True
        user.save(update_fields=["large_mode"])
    options = PHONE if phone else {"viewport": {"width": 1280, "height": 900}}
    journey = Journey(browser, live_server, axe_source, accept_downloads=True, **options)
    page, base = journey.page, journey.base
    tag = "375-large" if phone else "1280"
    minimum = LARGE_TARGET if phone else STANDARD_TARGET
    log_in(page, base, "district_staff")
    problems = []

    def look(name):
        if has_horizontal_scroll(page):
            problems.append(f"{name}: scrolls sideways")
        problems.extend(f"{name}: {t}" for t in small_targets(page, minimum))
        journey.check(f"{tag}-{name}")

    page.goto(f"{base}/reports/org/{cast.district_a.pk}/?period=quarter&year=2026&quarter=1")
    page.get_by_role("link", name="定期通报").click()
    page.wait_for_url(f"{base}/reports/org/{cast.district_a.pk}/bulletins/")
    look("bulletin-list")
    page.select_option("select[name=period]", "quarter")
    page.select_option("select[name=year]", "2026")
    page.select_option("select[name=quarter]", "1")
    page.get_by_role("button", name="生成通报草稿").click()
    page.wait_for_url(f"{base}/reports/bulletins/*/")
    notice = Notice.objects.get()
    assert page.url == f"{base}/reports/bulletins/{notice.pk}/"
    assert "和平街道" in page.locator("table").inner_text()
    look("bulletin")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")

    journey.context.close()
    assert problems == []
    assert journey.violations() == {}
    assert journey.problems.errors == []
