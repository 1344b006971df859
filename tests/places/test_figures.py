"""The places figures on a fixture computed by hand: use per venue per month, branches
without a venue, the share of meetings held step-free."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.meetings.models import Meeting, MeetingKind, MeetingStatus
from activities.meetings.services import planning
from branches.models import Branch
from resources.places import selectors
from resources.places.models import BookingState, VenueBooking

pytestmark = pytest.mark.django_db


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_use_per_venue_counts_confirmed_hours_of_the_month(cast):
    day = datetime.date(2026, 3, 10)
    rows = [
        (cast.venue_a, _at(day, 9), _at(day, 11), BookingState.CONFIRMED),  # 2 h
        (cast.venue_a, _at(day, 14), _at(day, 15, 30), BookingState.CONFIRMED),  # 1.5 h
        (cast.venue_a, _at(day, 16), _at(day, 18), BookingState.CANCELLED),  # not counted
        (
            cast.venue_a,
            _at(datetime.date(2026, 4, 1), 0),
            _at(datetime.date(2026, 4, 1), 2),
            BookingState.CONFIRMED,
        ),  # April
        (cast.venue_b, _at(day, 9), _at(day, 10), BookingState.CONFIRMED),  # district B
    ]
    for venue, start, end, state in rows:
        VenueBooking.objects.create(
            venue=venue, branch=cast.branch_a, starts_at=start, ends_at=end, state=state
        )
    use, unused = selectors.venue_use([cast.district_a.path], year=2026, month=3)
    assert [(u.venue, u.bookings, u.hours) for u in use] == [(cast.venue_a, 2, 3.5)]
    assert unused == 0  # district A has one venue
    use, unused = selectors.venue_use([cast.city.path], year=2026, month=3)
    assert {u.venue.pk: u.hours for u in use} == {cast.venue_a.pk: 3.5, cast.venue_b.pk: 1.0}


def test_branches_without_a_venue(cast):
    today = timezone.localdate()
    found = set(selectors.branches_without_venue([cast.district_a.path], today=today))
    # branch_a has venue_a; branch_a2 and functional_a have none.
    assert found == {cast.branch_a2, cast.functional_a}
    VenueBooking.objects.create(
        venue=cast.venue_a,
        branch=cast.functional_a,
        starts_at=_at(today - datetime.timedelta(days=30), 9),
        ends_at=_at(today - datetime.timedelta(days=30), 10),
        state=BookingState.CONFIRMED,
    )
    found = set(selectors.branches_without_venue([cast.district_a.path], today=today))
    assert found == {cast.branch_a2}
    assert Branch.objects.filter(pk=cast.branch_a2.pk, venue__isnull=True).exists()


def _held(branch, venue, day):
    meeting, _ = planning.meeting_plan(
        branch=branch,
        details={"kind": MeetingKind.THEME_DAY, "topic": "主题党日", "planned_on": day},
        client_key=uuid.uuid4(),
        actor=None,
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        status=MeetingStatus.HELD, held_on=day, venue=venue
    )


def test_share_of_meetings_held_step_free(cast):
    cast.venue_a.accessible = True
    cast.venue_a.save(update_fields=["accessible"])
    day = datetime.date(2026, 5, 6)
    _held(cast.branch_a, cast.venue_a, day)  # step-free
    _held(cast.branch_a, cast.venue_a, day)  # step-free
    _held(cast.branch_a2, None, day)  # no venue recorded
    _held(cast.functional_a, cast.venue_b, day)  # venue_b has steps
    _held(cast.branch_b, cast.venue_a, day)  # district B: outside
    share = selectors.step_free_share(
        [cast.district_a.path], start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31)
    )
    assert (share.held, share.with_venue, share.step_free, share.percent) == (4, 3, 2, 67)


def test_the_overview_shows_the_figures_of_the_users_area(cast, client_for):
    VenueBooking.objects.create(
        venue=cast.venue_a,
        branch=cast.branch_a,
        starts_at=_at(datetime.date(2026, 3, 10), 9),
        ends_at=_at(datetime.date(2026, 3, 10), 11),
        state=BookingState.CONFIRMED,
    )
    response = client_for("street_staff").get(reverse("places:overview"), {"month": "2026-03"})
    assert [(u.venue, u.hours) for u in response.context["use"]] == [(cast.venue_a, 2.0)]
    assert response.context["without_count"] == 1  # functional_a (street A)
    response = client_for("community_b_secretary").get(
        reverse("places:overview"), {"month": "2026-03"}
    )
    assert response.context["use"] == []
