"""Forms that ask for a field only once the choice that needs it is made (portal.css,
"Fields that one choice asks for"), in the browser on a 375 px phone in 大字版: what each
form's clean requires or keeps, a field with an error stays in sight, and nothing else
is lost. Also a check box's short label stays on one line with its help text under it."""

import datetime

import pytest
from django.utils.timezone import localdate as today

from activities.meetings.models import Meeting
from activities.messaging.models import ReminderPreference
from branches.models import Venue
from notices.models import Notice

from ..conftest import build_cast
from .conftest import PageProblems, axe_violations, log_in, no_sideways_scroll, screenshot
from .test_funds import SIZES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cast(transactional_db):
    cast = build_cast()
    user = cast.user("community_secretary")
    user.large_mode = True
    user.save(update_fields=["large_mode"])
    return cast


def logged_in(browser, live_server, username):
    """A 375 px page logged in as `username`, its `open(path)` going to the live server."""
    context = browser.new_context(bypass_csp=True, **SIZES["375-large"])
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.problems = PageProblems(page)
    log_in(page, live_server.url, username)
    page.open = lambda path: page.goto(live_server.url + path)
    return page


@pytest.fixture
def secretary(browser, live_server, cast):
    page = logged_in(browser, live_server, "community_secretary")
    yield page
    page.context.close()
    assert page.problems.errors == []


def shown_as_chosen(page, chooser, fields, cases):
    """For each (value, shown) case: choose the value, then the fields are all shown or
    all hidden. Returns the cases that went wrong."""
    wrong = []
    for value, shown in cases:
        if isinstance(value, bool):
            page.locator(chooser).set_checked(value)
        else:
            page.select_option(chooser, value)
        seen = [page.locator(field).is_visible() for field in fields]
        if seen != [shown] * len(fields):
            wrong.append((value, seen))
    return wrong


def test_meeting_form_asks_for_the_group_and_the_election_by_kind(secretary, cast, axe_source):
    page = secretary
    page.open(f"/branches/{cast.branch_a.pk}/meetings/plan/")
    kinds = ["", "general_assembly", "committee", "group", "lecture", "theme_day"]
    group = [(kind, kind == "group") for kind in kinds]
    election = [(kind, kind == "general_assembly") for kind in kinds]
    assert shown_as_chosen(page, "#id_kind", ["#id_party_group"], group) == []
    assert shown_as_chosen(page, "#id_kind", ["#id_is_election"], election) == []
    page.select_option("#id_kind", "general_assembly")
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    screenshot(page, "meeting-form-375-large-assembly")
    # "选举" beside its box on one line, the help under it (not a character a line).
    label, box, help_text = (
        page.locator(selector).bounding_box()
        for selector in ("label[for=id_is_election]", "#id_is_election", "#id_is_election_helptext")
    )
    size = page.locator("label[for=id_is_election]").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert label["height"] < 2 * size
    assert label["x"] > box["x"] + box["width"] - 1
    assert help_text["y"] >= label["y"] + label["height"] - 1

    # A party group meeting saves with its group.
    page.select_option("#id_kind", "group")
    page.select_option("#id_party_group", str(cast.group_a.pk))
    page.fill("#id_topic", "学习党章")
    page.click("main form [type=submit]")
    page.wait_for_load_state("load")
    meeting = Meeting.objects.get(topic="学习党章")
    assert (meeting.kind, meeting.party_group_id) == ("group", cast.group_a.pk)


