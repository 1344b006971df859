"""The meeting form in the browser, on a 375 px phone in 大字版: it asks for a party group
only for a party group meeting and offers the election only at a general assembly (what
MeetingForm.clean accepts), keeps a field with an error in sight, and the election's
short label stays on one line beside its box with its help text under it."""

import pytest

from activities.meetings.models import Meeting

from ..conftest import build_cast
from ..factories import PASSWORD
from .conftest import PageProblems, axe_violations, no_sideways_scroll, screenshot
from .test_funds import SIZES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]

# The kind -> (party group shown, election shown).
SHOWN = {
    "": (False, False),
    "general_assembly": (False, True),
    "committee": (False, False),
    "group": (True, False),
    "lecture": (False, False),
}


@pytest.fixture
def page(browser, live_server, transactional_db):
    cast = build_cast()
    user = cast.user("community_secretary")
    user.large_mode = True
    user.save(update_fields=["large_mode"])
    context = browser.new_context(bypass_csp=True, **SIZES["375-large"])
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems = PageProblems(page)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "community_secretary")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/branches/{cast.branch_a.pk}/meetings/plan/")
    page.cast = cast
    yield page
    context.close()
    assert problems.errors == []


def test_the_form_asks_only_for_what_the_kind_of_meeting_takes(page, axe_source):
    for kind, (group, election) in SHOWN.items():
        page.select_option("#id_kind", kind)
        assert page.locator("#id_party_group").is_visible() is group, kind
        assert page.locator("#id_is_election").is_visible() is election, kind
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
    page.select_option("#id_party_group", str(page.cast.group_a.pk))
    page.fill("#id_topic", "学习党章")
    page.click("main form [type=submit]")
    page.wait_for_load_state("load")
    meeting = Meeting.objects.get(topic="学习党章")
    assert (meeting.kind, meeting.party_group_id) == ("group", page.cast.group_a.pk)


def test_a_group_left_behind_by_a_changed_kind_is_shown_with_its_error(page):
    page.select_option("#id_kind", "group")
    page.select_option("#id_party_group", str(page.cast.group_a.pk))
    page.select_option("#id_kind", "lecture")
    assert not page.locator("#id_party_group").is_visible()
    page.fill("#id_topic", "党课")
    page.click("main form [type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("#id_party_group").is_visible()
    assert "只有党小组会才需要选择党小组" in page.locator("#div_id_party_group").inner_text()
    assert not Meeting.objects.filter(topic="党课").exists()
