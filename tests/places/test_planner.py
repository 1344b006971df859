"""Booking from a planned meeting: date and times filled in, step-free venues first, and
a note when members with limited mobility are expected; the confirmed booking becomes
the meeting's venue."""

import datetime
import uuid

import pytest
from django.urls import reverse

from activities.meetings.models import Meeting, MeetingKind
from activities.meetings.services import planning
from branches.models import Venue, VenueKind, VenueOwner
from resources.places.models import BookingState, VenueBooking

from .helpers import day_ahead

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(cast):
    meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.THEME_DAY,
            "topic": "学习新修订的条例",
            "planned_on": day_ahead(9),
            "start_time": datetime.time(9, 30),
            "end_time": datetime.time(11),
        },
        client_key=uuid.uuid4(),
        actor=None,
    )
    return meeting


@pytest.fixture
def centre(cast):
    """The street's step-free centre (venue_a, the community room, has steps)."""
    return Venue.objects.create(
        organization=cast.street_a,
        name="和平街道党群服务中心",
        kind=VenueKind.SERVICE_CENTER,
        owner_kind=VenueOwner.STREET,
        accessible=True,
        has_lift=True,
    )


def test_the_meeting_page_links_to_booking(cast, client_for, meeting):
    page = client_for("branch_secretary").get(
        reverse("activities:meeting_detail", kwargs={"pk": meeting.pk})
    )
    assert reverse("places:book_for_meeting", kwargs={"pk": meeting.pk}) in page.content.decode()


def test_step_free_venues_come_first_with_a_note_on_members_with_limited_mobility(
    cast, client_for, meeting, centre
):
    response = client_for("branch_secretary").get(
        reverse("places:book_for_meeting", kwargs={"pk": meeting.pk})
    )
    form = response.context["form"]
    venues = list(form.fields["venue"].queryset)
    assert venues[0] == centre and cast.venue_a in venues
    # 钱秀英 (member_a_bedridden) is marked 行动不便 and expected at branch_a's meeting.
    assert response.context["impaired"] == 1
    page = response.content.decode()
    assert "有1位行动不便的党员参会" in page
    assert form.initial["venue"] == centre.pk  # the meeting had no venue: step-free first
    assert form.initial["day"] == meeting.planned_on
    assert form.initial["starts"] == datetime.time(9, 30)


def test_no_note_when_nobody_expected_has_limited_mobility(cast, client_for, meeting):
    cast.member_a_bedridden.mobility_impaired = False
    cast.member_a_bedridden.save(update_fields=["mobility_impaired"])
    response = client_for("branch_secretary").get(
        reverse("places:book_for_meeting", kwargs={"pk": meeting.pk})
    )
    assert response.context["impaired"] == 0
    assert "行动不便" not in response.content.decode()


def test_a_confirmed_booking_becomes_the_meetings_venue(cast, client_for, meeting, centre):
    response = client_for("branch_secretary").post(
        reverse("places:book_for_meeting", kwargs={"pk": meeting.pk}),
        {
            "venue": centre.pk,
            "day": meeting.planned_on.isoformat(),
            "starts": "09:30",
            "ends": "11:00",
            "client_key": str(uuid.uuid4()),
        },
    )
    booking = VenueBooking.objects.get()
    assert response.status_code == 302
    assert (booking.meeting, booking.state) == (meeting, BookingState.CONFIRMED)
    assert Meeting.objects.get(pk=meeting.pk).venue == centre
