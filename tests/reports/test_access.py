"""Who sees which dashboard: only nodes inside the user's scope with can_view_dashboard;
anything else answers 404 (the URL x role matrix covers community A and branch_a)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def status(client, name, pk, query=""):
    return client.get(reverse(name, args=[pk]) + query).status_code


def test_street_staff_see_their_street_and_below_but_not_the_district_or_a_sibling(
    cast, client_for
):
    client = client_for("street_staff")
    assert status(client, "reports:org_dashboard", cast.street_a.pk) == 200
    assert status(client, "reports:org_dashboard", cast.community_a.pk) == 200
    assert status(client, "reports:branch_dashboard", cast.functional_a.pk) == 200
    assert status(client, "reports:org_dashboard", cast.district_a.pk) == 404
    assert status(client, "reports:org_dashboard", cast.street_a2.pk) == 404
    assert status(client, "reports:org_dashboard", cast.community_a2.pk) == 404
    assert status(client, "reports:branch_dashboard", cast.branch_a2.pk) == 404
    assert status(client, "reports:org_pdf", cast.street_a2.pk) == 404


def test_exports_and_lists_of_another_street_are_404(cast, client_for):
    client = client_for("street_staff")
    export = reverse("reports:org_export", args=[cast.street_a2.pk, "comparison"])
    assert client.get(export).status_code == 404
    for name in ("reports:org_members", "reports:org_branches", "reports:org_meetings"):
        assert status(client, name, cast.street_a2.pk) == 404
    assert status(client, "reports:branch_members", cast.branch_a2.pk) == 404


def test_a_unit_liaison_and_a_branch_secretary_see_no_dashboard_at_all(cast, client_for):
    for role in ("unit_liaison", "branch_secretary"):
        client = client_for(role)
        assert client.get(reverse("reports:index")).status_code == 404
        assert status(client, "reports:org_dashboard", cast.community_a.pk) == 404
        assert status(client, "reports:branch_dashboard", cast.branch_a.pk) == 404


def test_district_b_staff_see_none_of_district_a(cast, client_for):
    client = client_for("district_b_staff")
    assert status(client, "reports:org_dashboard", cast.district_a.pk) == 404
    assert status(client, "reports:org_dashboard", cast.district_b.pk) == 200
    assert status(client, "reports:branch_dashboard", cast.branch_a.pk) == 404


def test_the_index_sends_a_user_with_one_node_into_its_dashboard(cast, client_for):
    response = client_for("street_staff").get(reverse("reports:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:org_dashboard", args=[cast.street_a.pk])


def test_an_unknown_export_table_is_404(cast, client_for):
    client = client_for("district_staff")
    url = reverse("reports:org_export", args=[cast.district_a.pk, "salaries"])
    assert client.get(url).status_code == 404


def test_breadcrumbs_link_only_ancestors_inside_the_scope(world, client_for, frozen_today):
    cast = world.cast
    page = client_for("street_staff").get(
        reverse("reports:org_dashboard", args=[cast.community_a.pk])
    )
    html = page.content.decode()
    assert reverse("reports:org_dashboard", args=[cast.street_a.pk]) in html
    assert reverse("reports:org_dashboard", args=[cast.district_a.pk]) + "?" not in html
    assert cast.district_a.name in html  # named, not linked


def test_member_lists_show_only_members_the_user_may_see(world, client_for, frozen_today):
    cast = world.cast
    url = reverse("reports:org_members", args=[cast.street_a.pk]) + "?list=residents"
    html = client_for("street_staff").get(url).content.decode()
    assert "甲一" in html and "甲四" in html
    assert "乙一" not in html and "丙一" not in html
