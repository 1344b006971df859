"""The pages: preview then confirm; both places inside the user's area, else 404."""

import pytest
from django.urls import reverse

from branches.models import Organization

pytestmark = pytest.mark.django_db


def fresh(node):
    return Organization.objects.get(pk=node.pk)


def test_the_preview_counts_and_changes_nothing_until_confirmed(cast, client_for):
    client = client_for("district_staff")
    data = {"community": cast.community_a.pk, "street": cast.street_a2.pk}
    response = client.post(reverse("regions:move"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "确认" in page and 'name="token"' in page
    assert fresh(cast.community_a).parent_id == cast.street_a.pk
    token = response.context["preview"].token
    response = client.post(reverse("regions:move"), {**data, "token": token, "confirm": "1"})
    assert response.status_code == 302
    assert fresh(cast.community_a).parent_id == cast.street_a2.pk


def test_a_target_outside_the_users_area_is_404_and_changes_nothing(cast, client_for):
    data = {"community": cast.community_a.pk, "street": cast.street_b.pk, "confirm": "1"}
    assert client_for("district_staff").post(reverse("regions:move"), data).status_code == 404
    data = {"community": cast.community_a.pk, "street": cast.street_a2.pk}
    assert client_for("district_b_staff").post(reverse("regions:move"), data).status_code == 404
    assert fresh(cast.community_a).parent_id == cast.street_a.pk


def test_the_city_moves_a_community_to_another_district(cast, client_for):
    client = client_for("city_admin")
    data = {"community": cast.community_a.pk, "street": cast.street_b.pk}
    token = client.post(reverse("regions:move"), data).context["preview"].token
    client.post(reverse("regions:move"), {**data, "token": token, "confirm": "1"})
    assert fresh(cast.community_a).path.startswith(fresh(cast.district_b).path)


def test_a_stale_token_shows_the_new_preview(cast, client_for):
    client = client_for("district_staff")
    data = {"node": cast.community_a.pk, "name": "新名", "token": "0" * 40, "confirm": "1"}
    response = client.post(reverse("regions:rename"), data)
    assert response.status_code == 200
    assert "预览" in response.content.decode() or response.context["preview"]
    assert fresh(cast.community_a).name == cast.community_a.name


@pytest.mark.parametrize("value", ["1\x00", "¹", "9" * 40, "abc"])
def test_the_split_chooser_parses_its_query(cast, client_for, value):
    response = client_for("district_staff").get(
        reverse("regions:split_choose"), {"community": value}
    )
    assert response.status_code in (200, 400)


def test_a_bad_code_is_named_in_chinese(cast, client_for):
    client = client_for("district_staff")
    url = reverse("regions:split", kwargs={"pk": cast.community_a.pk})
    response = client.post(url, {"name": "新", "code": "999999999", "branches": [cast.branch_a.pk]})
    assert response.status_code == 200
    assert "街道" in response.content.decode()


def test_a_merged_away_community_stays_in_the_tree_marked_closed(cast, client_for):
    import datetime

    from rollout.regions import selectors, services

    kept, merged = fresh(cast.community_a), fresh(cast.community_a2)
    services.community_merge(
        kept=kept,
        merged=merged,
        on=datetime.date(2026, 2, 16),
        actor=cast.user("district_staff"),
        expected=selectors.community_merge_preview(kept, merged).token,
    )
    page = client_for("district_staff").get(
        reverse("branches:org_detail", args=[cast.street_a2.pk])
    )
    assert "2026-02-16 已撤并" in page.content.decode()
