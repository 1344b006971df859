"""The four parties' loop in one browser journey (issue 16's "done when"), at 1280 px; each
step also has its own test at 375 px in 大字版 (test_units_events, _messages, _feedback,
_joint).

The unit's liaison reports a newly retired cadre; the community registers her from the
task; the liaison's inbox receives the registration notice and the registration is
marked notified by that delivery; at the half-year the community generates, reviews and
sends the feedback report; the liaison opens its PDF and acknowledges it; the community
sees the acknowledgement. A joint meeting's action item owned by the unit stays on the
liaison's workbench until the liaison closes it."""

import datetime
import subprocess

import pytest
from django.utils import timezone

from members.models import Member, RegistrationStatus
from members.validators import make_id_number
from units.feedback.models import FeedbackLetter, LetterState
from units.joint import services as joint_services
from units.joint.models import ActionItem, Party
from units.messages.models import UnitMessage, UnitMessageKind

from ..activities.conftest import record
from ..conftest import build_cast
from .conftest import axe_violations, expect, no_sideways_scroll, screenshot
from .test_funds import Session

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium", "poppler"),
    pytest.mark.django_db(transaction=True),
]

BORN = datetime.date(1965, 3, 8)
NEWCOMER = "孙桂芝"


@pytest.fixture
def cast(transactional_db):
    return build_cast()


class JourneySession(Session):
    def look(self, page, shot):
        assert no_sideways_scroll(page), shot
        assert axe_violations(page, self.axe_source) == [], shot
        screenshot(page, f"units-journey-{shot}")


