"""What each role sees of the organisation tree, and the wall between two districts.

The URL x role matrix (tests/security) checks one object per URL; here the lists are read
row by row, and every object URL of district B is walked as each district A user (and the
other way round): every answer is 404 and a refused POST changes nothing.
"""

import copy

import pytest
from django.urls import NoReverseMatch, reverse

from branches.models import Branch, Organization, Venue

from ..conftest import ROLE_USERS
from ..security.matrix import Spec
from ..security.test_url_matrix import SPECS

pytestmark = pytest.mark.django_db


def branch_ids(response):
    return {branch.pk for branch in response.context["page"].object_list}


def venue_ids(response):
    return {venue.pk for venue in response.context["page"].object_list}


def get_ok(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    return response


def everything_except(cast, *kept):
    return {
        obj.pk
        for obj in (cast.branch_a, cast.branch_a2, cast.functional_a, cast.branch_b)
        if obj not in kept
    }


# --- What each role sees -------------------------------------------------------------------


def test_a_community_secretary_sees_only_their_community(cast, client_for):
    client = client_for("community_secretary")

    tree = get_ok(client, reverse("branches:org_tree"))
    assert tree.context["node"] == cast.community_a, "the tree opens on their community"
    assert {b.pk for b in tree.context["branches"]} == {cast.branch_a.pk}
    assert list(tree.context["children"]) == []

    listing = get_ok(client, reverse("branches:branch_list"))
    assert branch_ids(listing) == {cast.branch_a.pk}
    html = listing.content.decode()
    for other in (cast.branch_a2, cast.functional_a, cast.branch_b):
        assert other.name not in html

    assert venue_ids(get_ok(client, reverse("branches:venue_list"))) == {cast.venue_a.pk}

    assert client.get(reverse("branches:branch_detail", args=[cast.branch_a.pk])).status_code == 200
    for pk in everything_except(cast, cast.branch_a):
        assert client.get(reverse("branches:branch_detail", args=[pk])).status_code == 404
    for node in (cast.street_a, cast.district_a, cast.city, cast.community_a2, cast.community_b):
        response = client.get(reverse("branches:org_detail", args=[node.pk]))
        assert response.status_code == 404, node.name


def test_district_staff_see_their_whole_district_and_nothing_of_the_next(cast, client_for):
    client = client_for("district_staff")

    tree = get_ok(client, reverse("branches:org_tree"))
    assert tree.context["node"] == cast.district_a
    assert {c.pk for c in tree.context["children"]} == {cast.street_a.pk, cast.street_a2.pk}
    street = get_ok(client, reverse("branches:org_detail", args=[cast.street_a.pk]))
    assert {c.pk for c in street.context["children"]} == {cast.community_a.pk}
    assert {b.pk for b in street.context["branches"]} == {cast.functional_a.pk}

    listing = get_ok(client, reverse("branches:branch_list"))
    assert branch_ids(listing) == {cast.branch_a.pk, cast.branch_a2.pk, cast.functional_a.pk}
    assert cast.branch_b.name not in listing.content.decode()
    assert venue_ids(get_ok(client, reverse("branches:venue_list"))) == {cast.venue_a.pk}

    for node in (cast.district_b, cast.street_b, cast.community_b, cast.city):
        response = client.get(reverse("branches:org_detail", args=[node.pk]))
        assert response.status_code == 404, node.name
    response = client.get(reverse("branches:branch_detail", args=[cast.branch_b.pk]))
    assert response.status_code == 404


def test_street_staff_see_only_their_street(cast, client_for):
    client = client_for("street_staff")

    tree = get_ok(client, reverse("branches:org_tree"))
    assert tree.context["node"] == cast.street_a
    assert {c.pk for c in tree.context["children"]} == {cast.community_a.pk}

    listing = get_ok(client, reverse("branches:branch_list"))
    assert branch_ids(listing) == {cast.branch_a.pk, cast.functional_a.pk}
    assert venue_ids(get_ok(client, reverse("branches:venue_list"))) == {cast.venue_a.pk}

    for pk in (cast.branch_a.pk, cast.functional_a.pk):
        assert client.get(reverse("branches:branch_detail", args=[pk])).status_code == 200
    for pk in (cast.branch_a2.pk, cast.branch_b.pk):
        assert client.get(reverse("branches:branch_detail", args=[pk])).status_code == 404
    for node in (cast.street_a2, cast.community_a2, cast.district_a):
        response = client.get(reverse("branches:org_detail", args=[node.pk]))
        assert response.status_code == 404, node.name


def test_a_branch_secretary_sees_their_branch_only(cast, client_for):
    client = client_for("branch_secretary")
    assert branch_ids(get_ok(client, reverse("branches:branch_list"))) == {cast.branch_a.pk}
    for pk in everything_except(cast, cast.branch_a):
        assert client.get(reverse("branches:branch_detail", args=[pk])).status_code == 404
    # No area of their own: not even their branch's community page.
    response = client.get(reverse("branches:org_detail", args=[cast.community_a.pk]))
    assert response.status_code == 404


def test_the_branch_page_links_its_organisation_only_for_those_who_may_open_it(cast, client_for):
    page = reverse("branches:branch_detail", args=[cast.branch_a.pk])
    org = reverse("branches:org_detail", args=[cast.community_a.pk])
    # The branch secretary's organisation page is a 404 to them: named, not linked.
    html = get_ok(client_for("branch_secretary"), page).content.decode()
    assert cast.community_a.name in html
    assert f'href="{org}"' not in html
    html = get_ok(client_for("community_secretary"), page).content.decode()
    assert f'href="{org}"' in html


def test_a_unit_liaison_sees_no_branch(cast, client_for):
    liaison = cast.user("unit_liaison")
    assert not Branch.objects.visible_to(liaison).exists()
    assert not Organization.objects.visible_to(liaison).exists()
    assert not Venue.objects.visible_to(liaison).exists()

    client = client_for("unit_liaison")
    for name in ("branches:org_tree", "branches:branch_list", "branches:venue_list"):
        assert client.get(reverse(name)).status_code == 404, name
    for branch in (cast.branch_a, cast.branch_a2, cast.functional_a, cast.branch_b):
        response = client.get(reverse("branches:branch_detail", args=[branch.pk]))
        assert response.status_code == 404
    # The workbench names the branches where the unit's retirees take part, and links
    # to none of them.
    home = get_ok(client, reverse("home")).content.decode()
    for branch in (cast.branch_a, cast.branch_a2, cast.functional_a, cast.branch_b):
        assert reverse("branches:branch_detail", args=[branch.pk]) not in home


# --- The wall between district A and district B -------------------------------------------


# Jobs tied to one part of one district (the city-wide roles are left out).
DISTRICT_JOBS = frozenset(
    key for key, (_, node) in ROLE_USERS.items() if node.endswith(("_a", "_a2", "_b"))
)


def _in_district(cast, key, district):
    node = getattr(cast, ROLE_USERS[key][1])
    if hasattr(node, "district"):  # an original unit
        node = node.district
    elif isinstance(node, Branch):
        node = node.organization
    return node.path.startswith(district.path)


def district_users(cast, district):
    return sorted(key for key in ROLE_USERS if _in_district(cast, key, district))


def _twin_name(name: str) -> str | None:
    """`branch_a` -> `branch_b`, `reg_a_reported` -> `reg_b_reported`; None if not A-side."""
    tokens = name.split("_")
    if "a" not in tokens:
        return None
    i = len(tokens) - 1 - tokens[::-1].index("a")
    return "_".join([*tokens[:i], "b", *tokens[i + 1 :]])


def a_side(cast) -> set[str]:
    """Names of the cast's district A objects (`branch_a`, `street_a2`, `reg_a_reported`)."""
    return {name for name in vars(cast) if {"a", "a2"} & set(name.split("_"))}


def twins(cast) -> dict[str, str]:
    """District A object name -> the name of its twin in district B, where the cast has one."""
    found = {}
    for name in a_side(cast):
        twin = _twin_name(name)
        if twin and getattr(cast, twin, None) is not None:
            found[name] = twin
    return found


def mirrored(cast):
    """The cast with every district A object replaced by its district B twin, so a Spec's
    kwargs/post/state callables point at district B's objects."""
    mirror = copy.copy(cast)
    for name, twin in twins(cast).items():
        setattr(mirror, name, getattr(cast, twin))
    return mirror


class _Recorder:
    """Wraps the cast and notes which of its attributes a Spec reads."""

    def __init__(self, cast):
        self._cast = cast
        self.touched: set[str] = set()

    def __getattr__(self, name):
        self.touched.add(name)
        return getattr(self._cast, name)


# URLs whose path argument names a kind of thing, not an object of anybody's area.
NOT_OBJECTS = {"rollout_jobs:template"}  # the blank workbook of an import kind


def _names_an_object(spec) -> bool:
    """Whether the URL names an object: path arguments, or a query string."""
    if spec.name in NOT_OBJECTS:
        return False
    try:
        reverse(spec.name)
    except NoReverseMatch:
        return True
    return spec.query is not Spec.__dataclass_fields__["query"].default


# URLs that name an object (in the path or the query string).
OBJECT_SPECS = [spec for spec in SPECS if _names_an_object(spec)]


def _reachable_in_a_district(spec) -> bool:
    """Some district-level user may open it at all (not only the city-wide admins)."""
    return bool((spec.ok | spec.forbidden | spec.redirect) & DISTRICT_JOBS)


def _url(spec, cast):
    url = reverse(spec.name, kwargs=spec.kwargs(cast))
    if query := spec.query(cast):
        url += f"?{query}"
    return url


# Object URLs whose cast object has no district B twin yet: swept one way only (district B
# users on district A's object). Give the object a `_b` twin in tests/conftest.py and take
# the URL off this list.
AWAITING_TWINS = {
    "members:registration_report": "member_a_unregistered",
    "members:registration_accept": "reg_a_reported",
    "year_end:pair_delete": "member_a_bedridden",
    "year_end:talk_record": "member_a_bedridden",
}


def test_the_sweep_covers_every_object_url(cast):
    assert {s.name for s in OBJECT_SPECS} >= {
        "branches:org_detail",
        "branches:branch_detail",
        "branches:branch_edit",
        "branches:group_create",
        "branches:group_edit",
        "branches:venue_edit",
    }
    # Each object URL that district staff can open must point at district B's twin of every
    # district A object it uses, or the a->b sweep proves nothing. (City-wide admin pages,
    # e.g. a user account, belong to no district.)
    unmirrored = {}
    for spec in filter(_reachable_in_a_district, OBJECT_SPECS):
        recorder = _Recorder(cast)
        _url(spec, recorder)
        used = recorder.touched & a_side(cast)
        if not used or used - set(twins(cast)):
            unmirrored[spec.name] = ", ".join(sorted(used - set(twins(cast)))) or "none"
    assert unmirrored == AWAITING_TWINS, "object URLs whose cast objects lack a district B twin"


def test_both_districts_have_users_to_sweep_with(cast):
    assert set(district_users(cast, cast.district_a)) >= {
        "district_staff",
        "street_staff",
        "community_secretary",
        "branch_secretary",
        "unit_liaison",
    }
    assert set(district_users(cast, cast.district_b)) == {
        "district_b_staff",
        "community_b_secretary",
    }


SWEEP = [
    pytest.param(spec, direction, id=f"{spec.key}-{direction}")
    for spec in OBJECT_SPECS
    for direction in ("a_users_on_b_objects", "b_users_on_a_objects")
    if not (spec.name in AWAITING_TWINS and direction == "a_users_on_b_objects")
]


@pytest.mark.parametrize(("spec", "direction"), SWEEP)
def test_every_object_url_of_one_district_is_404_to_the_other(spec, direction, cast, client):
    if direction == "a_users_on_b_objects":
        users, target = district_users(cast, cast.district_a), mirrored(cast)
    else:
        users, target = district_users(cast, cast.district_b), cast
    url = _url(spec, target)
    before = spec.state(target) if spec.post else None
    answers = {}
    for key in users:
        client.force_login(cast.user(key))
        answers[(key, "GET")] = client.get(url).status_code
        if spec.post:
            answers[(key, "POST")] = client.post(url, spec.post(target)).status_code
    # A view that only takes POST answers a GET with 405 before looking at the object.
    expected = {"GET": spec.everyone or 404, "POST": 404}
    wrong = {k: v for k, v in answers.items() if v != expected[k[1]]}
    assert answers and wrong == {}, f"{url}: (user, method) -> status"
    if spec.post:
        assert spec.state(target) == before, "a refused POST changed the object"


@pytest.mark.parametrize("user", ["district_staff", "community_secretary", "district_b_staff"])
def test_a_new_branch_cannot_be_placed_in_the_other_district(user, cast, client_for):
    foreign = cast.community_a if user == "district_b_staff" else cast.community_b
    before = Branch.objects.count()
    response = client_for(user).post(
        reverse("branches:branch_create"),
        {"name": "越界支部", "kind": "community", "organization": foreign.pk},
    )
    assert response.status_code == 200
    assert "organization" in response.context["form"].errors
    response = client_for(user).post(
        reverse("branches:branch_create") + f"?organization={foreign.pk}",
        {"name": "越界支部", "kind": "community", "organization": foreign.pk},
    )
    assert response.status_code == 404
    assert Branch.objects.count() == before


def test_a_branch_cannot_be_given_the_other_districts_venue(cast, client_for):
    response = client_for("community_secretary").post(
        reverse("branches:branch_edit", args=[cast.branch_a.pk]),
        {
            "name": cast.branch_a.name,
            "kind": "community",
            "organization": cast.community_a.pk,
            "venue": cast.venue_b.pk,
        },
    )
    assert response.status_code == 200
    assert "venue" in response.context["form"].errors
    cast.branch_a.refresh_from_db()
    assert cast.branch_a.venue_id == cast.venue_a.pk


def test_a_venue_cannot_be_created_in_the_other_district(cast, client_for):
    before = Venue.objects.count()
    response = client_for("district_b_staff").post(
        reverse("branches:venue_create"),
        {"name": "越界活动室", "kind": "other", "organization": cast.community_a.pk},
    )
    assert response.status_code == 200
    assert "organization" in response.context["form"].errors
    assert Venue.objects.count() == before
