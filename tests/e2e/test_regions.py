"""区划调整 in the browser, on a 375 px phone in 大字版 and at 1280 px: district staff move
a community to another street (choose, preview with its counts, confirm), preview a
branch merge, open a split and preview a rename; the city administrator reaches the
pages too. Every page: no serious axe-core violation, nothing sticking out sideways.

E2E_SCREENSHOTS=some/folder keeps the pictures (api-<size>-regions-<page>.png, Session's prefix)."""

import pytest

from branches.models import Organization

from ..conftest import build_cast
from .conftest import open_menu
from .test_api_clients import SIZES, Session

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cast(transactional_db):
    return build_cast()


@pytest.mark.parametrize("size", list(SIZES))
def test_district_staff_move_a_community_after_its_preview(
    browser, live_server, cast, axe_source, size
):
    s = Session(browser, live_server, cast, axe_source, size)
    base = live_server.url
    page = s.as_user("district_staff")
    page.goto(f"{base}/")
    open_menu(page)
    page.get_by_role("link", name="区划调整").first.click()
    s.look(page, "regions-index")
    page.get_by_role("link", name="将社区调整到其他街道").click()
    page.select_option("#id_community", str(cast.community_a.pk))
    page.select_option("#id_street", str(cast.street_a2.pk))
    page.get_by_role("button", name="预览").click()
    page.locator("#preview").wait_for()
    assert "党员" in page.locator("#preview").inner_text()
    s.look(page, "regions-move-preview")
    assert Organization.objects.get(pk=cast.community_a.pk).parent_id == cast.street_a.pk
    page.get_by_role("button", name="确认调整").click()
    page.get_by_text("社区已调整。").wait_for()
    s.look(page, "regions-moved")
    assert Organization.objects.get(pk=cast.community_a.pk).parent_id == cast.street_a2.pk

    page.goto(f"{base}/regions/merge/branches/")
    page.select_option("#id_merged", str(cast.branch_a2.pk))
    page.select_option("#id_kept", str(cast.branch_a.pk))
    page.get_by_role("button", name="预览").click()
    page.locator("#preview").wait_for()
    s.look(page, "regions-merge-branches-preview")

    page.goto(f"{base}/regions/split/")
    page.select_option("#id_community", str(cast.community_a.pk))
    page.get_by_role("button", name="下一步").first.click()
    page.get_by_label("新社区名称").wait_for()
    s.look(page, "regions-split")

    page.goto(f"{base}/regions/split/")
    page.select_option("#id_branch", str(cast.branch_a.pk))
    page.get_by_role("button", name="下一步").last.click()
    page.get_by_label("新党支部名称").wait_for()
    s.look(page, "regions-split-branch")

    page.goto(f"{base}/regions/rename/")
    page.select_option("#id_node", str(cast.community_a2.pk))
    page.fill("#id_name", "枫林新村社区")
    page.get_by_role("button", name="预览").click()
    page.locator("#preview").wait_for()
    s.look(page, "regions-rename-preview")

    page = s.as_user("city_admin")
    page.goto(f"{base}/regions/merge/communities/")
    s.look(page, "regions-merge-communities")
    s.close()
    assert s.errors == []
