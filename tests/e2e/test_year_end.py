"""The year end in Chromium (issue 17): a branch secretary plans the pairs, records the
talk, the 组织生活会's records, the grades and two 整改 items, closes one; the branch is
done with one open item on its page, on the workbench and on the street's list; next
January the open item is still there. At 1280 px, then on a 375 px phone in 大字版."""

import datetime

import pytest
from django.utils import timezone

from activities.meetings.models import MeetingKind
from members.models import CommitteeTerm, Position, Post

from ..activities.conftest import record
from ..conftest import build_cast
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
DECEMBER = datetime.date(2026, 12, 6)


class Clock:
    day = DECEMBER


@pytest.fixture
def clock(monkeypatch):
    real = timezone.localdate
    monkeypatch.setattr(
        "django.utils.timezone.localdate",
        lambda value=None, timezone=None: Clock.day if value is None else real(value, timezone),
    )
    Clock.day = DECEMBER
    return Clock


@pytest.fixture
def cast(transactional_db, clock):
    cast = build_cast()
    term = CommitteeTerm.objects.create(
        branch=cast.branch_a,
        number=1,
        starts_on=datetime.date(2024, 1, 1),
        ends_on=datetime.date(2028, 12, 31),
        has_committee=False,
    )
    Position.objects.create(term=term, post=Post.SECRETARY, member=cast.member_a)
    record(
        branch=cast.branch_a,
        kind=MeetingKind.LIFE_MEETING,
        held_on=datetime.date(2026, 12, 1),
        topic="2026年度组织生活会",
    )
    return cast


def _add_item(page, problem, deadline):
    page.get_by_role("link", name="添加整改事项").click()
    page.fill("textarea[name=problem]", problem)
    page.fill("textarea[name=measure]", "建立台账，按月检查")
    page.fill("input[name=owner]", "支部书记")
    page.fill("input[name=deadline]", deadline)
    page.locator("input[type=submit][name=save]").click()
    page.wait_for_selector("#year-end-state")