def test_a_group_left_behind_by_a_changed_kind_is_shown_with_its_error(secretary, cast):
    page = secretary
    page.open(f"/branches/{cast.branch_a.pk}/meetings/plan/")
    page.select_option("#id_kind", "group")
    page.select_option("#id_party_group", str(cast.group_a.pk))
    page.select_option("#id_kind", "lecture")
    assert not page.locator("#id_party_group").is_visible()
    page.fill("#id_topic", "党课")
    page.click("main form [type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("#id_party_group").is_visible()
    assert "只有党小组会才需要选择党小组" in page.locator("#div_id_party_group").inner_text()
    assert not Meeting.objects.filter(topic="党课").exists()


def test_member_form_asks_for_the_relation_branch_when_a_branch_here_holds_it(
    secretary, axe_source
):
    page = secretary
    page.open("/members/new/")
    assert page.locator("#id_relation_kind").input_value() == "unit"
    assert not page.locator("#id_relation_branch").is_visible()
    cases = [("branch", True), ("other", False), ("unit", False), ("branch", True)]
    assert shown_as_chosen(page, "#id_relation_kind", ["#id_relation_branch"], cases) == []
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []


def test_venue_form_asks_for_the_owning_unit_when_a_unit_owns_it(secretary, cast, axe_source):
    page = secretary
    page.open("/venues/new/")
    cases = [("community", False), ("unit", True), ("street", False), ("other", False)]
    assert shown_as_chosen(page, "#id_owner_kind", ["#id_owner_unit"], cases) == []
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    # Owned by a unit but none chosen: the field comes back with its error, nothing saved.
    page.select_option("#id_owner_kind", "unit")
    page.fill("#id_name", "老干部活动中心")
    page.select_option("#id_kind", "other")
    page.select_option("#id_organization", str(cast.community_a.pk))
    page.click("main form [type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("#id_owner_unit").is_visible()
    assert "请选择" in page.locator("#div_id_owner_unit .invalid-feedback").inner_text()
    assert not Venue.objects.filter(name="老干部活动中心").exists()


def test_reminder_settings_ask_for_each_channels_address_when_it_is_on(secretary, cast, axe_source):
    page = secretary
    page.open("/reminders/settings/")
    channels = {
        "#id_use_email": ["#id_email"],
        "#id_use_webhook": ["#id_webhook_flavour", "#id_webhook_url", "#id_webhook_secret"],
        "#id_use_sms": ["#id_phone"],
    }
    for box, fields in channels.items():
        assert shown_as_chosen(page, box, fields, [(False, False), (True, True)]) == [], box
    assert page.locator("#id_remove_webhook").count() == 0  # no robot saved to remove
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    # Saved with the text message on, the e-mail off.
    page.locator("#id_use_email").set_checked(False)
    page.locator("#id_use_webhook").set_checked(False)
    page.fill("#id_phone", "13800138000")
    page.click("main form [type=submit]")
    page.wait_for_load_state("load")
    pref = ReminderPreference.objects.get(user=cast.user("community_secretary"))
    assert (pref.use_sms, pref.use_email, pref.use_webhook) == (True, False, False)
    assert pref.phone == "13800138000"


def test_notice_form_asks_for_a_deadline_only_when_an_answer_is_needed(
    browser, live_server, cast, axe_source
):
    page = logged_in(browser, live_server, "district_staff")
    page.open("/notices/new/")
    deadline = page.locator("#id_deadline")
    for response, shown in (("none", False), ("confirm", True), ("reply", True)):
        page.locator(f"input[name=response][value={response}]").check()
        assert deadline.is_visible() is shown, response
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    # A deadline typed, then "no answer needed": the draft keeps no deadline.
    page.locator("input[name=response][value=confirm]").check()
    deadline.fill((today() + datetime.timedelta(days=7)).isoformat())
    page.locator("input[name=response][value=none]").check()
    page.fill("#id_title", "关于学习的通知")
    page.fill("#id_body", "请各支部自学。")
    page.locator(f"input[name=audience][value='{cast.street_a.pk}']").check()
    page.click("button[name=save]")
    page.wait_for_load_state("load")
    notice = Notice.objects.get(title="关于学习的通知")
    assert (notice.response, notice.deadline) == ("none", None)
    page.context.close()
    assert page.problems.errors == []


def test_cadence_rule_form_counts_per_group_only_for_group_meetings(
    browser, live_server, cast, axe_source
):
    page = logged_in(browser, live_server, "district_staff")
    page.open("/cadence-rules/new/")
    kinds = ["", "general_assembly", "group", "lecture"]
    cases = [(kind, kind == "group") for kind in kinds]
    assert shown_as_chosen(page, "#id_kind", ["#id_per_group"], cases) == []
    page.select_option("#id_kind", "group")
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    page.context.close()
    assert page.problems.errors == []
