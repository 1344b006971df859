"""The notice's whole trip in a real browser, once on a 375 px phone in 大字版 and once at
1280 px: district staff write a notice with a PDF to two streets with a 3-day confirm
deadline; the street forwards it with its own note; the community secretary finds it on
the workbench, opens the attachment and confirms; the district sees 1 of 3 confirmed,
reminds the rest, and exactly one reminder reaches each person over an open branch
(a second click on "remind" in the same round adds nothing).

Each page is checked with axe-core, for console errors and failed requests, and at
375 px for sideways scrolling."""

import datetime

import pytest
from django.utils import timezone

from activities.messaging.models import Reminder, ReminderKind
from notices.models import Notice, NoticeReceipt

from ..conftest import build_cast
from ..notices.receipts_helpers import PDF
from .conftest import log_in
from .test_secretary_journey import Journey, has_horizontal_scroll

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]

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
TITLE = "关于学习贯彻全会精神的通知"


@pytest.fixture
def cast(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_cast()


@pytest.mark.parametrize("view", list(VIEWS))
def test_send_forward_open_confirm_follow_and_remind(browser, live_server, axe_source, cast, view):
    options, large = VIEWS[view]
    for user in cast.users.values():
        user.large_mode = large
        user.save(update_fields=["large_mode"])
    wide: list[str] = []
    journeys = []

    def session(username):
        journey = Journey(browser, live_server, axe_source, accept_downloads=True, **options)
        log_in(journey.page, journey.base, username)
        journeys.append(journey)
        return journey

    def visit(journey, name):
        journey.page.wait_for_load_state("load")
        if large and has_horizontal_scroll(journey.page):
            wide.append(name)
        journey.check(f"flow-{view}-{name}")

    # 1. The district writes the notice: two streets, a PDF, confirm within 3 days.
    district = session("district_staff")
    page = district.page
    page.goto(f"{district.base}/notices/new/")
    visit(district, "compose")
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=body]", "请各支部组织学习，<script>alert(1)</script>并确认收到。")
    page.check(f"input[name=audience][value='{cast.street_a.pk}']")
    page.check(f"input[name=audience][value='{cast.street_a2.pk}']")
    deadline = timezone.localdate() + datetime.timedelta(days=3)
    page.fill("input[name=deadline]", deadline.isoformat())
    page.set_input_files(
        "input[name=files]",
        files=[{"name": "学习材料.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.click("button[name=send]")
    visit(district, "send")
    page.click("text=确认发送")
    visit(district, "sent")
    notice = Notice.objects.get(root__isnull=True)
    assert (notice.deadline, notice.recipient_count) == (deadline, 3)
    assert "<script" not in notice.body_html

    # 2. The street forwards it to its communities with its own note.
    street = session("street_staff")
    page = street.page
    page.goto(f"{street.base}/notices/{notice.pk}/")
    page.get_by_role("link", name="转发到本辖区").click()
    visit(street, "forward")
    page.fill("textarea[name=note]", "请各社区党组织于周五前组织学习并确认。")
    page.get_by_role("button", name="转发通知").click()
    visit(street, "forwarded")
    assert Notice.objects.filter(root=notice, organization=cast.street_a).exists()

    # 3. The community secretary: the workbench shows it; open, download, confirm.
    secretary = session("community_secretary")
    page = secretary.page
    page.goto(f"{secretary.base}/")
    visit(secretary, "workbench")
    page.locator("section[aria-labelledby=wb-notices] a", has_text=TITLE).first.click()
    visit(secretary, "notice")
    assert "请各社区党组织于周五前组织学习并确认。" in page.content()  # the street's note
    with page.expect_download() as download:
        page.click("#notice-files a")
    assert download.value.suggested_filename == "学习材料.pdf"
    mine = NoticeReceipt.objects.get(notice=notice, branch=cast.branch_a)
    assert mine.opened_by == cast.user("community_secretary")
    page.get_by_role("button", name="确认收到").click()
    visit(secretary, "confirmed")
    mine.refresh_from_db()
    assert mine.confirmed_by == cast.user("community_secretary")

    # 4. The district: 1 of 3 confirmed; it reminds the two open branches once.
    page = district.page
    page.goto(f"{district.base}/notices/{notice.pk}/receipts/")
    visit(district, "receipts")
    # Addressed, opened (branch_a; functional_a too: the street's staff answer for that
    # street-level branch and read the notice before forwarding it), confirmed.
    assert page.locator(".count-number").all_inner_texts()[:3] == ["3", "2", "1"]
    page.get_by_role("link", name="提醒未确认的 2 个支部").click()
    visit(district, "remind")
    # The same form open in a second tab: sent after the first, it is the same round.
    second_tab = district.context.new_page()
    second_tab.goto(page.url)
    page.get_by_role("button", name="发送提醒").click()
    visit(district, "reminded")
    assert "已提醒 2 个支部的书记" in page.content()
    items = Reminder.objects.filter(kind=ReminderKind.NOTICE_UNCONFIRMED)
    first_round = sorted(items.values_list("recipient__username", flat=True))
    # Open: functional_a (on street A: its staff answer for it) and branch_a2 (nobody
    # holds a role over it but street A2's staff, who answer only street-level ones).
    assert first_round == ["street_staff"]
    second_tab.get_by_role("button", name="发送提醒").click()
    second_tab.wait_for_load_state("load")
    assert sorted(items.values_list("recipient__username", flat=True)) == first_round
    second_tab.close()

    for journey in journeys:
        assert journey.violations() == {}
        assert journey.problems.errors == []
        journey.context.close()
    assert wide == []