def test_a_branch_goes_through_its_year_end_and_the_open_item_carries_over(
    browser, live_server, axe_source, cast, clock
):
    wide = Journey(browser, live_server, axe_source, viewport={"width": 1280, "height": 900})
    page, base = wide.page, wide.base
    log_in(page, base, "branch_secretary")
    page.goto(f"{base}/branches/{cast.branch_a.pk}/")
    page.get_by_role("link", name="年终工作：谈心谈话、民主评议、整改").click()
    page.wait_for_selector("#year-end-state")
    assert page.locator("#year-end-state").inner_text() == "未开始"
    assert page.locator("#year-end-countdown").inner_text() == "距12月31日还有25天"
    wide.check("year-end-start")

    # 1. 谈心谈话: the suggested pair (the secretary with the other member), then the talk.
    page.get_by_role("link", name="委员与党员谈").click()
    wide.check("year-end-suggest")
    page.get_by_role("button", name="安排这些谈话").click()
    page.wait_for_selector("#pair-list")
    assert page.locator("#unpaired").count() == 0
    page.locator("#pair-list a", has_text="登记谈话").click()
    page.fill("input[name=held_on]", "2026-12-02")
    page.fill("textarea[name=note]", "交流学习体会，谈身体情况")
    wide.check("year-end-talk")
    page.get_by_role("button", name="保存谈话记录").click()
    page.wait_for_selector("#pair-list")
    assert "交流学习体会" in page.locator("#pair-list").inner_text()

    # 2. 组织生活会: the held meeting, the observer, each member's self-criticism.
    page.get_by_role("link", name="会议及党员发言记录").click()
    page.locator("select[name=meeting]").select_option(index=1)
    page.fill("input[name=observer]", "和平街道 王委员")
    for box in page.locator("input[name$=_self_criticism]").all():
        box.check()
    wide.check("year-end-life-meeting")
    page.get_by_role("button", name="保存会议记录").click()
    page.wait_for_selector("#appraisal-list")

    # 3. 民主评议: one member attended, the bedridden one is graded with the reason.
    for name, absent in ((cast.member_a.name, ""), (cast.member_a_bedridden.name, "卧床")):
        page.get_by_role("link", name=f"评定 {name}").click()
        if absent:
            page.fill("input[name=absent_reason]", absent)
        page.fill("input[name=votes_qualified]", "1")
        page.locator("select[name=proposal]").select_option("qualified")
        page.locator("select[name=decision]").select_option("qualified")
        wide.check(f"year-end-appraisal-{'absent' if absent else 'present'}")
        page.get_by_role("button", name="保存评议结果").click()
        page.wait_for_selector("#appraisal-list")
    assert "卧床" in page.locator("#appraisal-list").inner_text()

    # 4. 整改: two items, one closed with its evidence.
    _add_item(page, "对卧床党员送学上门不及时", "2027-03-31")
    _add_item(page, "线上学习参与率低", "2026-12-31")
    wide.check("year-end-items")
    page.locator("#item-list a", has_text="销号").first.click()
    page.fill("textarea[name=evidence]", "已建立线上学习群，参学率九成")
    wide.check("year-end-close")
    page.get_by_role("button", name="整改销号").click()
    page.wait_for_selector("#year-end-state")
    assert page.locator("#year-end-state").inner_text() == "已完成"
    assert page.locator("#year-end-open").inner_text() == "1"
    assert small_targets(page, STANDARD_TARGET) == []
    wide.check("year-end-done")

    # The workbench says the same.
    page.goto(f"{base}/")
    panel = page.locator("#wb-year-end-list").inner_text()
    assert "已完成 · 4 / 4 项 · 1项未完成整改" in panel
    wide.context.close()

    # The street sees the branch done.
    street = Journey(browser, live_server, axe_source, viewport={"width": 1280, "height": 900})
    log_in(street.page, street.base, "street_staff")
    street.page.goto(f"{base}/year-end/org/{cast.street_a.pk}/")
    row = street.page.locator("#branch-states li", has_text=cast.branch_a.name).inner_text()
    assert "已完成" in row and "1项未完成整改" in row
    street.check("year-end-street")
    street.page.set_viewport_size({"width": 375, "height": 812})
    assert not has_horizontal_scroll(street.page)
    street.check("year-end-street-phone")
    street.context.close()

    # On a phone in 大字版, and next January: the open item is still there.
    user = cast.user("branch_secretary")
    user.large_mode = True
    user.save(update_fields=["large_mode"])
    clock.day = datetime.date(2027, 1, 10)
    phone = Journey(
        browser,
        live_server,
        axe_source,
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = phone.page
    log_in(page, base, "branch_secretary")
    page.goto(f"{base}/year-end/branches/{cast.branch_a.pk}/")
    assert page.locator("h1").inner_text() == "2027年年终工作"
    items = page.locator("#item-list").inner_text()
    assert "对卧床党员送学上门不及时" in items and "2026年遗留" in items
    assert "线上学习参与率低" not in items  # closed: it stays in 2026
    assert not has_horizontal_scroll(page)
    assert small_targets(page, LARGE_TARGET) == []
    phone.check("year-end-phone-january")
    forms = {
        "life-meeting": "life-meeting/",
        "pair": "pairs/new/",
        "item": "rectification/new/",
        "appraisal": f"appraisals/{cast.member_a.pk}/",
    }
    for name, path in forms.items():
        page.goto(f"{base}/year-end/branches/{cast.branch_a.pk}/2027/{path}")
        assert not has_horizontal_scroll(page), name
        assert small_targets(page, LARGE_TARGET) == [], name
        phone.check(f"year-end-phone-{name}")
    phone.context.close()

    assert wide.violations() == {} and phone.violations() == {} and street.violations() == {}
    assert wide.problems.errors == [] and phone.problems.errors == []
