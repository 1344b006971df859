"""An area's year end on its dashboard and on the staff's workbench: hand-counted on a
fixture, equal to what the linked area list shows.

District A holds four active branches: the roster's (every step done, one item open
until March), branch_a (pairs planned only, one item of last year past its deadline),
branch_a2 and functional_a (nothing yet); a dissolved branch is not counted. So the
district: 2 not started, 1 in progress, 1 done, 2 open items of which 1 is overdue;
community A (the roster's branch and branch_a): 0, 1, 1, 2 and 1."""

import datetime
import re

import pytest
from django.urls import reverse

from activities.year_end import services
from activities.year_end.models import PairKind
from branches.models import Branch

from .test_services import YEAR, _hold_everything

pytestmark = pytest.mark.django_db


def _item(branch, year, deadline):
    services.item_add(
        branch=branch,
        year=year,
        data={
            "source": "branch",
            "problem": "学习不经常",
            "measure": "每月学习",
            "owner": "组织委员",
            "deadline": deadline,
        },
        client_key=None,
        actor=None,
    )


@pytest.fixture
def area(committee, cast, clock):
    _hold_everything(committee)
    _item(committee.branch, YEAR, datetime.date(2027, 3, 31))
    services.pairs_add(
        branch=cast.branch_a,
        year=YEAR,
        pairs=[(cast.member_a, cast.member_a_bedridden, PairKind.MEMBERS)],
        actor=None,
    )
    _item(cast.branch_a, YEAR - 1, datetime.date(2026, 6, 30))
    Branch.objects.create(
        organization=cast.community_a2, name="已撤销支部", dissolved_on=datetime.date(2026, 1, 1)
    )
    return cast


def _dashboard_figures(client, node):
    page = client.get(reverse("reports:org_dashboard", args=[node.pk])).content.decode()
    card = page[page.index('id="year-end-stat"') :]
    card = card[: card.index("</div>")]
    overview = reverse("year_end:overview", args=[node.pk])
    links = re.findall(r'<a href="([^"]+)">(\d+)</a>', card)
    assert {href.split("#")[0] for href, _n in links} == {f"{overview}?year={YEAR}"}
    done, not_started, in_progress, open_items, overdue = (int(n) for _h, n in links)
    return not_started, in_progress, done, open_items, overdue


def _list_figures(client, node):
    """What the area list page shows: its counts per state and its overdue items."""
    page = client.get(f"{reverse('year_end:overview', args=[node.pk])}?year={YEAR}")
    body = page.content.decode()
    counts = re.search(r'id="year-end-counts">(.*?)</dl>', body, re.S).group(1)
    by_state = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", counts))
    rows = page.context["rows"]
    return (
        int(by_state["未开始"]),
        int(by_state["进行中"]),
        int(by_state["已完成"]),
        sum(s.open_items for _b, s in rows),
        len(page.context["overdue"]),
    )


def test_the_dashboards_count_the_year_end_as_the_area_list_does(area, client_for):
    district = client_for("district_staff")
    assert _dashboard_figures(district, area.district_a) == (2, 1, 1, 2, 1)
    assert _list_figures(district, area.district_a) == (2, 1, 1, 2, 1)
    street = client_for("street_staff")
    assert _dashboard_figures(street, area.street_a) == (1, 1, 1, 2, 1)
    assert _list_figures(street, area.street_a) == (1, 1, 1, 2, 1)
    community = client_for("community_secretary")
    assert _dashboard_figures(community, area.community_a) == (0, 1, 1, 2, 1)
    assert _list_figures(community, area.community_a) == (0, 1, 1, 2, 1)


def test_the_city_and_branch_dashboards_show_no_year_end_card(area, client_for):
    city = client_for("city_admin")
    page = city.get(reverse("reports:org_dashboard", args=[area.city.pk])).content.decode()
    assert 'id="year-end-stat"' not in page
    page = city.get(reverse("reports:org_dashboard", args=[area.district_a.pk])).content.decode()
    assert 'id="year-end-stat"' in page
    page = city.get(reverse("reports:branch_dashboard", args=[area.branch_a.pk])).content
    assert b'id="year-end-stat"' not in page


def test_the_staff_workbench_names_the_year_end_of_its_area(area, client_for):
    client = client_for("district_staff")
    body = client.get("/").content.decode()
    line = re.search(r'<p class="wb-year-end"><a href="([^"]+)">([^<]+)</a>', body)
    assert line.group(2) == "年终: 2 个支部未开始 · 1 个进行中 · 1 个已完成 · 整改逾期 1 项"
    assert line.group(1) == f"{reverse('year_end:overview', args=[area.district_a.pk])}?year={YEAR}"
    assert _list_figures(client, area.district_a)[:3] == (2, 1, 1)
    assert len(client.get(line.group(1)).context["overdue"]) == 1
