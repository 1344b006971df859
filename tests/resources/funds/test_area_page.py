"""The funds overview's rendered body, kept under the area's figures version: a funds
write shows at once, a reader with other grants never gets another's body, and a kept
page costs the same few queries however many branches the area has."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import shared_cache
from branches.access import Role
from resources.funds import services

from ... import factories as f
from ...factories import branch as make_branch
from ...otp import login_as
from .conftest import grant, spend

pytestmark = pytest.mark.django_db
MARK = "<p>kept-for-the-first-reader</p>"
# A kept overview: the request's own (session, user, roles), the node, its figures
# version; nothing computed, nothing rendered but the page around the body.
KEPT_QUERIES = 5


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def reader(user):
    return login_as(Client(), user)


def figure(page: str, name: str) -> str:
    return re.search(rf'id="area-{name}">(?:<strong>)?([\d.,-]+)', page).group(1)


def queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_every_funds_write_shows_at_once_on_a_kept_overview(cast, kept):
    client = reader(cast.user("district_staff"))
    url = reverse("funds:area", args=[cast.district_a.pk])
    grant(cast, "1000.00")
    queries(client, url)
    n, page = queries(client, url)
    assert n == KEPT_QUERIES and len(kept) == 1  # served kept
    assert (figure(page, "allocated"), figure(page, "spent")) == ("1000.00", "0.00")
    spend(cast, "30.10")
    assert figure(client.get(url).content.decode(), "spent") == "30.10"
    pending = spend(cast, "650.00")  # above the district's threshold: waits
    page = client.get(url).content.decode()
    assert figure(page, "spent") == "30.10" and "650.00" in page
    services.spending_decide(spending=pending, approve=True, actor=cast.user("community_secretary"))
    assert figure(client.get(url).content.decode(), "spent") == "680.10"
    grant(cast, "5.00")
    assert figure(client.get(url).content.decode(), "allocated") == "1005.00"
    street = reader(cast.user("street_staff"))
    street_url = reverse("funds:area", args=[cast.street_a.pk])
    assert 'id="close-year"' in street.get(street_url).content.decode()
    services.year_close(street=cast.street_a, year=pending.year, actor=cast.user("street_staff"))
    page = street.get(street_url).content.decode()
    assert 'id="year-closed"' in page and 'id="close-year"' not in page


def test_a_body_kept_for_one_reader_is_never_served_to_another(cast, kept):
    url = reverse("funds:area", args=[cast.street_a.pk])
    street = reader(cast.user("street_staff"))
    assert 'id="close-year"' in street.get(url).content.decode()
    [key] = kept
    cache.set(key, shared_cache.page_entry(MARK))
    assert MARK in street.get(url).content.decode()
    # The district's staff may read the street's funds too, but hold other grants (they
    # do not close the street's year): their own body, without the street's button.
    page = reader(cast.user("district_staff")).get(url).content.decode()
    assert MARK not in page and 'id="close-year"' not in page
    assert len(kept) == 2 and kept[1] != key
    # Another district's staff: refused before any cache is looked at.
    assert reader(cast.user("district_b_staff")).get(url).status_code == 404


def test_two_readers_with_the_same_grants_share_a_body(cast, kept):
    url = reverse("funds:area", args=[cast.district_a.pk])
    assert reader(cast.user("district_staff")).get(url).status_code == 200
    cache.set(kept[0], shared_cache.page_entry(MARK))
    colleague = f.user(
        username="district_colleague", role=Role.DISTRICT_STAFF, node=cast.district_a
    )
    assert MARK in reader(colleague).get(url).content.decode()
    # Another year is another body.
    assert MARK not in reader(colleague).get(url + "?year=2020").content.decode()


def test_a_kept_overview_costs_the_same_with_more_branches(cast):
    client = reader(cast.user("district_staff"))
    url = reverse("funds:area", args=[cast.district_a.pk])
    grant(cast, "100.00")
    client.get(url)
    assert queries(client, url)[0] == KEPT_QUERIES
    for i in range(4):
        b = make_branch(organization=cast.community_a, name=f"第{i}支部")
        grant(cast, "100.00", branch=b)
        spend(cast, "10.00", branch=b)
    n, page = queries(client, url)
    assert n > KEPT_QUERIES and "第3支部" in page  # the version moved: computed again
    assert queries(client, url)[0] == KEPT_QUERIES
