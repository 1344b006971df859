"""The rendered dashboard bodies kept in the cache (reports.cache.page_key): served again
only to a reader holding the very same grants, in the same language, on the same day,
for the same query string, and never once the figures' version has moved."""

import datetime
import uuid

import pytest
from django.core.cache import cache as django_cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts import shared_cache
from accounts.audit import Change
from activities.meetings.services import recording
from branches.access import Role
from branches.models import Branch
from reports import cache, freshness
from tests import factories as f
from tests.otp import login_as

from .conftest import TODAY, T

Q1 = "?period=quarter&year=2026&quarter=1"
D = datetime.date

pytestmark = pytest.mark.django_db
MARK = "<p>kept-for-the-first-reader</p>"


@pytest.fixture
def kept(monkeypatch):
    """The keys of the bodies kept, in order."""
    keys = []
    keep = cache.keep_page

    def spy(key, body):
        if key is not None:
            keys.append(key)
        keep(key, body)

    monkeypatch.setattr(cache, "keep_page", spy)
    return keys


def reader(user):
    return login_as(Client(), user)


def test_a_body_kept_for_one_reader_is_never_served_to_another(world, frozen_today, kept):
    cast = world.cast
    url = reverse("reports:org_dashboard", args=[cast.street_a.pk]) + Q1
    district = reader(cast.user("district_staff"))
    street = reader(cast.user("street_staff"))
    assert district.get(url).status_code == 200
    [key] = kept
    # Mark the district staff's body: served from the cache, they see the mark.
    django_cache.set(key, shared_cache.page_entry(MARK))
    assert MARK in district.get(url).content.decode()
    # The street's staff may read the same page, but hold other grants: their own body.
    page = street.get(url).content.decode()
    assert MARK not in page
    assert len(kept) == 2 and kept[1] != key
    # The district is a link on the district staff's breadcrumbs, not on the street's.
    district_link = reverse("reports:org_dashboard", args=[cast.district_a.pk])
    assert f'href="{district_link}?' not in page
    # Another district's staff: 404 before any cache is looked at.
    assert reader(cast.user("district_b_staff")).get(url).status_code == 404


def test_two_readers_with_the_same_grants_share_a_body(world, frozen_today, kept):
    cast = world.cast
    url = reverse("reports:org_dashboard", args=[cast.district_a.pk]) + Q1
    assert reader(cast.user("district_staff")).get(url).status_code == 200
    django_cache.set(kept[0], shared_cache.page_entry(MARK))
    colleague = f.user(
        username="district_colleague", role=Role.DISTRICT_STAFF, node=cast.district_a
    )
    assert MARK in reader(colleague).get(url).content.decode()
    # One more grant (a second role somewhere) and the body is theirs alone.
    f.grant(colleague, Role.STREET_STAFF, cast.street_b)
    assert MARK not in reader(colleague).get(url).content.decode()


def test_a_change_shows_once_the_version_moves(world, frozen_today, kept):
    cast = world.cast
    url = reverse("reports:org_dashboard", args=[cast.district_a.pk]) + Q1
    client = reader(cast.user("district_staff"))
    assert cast.branch_a.name in client.get(url).content.decode()
    # Written past the services (and so past the audit): the kept body does not know.
    Branch.objects.filter(pk=cast.branch_a.pk).update(name="改名后的第一支部")
    assert "改名后的第一支部" not in client.get(url).content.decode()
    assert len(kept) == 1
    # An audited write there bumps the versions of its street and district.
    freshness.touch([Change("update", Branch.objects.get(pk=cast.branch_a.pk))])
    assert "改名后的第一支部" in client.get(url).content.decode()
    assert len(kept) == 2 and kept[1] != kept[0]


def test_a_meeting_recorded_through_its_service_renders_the_page_again(world, frozen_today, kept):
    cast = world.cast
    url = reverse("reports:org_dashboard", args=[cast.community_a2.pk]) + Q1
    client = reader(cast.user("district_staff"))
    client.get(url)
    client.get(url)
    assert len(kept) == 1
    recording.meeting_record_new(
        branch=cast.branch_a2,
        details={"kind": T, "topic": "补开", "held_on": D(2026, 2, 26)},
        marks={},
        client_key=uuid.uuid4(),
        actor=cast.user("district_staff"),
    )
    client.get(url)
    assert len(kept) == 2 and kept[1] != kept[0]


def test_other_query_strings_are_rendered_but_never_kept(world, frozen_today, kept):
    cast = world.cast
    client = reader(cast.user("district_staff"))
    base = reverse("reports:org_dashboard", args=[cast.district_a.pk])
    for query in (Q1 + "&utm=x", Q1 + "&sort=name&sort=-name"):
        assert client.get(base + query).status_code == 200
    assert kept == []
    # The city's figures go by every district's version: its body is not kept either.
    city = reader(cast.user("city_admin"))
    assert city.get(reverse("reports:org_dashboard", args=[cast.city.pk]) + Q1).status_code == 200
    assert kept == []


def test_the_key_carries_the_language_the_day_and_the_query(world, rf):
    cast = world.cast
    request = rf.get("/", {"period": "quarter", "year": "2026", "quarter": "1"})
    request.user = cast.user("district_staff")
    key = cache.page_key(cast.district_a, request, TODAY)
    with translation.override("en"):
        assert cache.page_key(cast.district_a, request, TODAY) != key
    assert cache.page_key(cast.district_a, request, D(2026, 5, 21)) != key
    other = rf.get("/", {"period": "year", "year": "2026"})
    other.user = request.user
    assert cache.page_key(cast.district_a, other, TODAY) != key
    assert cache.page_key(cast.district_a, request, TODAY) == key


def test_a_year_end_record_moves_the_kept_page_and_the_workbench_figures(world, frozen_today, kept):
    """The page and the workbench keep the area's year end under the figures version:
    a year-end record (audited) must move it."""
    from activities.year_end import services as year_end

    cast = world.cast
    url = reverse("reports:org_dashboard", args=[cast.district_a.pk]) + Q1
    client = reader(cast.user("district_staff"))
    client.get(url)
    user = cast.user("district_staff")
    summary = cache.area_year_end(user, cast.district_a, TODAY)
    assert summary.not_started >= 1 and summary.in_progress == 0
    year_end.no_problems_set(branch=cast.branch_a, year=TODAY.year, value=True, actor=user)
    client.get(url)
    assert len(kept) == 2 and kept[1] != kept[0]
    district = type(cast.district_a).objects.get(pk=cast.district_a.pk)
    moved = cache.area_year_end(user, district, TODAY)
    assert moved.in_progress + moved.done == 1
    assert moved.not_started == summary.not_started - 1


def test_a_branch_page_is_kept_per_grants_until_its_street_changes(world, frozen_today, kept):
    cast = world.cast
    url = reverse("reports:branch_dashboard", args=[cast.branch_a.pk]) + Q1
    district = reader(cast.user("district_staff"))
    assert district.get(url).status_code == 200
    [key] = kept
    assert ":branch" in key
    django_cache.set(key, shared_cache.page_entry(MARK))
    assert MARK in district.get(url).content.decode()
    assert MARK not in reader(cast.user("community_secretary")).get(url).content.decode()
    assert reader(cast.user("district_b_staff")).get(url).status_code == 404
    # A write in its street: rendered again.
    freshness.touch([Change("update", Branch.objects.get(pk=cast.branch_a.pk))])
    assert MARK not in district.get(url).content.decode()
