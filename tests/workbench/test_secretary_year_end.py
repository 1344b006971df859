"""The secretaries' panel shows each branch's year end: its state, the steps done and
the open 整改 items, as the branch's year-end page counts them."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.year_end import services
from activities.year_end.models import PairKind

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 6)


@pytest.fixture
def december(monkeypatch):
    real = timezone.localdate
    monkeypatch.setattr(
        "django.utils.timezone.localdate",
        lambda value=None, timezone=None: TODAY if value is None else real(value, timezone),
    )


def test_the_panel_shows_the_branch_year_end_and_its_open_items(cast, client_for, december):
    branch = cast.branch_a
    services.pairs_add(
        branch=branch,
        year=2026,
        pairs=[(cast.member_a, cast.member_a_bedridden, PairKind.MEMBERS)],
        actor=None,
    )
    services.item_add(
        branch=branch,
        year=2025,
        data={
            "source": "branch",
            "problem": "学习不经常",
            "measure": "每月学习",
            "owner": "组织委员",
            "deadline": datetime.date(2026, 3, 31),
        },
        client_key=None,
        actor=None,
    )
    body = client_for("branch_secretary").get("/").content.decode()
    section = body[body.index('id="wb-year-end-list"') :]
    section = section[: section.index("</section>")]
    assert "距12月31日还有25天" in section
    row = re.search(r'href="(/year-end/branches/\d+/)">([^<]+)<span[^>]*>([^<]+)</span>', section)
    assert row.group(1) == reverse("year_end:branch", args=[branch.pk])
    assert row.group(3).split() == ["进行中", "·", "0", "/", "4", "项", "·", "1项未完成整改"]
    page = client_for("branch_secretary").get(row.group(1)).content.decode()
    assert re.search(r'id="year-end-open">1 · <strong class="state-late">1项已超期', page)
