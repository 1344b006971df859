"""The dashboards' funds figures equal the ones computed by hand on a fixture, are
served from the dashboards' cache, and change once a spending is recorded."""

from decimal import Decimal

from django.core.cache import cache
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from reports import cache as dashboards
from reports.selectors.periods import choose_period
from resources.funds import services
from resources.funds.models import FundSource, SpendingState

from .conftest import D, grant, spend, this_year


def figures(node):
    today = timezone.localdate()
    choice = choose_period(QueryDict(f"period=year&year={this_year()}"), today=today)
    return dashboards.node_figures(node, choice, today=today).total


def fixture(cast):
    grant(cast, "1000.10")
    services.allocation_grant(
        branch=cast.branch_a,
        year=this_year(),
        source=FundSource.UNIT,
        amount=D("200.20"),
        granted_on=timezone.localdate(),
        by_unit=cast.unit_a,
        actor=cast.user("unit_liaison"),
    )
    spend(cast, "300.33")
    spend(cast, "0.10")
    spend(cast, "0.20", name="交通")
    waiting = spend(cast, "600.00")  # above the threshold: does not count
    assert waiting.state == SpendingState.PENDING
    grant(cast, "50.00", branch=cast.branch_a2)  # granted, nothing spent
    grant(cast, "10.00", branch=cast.functional_a)
    over = spend(cast, "20.00", branch=cast.functional_a)  # beyond its balance
    services.spending_decide(
        spending=over, approve=True, exception=True, actor=cast.user("street_staff")
    )


def test_the_dashboards_funds_figures_equal_the_hand_computed_ones(cast):
    fixture(cast)
    cache.clear()
    # By hand: granted 1000.10 + 200.20 + 50.00 + 10.00; counted 300.33 + 0.10 + 0.20 +
    # 20.00 (the 600.00 waits); two members placed in district A's branches (both in
    # branch_a): 320.63 / 2 = 160.315 -> 160.32.
    district = figures(cast.district_a)
    assert district.funds_allocated == Decimal("1260.30")
    assert district.funds_spent == Decimal("320.63")
    assert district.funds_balance == Decimal("939.67")
    assert district.home_members == 2
    assert district.funds_per_member == Decimal("160.32")
    assert (district.funds_overspent, district.funds_unspent) == (1, 1)
    street = figures(cast.street_a)  # branch_a and functional_a
    assert (street.funds_allocated, street.funds_spent) == (D("1210.30"), D("320.63"))
    assert (street.funds_overspent, street.funds_unspent) == (1, 0)
    city = figures(cast.city)
    assert (city.funds_allocated, city.funds_spent) == (D("1260.30"), D("320.63"))


def test_the_figures_come_from_the_cache_and_follow_a_new_spending(
    cast, client_for, django_assert_num_queries
):
    fixture(cast)
    cache.clear()
    assert figures(cast.district_a).funds_spent == D("320.63")
    with django_assert_num_queries(dashboards.VERSION_QUERIES):  # cached: its version only
        assert figures(cast.district_a).funds_spent == D("320.63")
    spend(cast, "0.07")
    assert figures(cast.district_a).funds_spent == D("320.70")
    page = client_for("district_staff").get(
        reverse("reports:org_dashboard", args=[cast.district_a.pk]),
        {"period": "year", "year": this_year()},
    )
    html = page.content.decode()
    assert 'id="funds-stat"' in html and "939.60" in html
    assert reverse("funds:area", args=[cast.district_a.pk]) in html
