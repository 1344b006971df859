"""The roster's area kept in the cache (members.selectors.roster_area: the count of the
unfiltered roster, the filter's communities and branches): a write shows at once, another
reader's area is never served, and readers whose grants are not on organisation nodes
read it themselves."""

import datetime
import html
import re

import pytest
from django.core.cache import cache as django_cache
from django.test import Client
from django.urls import reverse

from accounts import shared_cache
from branches.access import Role
from members import selectors
from members.models import Member
from members.validators import make_id_number
from tests import factories as f
from tests.otp import login_as

from .test_views import member_data

pytestmark = pytest.mark.django_db
ROSTER = reverse("members:roster")


@pytest.fixture
def area_keys(monkeypatch):
    """The keys the roster's area was looked up under, in order."""
    keys = []
    build = shared_cache.kept_key

    def spy(*args, **kwargs):
        keys.append(build(*args, **kwargs))
        return keys[-1]

    monkeypatch.setattr(selectors.shared_cache, "kept_key", spy)
    return keys


def reader(user):
    return login_as(Client(), user)


def options(response, name) -> dict[int, str]:
    """The options of the filter's `name` select, as shown."""
    text = response.content.decode()
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', text, re.S).group(1)
    return {
        int(value): html.unescape(label)
        for value, label in re.findall(r'<option value="(-?\d+)"[^>]*>([^<]*)</option>', select)
    }


def branch_options(response) -> dict[int, str]:
    return options(response, "branch")


def test_a_member_added_is_counted_at_once(cast, area_keys):
    secretary = reader(cast.user("community_secretary"))
    before = secretary.get(ROSTER).context["page"].paginator.count
    assert before == Member.objects.filter(community=cast.community_a, status="active").count()
    assert len(area_keys) == 1 and django_cache.get(area_keys[0]) is not None
    born = datetime.date(1951, 6, 1)
    data = member_data(
        cast.member_a,
        name="新党员",
        id_number=make_id_number("319901", born, 33, male=False),
        birth_date=born.isoformat(),
        gender="female",
        community=cast.community_a.pk,
    )
    assert secretary.post(reverse("members:member_create"), data).status_code == 302
    assert secretary.get(ROSTER).context["page"].paginator.count == before + 1
    assert secretary.get(ROSTER, {"page": 1}).context["page"].paginator.count == before + 1
    assert area_keys[1] != area_keys[0]  # the version moved with the write


def test_a_filtered_roster_is_counted_by_its_own_query(cast):
    secretary = reader(cast.user("community_secretary"))
    assert secretary.get(ROSTER).context["page"].paginator.count > 1
    response = secretary.get(ROSTER, {"q": cast.member_a.name})
    assert response.context["page"].paginator.count == 1


def test_a_branch_added_renamed_or_moved_shows_in_the_filter_at_once(cast):
    district = reader(cast.user("district_staff"))
    street = reader(cast.user("street_staff"))
    assert cast.branch_a.pk in branch_options(street.get(ROSTER))
    fields = {"kind": "community", "organization": cast.community_a.pk}
    response = district.post(reverse("branches:branch_create"), {"name": "新建支部", **fields})
    assert response.status_code == 302
    new = cast.branch_a.__class__.objects.get(name="新建支部")
    assert branch_options(street.get(ROSTER))[new.pk] == "新建支部"
    edit = reverse("branches:branch_edit", args=[cast.branch_a.pk])
    response = district.post(edit, {"name": "改名支部", **fields, "venue": cast.venue_a.pk})
    assert response.status_code == 302
    assert branch_options(street.get(ROSTER))[cast.branch_a.pk] == "改名支部"
    # Moved into the other street: gone from this street's list, in the district's.
    moved = {**fields, "organization": cast.community_a2.pk}
    assert district.post(edit, {"name": "改名支部", **moved}).status_code == 302
    assert cast.branch_a.pk not in branch_options(street.get(ROSTER))
    assert cast.branch_a.pk in branch_options(district.get(ROSTER))


def test_an_area_kept_for_one_reader_is_never_served_to_another(cast, area_keys):
    district = reader(cast.user("district_staff"))
    street = reader(cast.user("street_staff"))
    assert district.get(ROSTER).status_code == 200
    [key] = area_keys
    mark = selectors.RosterArea(active_count=1, communities=[], branches=[(-1, "kept-mark")])
    django_cache.set(key, mark)
    assert branch_options(district.get(ROSTER))[-1] == "kept-mark"
    # The same grants share the entry; the street's staff hold others: their own area.
    colleague = f.user(username="colleague", role=Role.DISTRICT_STAFF, node=cast.district_a)
    assert branch_options(reader(colleague).get(ROSTER))[-1] == "kept-mark"
    options = branch_options(street.get(ROSTER))
    assert -1 not in options and cast.branch_a.pk in options
    assert cast.branch_a2.pk not in options  # street_a2's
    assert len(area_keys) == 4 and area_keys[2] == key != area_keys[3]


@pytest.mark.parametrize("key", ["branch_secretary", "unit_liaison"])
def test_readers_granted_a_branch_or_a_unit_read_their_area_themselves(cast, key, area_keys):
    assert reader(cast.user(key)).get(ROSTER).status_code == 200
    assert area_keys == []


def filter_fields(response) -> str:
    """The filter's fields as shown (up to its submit button)."""
    text = response.content.decode()
    return re.search(r'<form method="get" class="filter-bar".*?<button', text, re.S).group(0)


def test_the_unfiltered_rosters_filter_is_the_one_a_filtered_roster_builds(cast):
    district = reader(cast.user("district_staff"))
    kept = [filter_fields(district.get(ROSTER, query)) for query in ({}, {"page": 1}, {})]
    built = filter_fields(district.get(ROSTER, {"q": ""}))  # a query: the form built
    assert kept == [built] * 3
    assert f'<option value="{cast.branch_a.pk}">{cast.branch_a.name}</option>' in built


def test_a_unit_added_shows_in_the_filter_at_once(cast):
    # A new unit moves no figures version (reports.freshness): the filter reads the units.
    street = reader(cast.user("street_staff"))
    assert cast.unit_a.pk in options(street.get(ROSTER), "original_unit")
    unit = f.unit(name="新建原单位", district=cast.district_a)
    assert options(street.get(ROSTER), "original_unit")[unit.pk] == "新建原单位"
