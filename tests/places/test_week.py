"""A venue's week: Monday to Sunday in Asia/Shanghai, the week chosen by a parsed query
string, a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from resources.places.models import BookingState, VenueBooking
from resources.places.selectors import monday_of

pytestmark = pytest.mark.django_db


def _booking(cast, start, end, **fields):
    return VenueBooking.objects.create(
        venue=cast.venue_a, branch=cast.branch_a, starts_at=start, ends_at=end, **fields
    )


def test_bookings_land_on_their_local_day(cast, client_for):
    monday = monday_of(timezone.localdate()) + datetime.timedelta(days=7)
    # 16:30 UTC on Tuesday is 00:30 on Wednesday in Shanghai.
    tuesday_utc = datetime.datetime.combine(
        monday + datetime.timedelta(days=1), datetime.time(16, 30), tzinfo=datetime.UTC
    )
    _booking(
        cast,
        tuesday_utc,
        tuesday_utc + datetime.timedelta(hours=1),
        purpose="夜间值班",
        state=BookingState.CONFIRMED,
    )
    _booking(
        cast,
        tuesday_utc + datetime.timedelta(hours=2),
        tuesday_utc + datetime.timedelta(hours=3),
        purpose="已取消的",
        state=BookingState.CANCELLED,
    )
    response = client_for("branch_secretary").get(
        reverse("places:venue_week", kwargs={"pk": cast.venue_a.pk}),
        {"week": monday.isoformat()},
    )
    days = response.context["days"]
    assert [d.day for d in days] == [monday + datetime.timedelta(days=i) for i in range(7)]
    assert [[b.purpose for b in d.bookings] for d in days] == [[], [], ["夜间值班"], [], [], [], []]
    assert "00:30–01:30" in response.content.decode()


@pytest.mark.parametrize("week", ["", "2026-13-45", "²", "9999-01-01", "-5"])
def test_a_bad_week_shows_this_week(cast, client_for, week):
    response = client_for("community_secretary").get(
        reverse("places:venue_week", kwargs={"pk": cast.venue_a.pk}), {"week": week}
    )
    assert response.status_code == 200
    assert response.context["monday"] == monday_of(timezone.localdate())


def test_the_week_runs_a_fixed_number_of_queries(cast, client_for, django_assert_max_num_queries):
    client = client_for("community_secretary")
    url = reverse("places:venue_week", kwargs={"pk": cast.venue_a.pk})
    start = timezone.make_aware(
        datetime.datetime.combine(monday_of(timezone.localdate()), datetime.time(8))
    )
    for i in range(12):
        begin = start + datetime.timedelta(hours=i * 13)
        _booking(cast, begin, begin + datetime.timedelta(hours=1), state=BookingState.CONFIRMED)
    # session, user, scope, venue, the week's bookings, which may be opened, whether the
    # user may book (and a few for the page's menu and messages).
    with django_assert_max_num_queries(12) as captured:
        client.get(url)
    assert len(captured) <= 12