def test_unit_and_community_inform_each_other_both_ways(
    browser, live_server, cast, axe_source, tmp_path
):
    today = timezone.localdate()
    year, half = today.year, 1 if today.month <= 6 else 2
    # A meeting of the half-year, so the report has figures to carry.
    record(branch=cast.branch_a, held_on=datetime.date(year, 6 * half - 1, 10))
    s = JourneySession(browser, live_server.url, "1280", "journey", cast, axe_source)
    base = live_server.url

    # 1. The liaison reports a newly retired cadre to the community.
    page = s.as_user("unit_liaison")
    page.goto(f"{base}/units/events/")
    page.get_by_role("link", name="新退休动员报到").click()
    page.get_by_label("姓名").fill(NEWCOMER)
    page.get_by_label("性别").select_option("female")
    page.get_by_label("出生日期").fill(BORN.isoformat())
    page.get_by_label("电话").fill("13912345678")
    page.get_by_label("家庭住址").fill("翠园小区3栋2单元501室")
    page.get_by_label("离退休日期").fill((today - datetime.timedelta(days=30)).isoformat())
    page.get_by_label("报到社区").select_option(label=cast.community_a.name)
    page.get_by_role("button", name="发送给社区").click()
    page.wait_for_url("**/units/events/*/")

    # 2. The community registers her from the task's prefilled form.
    page = s.as_user("community_secretary")
    page.locator("#wb-events-open").click()
    page.locator("#event-list a").first.click()
    page.locator("#do-task").click()
    assert page.get_by_label("姓名").input_value() == NEWCOMER
    page.get_by_label("身份证号").fill(make_id_number("319901", BORN, 8, male=False))
    page.get_by_label("所在支部").select_option(label=cast.branch_a.name)
    page.get_by_role("button", name="登记报到并编入支部").click()
    page.wait_for_url("**/units/events/*/")
    s.look(page, "task-done")

    # 3. The unit's liaison has the registration notice in the inbox; the delivery, not a
    # typed date, marked the registration notified.
    newcomer = Member.objects.get(name=NEWCOMER)
    registration = newcomer.registrations.get()
    assert registration.status == RegistrationStatus.NOTIFIED
    notice = UnitMessage.objects.get(kind=UnitMessageKind.REGISTRATION_ACCEPTED)
    assert notice.unit == cast.unit_a and notice.delivered_at is not None
    # The delivery's day, not `today` read before it: the two differ across midnight.
    assert registration.notified_on == timezone.localdate(notice.delivered_at)
    page = s.as_user("unit_liaison")
    page.goto(f"{base}/units/messages/")
    inbox = page.locator("main").inner_text()
    assert NEWCOMER in inbox and cast.community_a.name in inbox
    s.look(page, "liaison-inbox")
    page.get_by_role("link", name=notice.title).click()
    expect(page.locator("main")).to_contain_text(cast.branch_a.name)  # once it has parsed

    # 4. At the half-year the community generates, reviews and sends the feedback report.
    page = s.as_user("community_secretary")
    page.goto(f"{base}/units/feedback/communities/{cast.community_a.pk}/?year={year}&half={half}")
    page.get_by_role("link", name="生成", exact=True).click()
    page.get_by_role("button", name="生成").click()
    page.wait_for_url("**/units/feedback/*/")
    lines = page.locator("main").inner_text()
    assert cast.member_a.name in lines and NEWCOMER in lines
    page.get_by_role("link", name="审核并填写意见").click()
    page.get_by_label("社区意见").fill("本半年按时参加组织生活。")
    page.get_by_role("button", name="保存审核").click()
    page.wait_for_url("**/units/feedback/*/")
    page.get_by_role("link", name="发送原单位").click()
    page.get_by_role("button", name="发送原单位").click()
    page.wait_for_url("**/units/feedback/*/")
    s.look(page, "feedback-sent")
    letter = FeedbackLetter.objects.get(unit=cast.unit_a, community=cast.community_a)

    # 5. The liaison opens the report's PDF, then acknowledges it.
    page = s.as_user("unit_liaison")
    page.get_by_role("link", name="等待您确认的反馈表").click()
    page.get_by_role("link", name=cast.community_a.name).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    pdf = tmp_path / "feedback.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert cast.member_a.name in text and NEWCOMER in text and cast.unit_a.name in text
    page.get_by_role("link", name="确认并回复").click()
    page.get_by_label("给社区的回复（可不填）").fill("已收到，谢谢社区。")
    page.get_by_role("button", name="确认收到").click()
    page.wait_for_url("**/units/feedback/*/")

    # 6. The community sees the acknowledgement.
    page = s.as_user("community_secretary")
    page.goto(f"{base}/units/feedback/{letter.pk}/")
    assert "原单位已确认" in page.locator("main").inner_text()
    assert "已收到，谢谢社区。" in page.locator("#fb-reply-text").inner_text()
    s.look(page, "feedback-acknowledged")
    letter.refresh_from_db()
    assert letter.state == LetterState.ACKNOWLEDGED

    # 7. A joint meeting's action item owned by the unit stays on the liaison's workbench
    # until the liaison closes it.
    joint_services.meeting_record(
        area=cast.street_a,
        data={
            "held_on": today,
            "place": "和平街道党群服务中心",
            "topic": "新退休干部报到",
            "matters": "",
            "decisions": "",
        },
        parties=[
            joint_services.PartyEntry(Party.STREET, cast.street_a),
            joint_services.PartyEntry(Party.UNIT, cast.unit_a),
            joint_services.PartyEntry(Party.COMMUNITY, cast.community_a),
        ],
        items=[
            joint_services.ItemEntry(
                "提供新退休干部名单", Party.UNIT, cast.unit_a, today + datetime.timedelta(days=7)
            )
        ],
        actor=cast.user("street_staff"),
    )
    page = s.as_user("unit_liaison")
    section = page.locator("#joint-section")
    assert "提供新退休干部名单" in section.inner_text()
    page.reload()
    assert "提供新退休干部名单" in page.locator("#joint-section").inner_text()
    page.locator("#joint-section").get_by_role("link", name="提供新退休干部名单").click()
    page.get_by_role("link", name="办结", exact=True).click()
    page.get_by_label("办理情况").fill("名单已送到社区")
    page.get_by_role("button", name="办结待办事项").click()
    page.wait_for_url("**/units/joint/*/")
    page.goto(f"{base}/")
    assert page.locator("#joint-section").count() == 0
    s.look(page, "liaison-workbench-after")
    s.close()
    assert ActionItem.objects.get().closed_at is not None
