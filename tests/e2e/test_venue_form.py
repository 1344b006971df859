"""The venue form in the browser, on a 375 px phone in 大字版: it asks for the owning
original unit only when an original unit owns the venue (what VenueForm.clean keeps)."""

import pytest

from branches.models import Venue

from ..conftest import build_cast
from ..factories import PASSWORD
from .conftest import PageProblems, axe_violations, no_sideways_scroll
from .test_funds import SIZES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]


def test_the_owning_unit_is_asked_only_for_a_venue_a_unit_owns(
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
    page.goto(f"{base}/venues/new/")
    unit = page.locator("#id_owner_unit")
    for owner, shown in (("community", False), ("unit", True), ("street", False), ("other", False)):
        page.select_option("#id_owner_kind", owner)
        assert unit.is_visible() is shown, owner
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []

    # Owned by a unit but none chosen: the field comes back with its error, nothing saved.
    page.select_option("#id_owner_kind", "unit")
    page.fill("#id_name", "老干部活动中心")
    page.select_option("#id_kind", "other")
    page.select_option("#id_organization", str(cast.community_a.pk))
    page.click("main form [type=submit]")
    page.wait_for_load_state("load")
    assert unit.is_visible()
    assert "请选择" in page.locator("#div_id_owner_unit .invalid-feedback").inner_text()
    assert not Venue.objects.filter(name="老干部活动中心").exists()
    context.close()
    assert problems.errors == []
