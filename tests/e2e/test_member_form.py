"""The member form in the browser, on a 375 px phone in 大字版: it asks for the branch
holding the party relation only when a branch in the portal holds it (what
MemberForm.clean requires)."""

import pytest

from ..conftest import build_cast
from ..factories import PASSWORD
from .conftest import PageProblems, axe_violations, no_sideways_scroll
from .test_funds import SIZES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]


def test_the_relation_branch_is_asked_only_when_a_branch_here_holds_the_relation(
    browser, live_server, transactional_db, axe_source
):
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
    page.goto(f"{base}/members/new/")
    branch = page.locator("#id_relation_branch")
    assert page.locator("#id_relation_kind").input_value() == "unit"
    assert not branch.is_visible()
    for kind, shown in (("branch", True), ("other", False), ("unit", False), ("branch", True)):
        page.select_option("#id_relation_kind", kind)
        assert branch.is_visible() is shown, kind
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []

    context.close()
    assert problems.errors == []
