"""Booking a venue: confirmed at once in the venue's own area, waiting for the owner's
approval from elsewhere; overlaps refused with the other booking named; bad spans
refused; every write audited."""

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditAction, AuditEntry
from resources.places import selectors, services
from resources.places.models import BookingState, VenueBooking

from .helpers import at, day_ahead

pytestmark = pytest.mark.django_db


def book(
    cast, *, branch=None, venue=None, start=(5, 9), end=(5, 11), user="branch_secretary", **kw
):
    return services.booking_create(
        venue=venue or cast.venue_a,
        branch=branch or cast.branch_a,
        starts_at=at(*start),
        ends_at=at(*end),
        actor=cast.user(user),
        purpose=kw.pop("purpose", "学习会"),
        **kw,
    )


def test_a_branch_books_a_room_of_its_own_community_at_once_and_it_is_audited(cast):
    entries = AuditEntry.objects.count()
    booking = book(cast)
    assert booking.state == BookingState.CONFIRMED
    entry = AuditEntry.objects.order_by("-pk").first()
    assert AuditEntry.objects.count() == entries + 1
    assert (entry.action, entry.object_type) == (AuditAction.CREATE, "places.venuebooking")


def test_an_overlapping_booking_is_refused_in_chinese_naming_the_other(cast):
    first = book(cast, start=(5, 9), end=(5, 11), purpose="主题党日")
    with translation.override("zh-hans"), pytest.raises(services.BookingError) as error:
        book(cast, branch=cast.functional_a, start=(5, 10), end=(5, 12), user="street_staff")
    message = error.value.messages[0]
    assert "该时段已被预订" in message
    assert cast.branch_a.name in message and "主题党日" in message
    assert "09:00–11:00" in message
    assert list(VenueBooking.objects.values_list("pk", flat=True)) == [first.pk]


def test_back_to_back_bookings_and_other_venues_do_not_clash(cast):
    book(cast, start=(5, 9), end=(5, 11))
    book(cast, start=(5, 11), end=(5, 12))  # starts when the other ends
    book(
        cast,
        branch=cast.branch_b,
        venue=cast.venue_b,
        start=(5, 9),
        end=(5, 11),
        user="community_b_secretary",
    )
    assert VenueBooking.objects.count() == 3


def test_a_cancelled_or_refused_booking_frees_the_time(cast):
    first = book(cast)
    assert services.booking_cancel(booking=first, actor=cast.user("branch_secretary"))
    again = book(cast)
    assert again.state == BookingState.CONFIRMED


def test_a_booking_ending_before_it_starts_is_refused_by_service_and_database(cast):
    with pytest.raises(services.BookingError) as error:
        book(cast, start=(5, 11), end=(5, 9))
    assert error.value.code == "ends_before_start"
    with pytest.raises(IntegrityError), transaction.atomic():
        VenueBooking.objects.create(
            venue=cast.venue_a, branch=cast.branch_a, starts_at=at(5, 11), ends_at=at(5, 9)
        )
    assert not VenueBooking.objects.exists()


def test_a_branch_of_elsewhere_asks_the_owner_who_confirms_once(cast):
    booking = book(cast, branch=cast.functional_a, user="street_staff")
    assert booking.state == BookingState.REQUESTED
    # The request holds the time too.
    with pytest.raises(services.BookingError) as error:
        book(cast, start=(5, 10), end=(5, 12))
    assert error.value.code == "overlap"
    waiting = {
        role: list(selectors.bookings_waiting(cast.user(role)).values_list("pk", flat=True))
        for role in (
            "community_secretary",
            "street_staff",
            "district_staff",
            "community_b_secretary",
            "branch_secretary",
            "city_admin",
        )
    }
    assert waiting == {
        "community_secretary": [booking.pk],
        "street_staff": [booking.pk],
        "district_staff": [booking.pk],
        "community_b_secretary": [],
        "branch_secretary": [],
        "city_admin": [],
    }
    owner = cast.user("community_secretary")
    assert services.booking_decide(booking=booking, confirm=True, actor=owner)
    assert not services.booking_decide(booking=booking, confirm=False, note="晚了", actor=owner)
    booking.refresh_from_db()
    assert (booking.state, booking.decided_by) == (BookingState.CONFIRMED, owner)
    assert not selectors.bookings_waiting(owner).exists()


def test_the_same_form_sent_twice_books_once(cast):
    key = uuid.uuid4()
    first = book(cast, client_key=key)
    second = book(cast, client_key=key)
    assert first.pk == second.pk and VenueBooking.objects.count() == 1


def test_a_branch_cannot_book_a_room_of_another_street(cast):
    with pytest.raises(services.BookingError) as error:
        book(cast, branch=cast.branch_a2, user="street_a2_staff")
    assert error.value.code == "out_of_reach"


def test_the_booking_page_shows_the_clash_in_chinese_and_saves_nothing(cast, client_for):
    book(cast, start=(6, 9), end=(6, 11), purpose="党课")
    client = client_for("branch_secretary")
    url = reverse("places:booking_create", kwargs={"pk": cast.venue_a.pk})
    data = {
        "branch": cast.branch_a.pk,
        "day": day_ahead(6).isoformat(),
        "starts": "10:00",
        "ends": "10:30",
        "purpose": "小组学习",
        "client_key": str(uuid.uuid4()),
    }
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    page = response.content.decode()
    assert "该时段已被预订" in page and "党课" in page
    assert VenueBooking.objects.count() == 1
    response = client.post(url, {**data, "starts": "12:00", "ends": "11:00"})
    assert "结束时间必须晚于开始时间" in response.content.decode()
    assert VenueBooking.objects.count() == 1


def test_the_bookings_page_runs_a_fixed_number_of_queries(
    cast, client_for, django_assert_max_num_queries
):
    client = client_for("community_secretary")
    for day in range(3, 9):
        book(cast, start=(day, 9), end=(day, 10))
        book(cast, branch=cast.functional_a, user="street_staff", start=(day, 14), end=(day, 15))
    # session, user, scope, waiting, mine, venues in reach, the menu's counts.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("places:bookings"))
    assert len(response.context["waiting"]) == 6 and len(response.context["mine"]) == 6
