"""The branch page's members panel and party groups kept rendered (branches.views
.branch_detail): every write they show moves the key at once, another reader's panels
are never served, and the same grants share them."""

import datetime

import pytest
from django.core.cache import cache as django_cache
from django.test import Client
from django.urls import reverse

from accounts import shared_cache
from accounts.audit import Change
from branches import views
from branches.access import Role
from reports import freshness
from tests import factories as f
from tests.otp import login_as

pytestmark = pytest.mark.django_db
MARK = "<p>kept-for-the-first-reader</p>"


@pytest.fixture
def panel_keys(monkeypatch):
    """The keys the branch page's panels were looked up under, in order."""
    keys = []
    build = shared_cache.kept_key

    def spy(*args, **kwargs):
        keys.append(build(*args, **kwargs))
        return keys[-1]

    monkeypatch.setattr(views.shared_cache, "kept_key", spy)
    return keys


def reader(user):
    return login_as(Client(), user)


def page(client, branch) -> str:
    response = client.get(reverse("branches:branch_detail", args=[branch.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_member_who_moved_away_is_no_longer_counted_at_once(cast, panel_keys):
    secretary = reader(cast.user("community_secretary"))
    assert '<dd class="num-text">2 ·' in page(secretary, cast.branch_a)
    url = reverse("members:member_status", args=[cast.member_a_bedridden.pk])
    response = secretary.post(url, {"status": "moved", "status_on": "2026-01-05", "note": ""})
    assert response.status_code == 302
    assert '<dd class="num-text">1 ·' in page(secretary, cast.branch_a)
    assert panel_keys[0] != panel_keys[1]


def test_a_term_a_group_leader_and_a_group_renamed_show_at_once(cast):
    secretary = reader(cast.user("community_secretary"))
    assert "赵德明" not in page(secretary, cast.branch_a)  # no term, no leader yet
    term = {"number": 1, "starts_on": "2025-01-01", "ends_on": "2030-01-01"}
    url = reverse("members:term_create", args=[cast.branch_a.pk])
    assert secretary.post(url, {**term, "post_secretary": cast.member_a.pk}).status_code == 302
    assert "赵德明" in page(secretary, cast.branch_a)
    url = reverse("members:group_leader", args=[cast.group_a.pk])
    assert secretary.post(url, {"member": cast.member_a.pk, "starts_on": "2024-05-01"}).url
    assert f"{cast.group_a.name}组长" in page(secretary, cast.branch_a)
    url = reverse("branches:group_edit", args=[cast.group_a.pk])
    response = secretary.post(url, {"number": cast.group_a.number, "name": "改名小组"})
    assert response.status_code == 302
    assert "改名小组组长" in page(secretary, cast.branch_a)


def test_a_seconded_member_recorded_shows_at_once(cast):
    secretary = reader(cast.user("community_secretary"))
    assert "王建国" not in page(secretary, cast.branch_a)
    response = secretary.post(
        reverse("members:seconded_create", args=[cast.branch_a.pk]),
        {
            "name": "王建国",
            "unit": cast.unit_a.pk,
            "role": "committee",
            "job_title": "机关党委副书记",
            "phone": "13900001234",
            "starts_on": datetime.date.today().isoformat(),
            "ends_on": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    assert "王建国" in page(secretary, cast.branch_a)


def test_a_unit_changed_moves_every_version_and_a_unit_created_none(cast):
    assert freshness._places(Change("update", cast.unit_a)) is freshness.EVERY_DISTRICT
    assert freshness._places(Change("delete", cast.unit_a)) is freshness.EVERY_DISTRICT
    assert freshness._places(Change("create", cast.unit_a)) is None


def test_panels_kept_for_one_reader_are_never_served_to_another(cast, panel_keys):
    district = reader(cast.user("district_staff"))
    page(district, cast.branch_a)
    [key] = panel_keys
    django_cache.set(key, shared_cache.page_entry(MARK))
    assert MARK in page(district, cast.branch_a)
    colleague = f.user(username="colleague", role=Role.DISTRICT_STAFF, node=cast.district_a)
    assert MARK in page(reader(colleague), cast.branch_a)
    # The branch's secretary may edit its groups: their own panels, with the buttons.
    text = page(reader(cast.user("community_secretary")), cast.branch_a)
    assert MARK not in text
    assert reverse("branches:group_create", args=[cast.branch_a.pk]) in text
    assert len(panel_keys) == 4 and panel_keys[2] == key != panel_keys[3]
