"""Demo bookings: the first district's meetings of the past two months and the coming
month book their branch's usual venue, and a few branches ask for a room of another
community in their street (waiting for approval), so `make demo` shows the week
calendars, the requests and the figures."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.utils import timezone

from activities.meetings.models import Meeting, MeetingStatus
from branches.models import Level, Organization, Venue

from .models import BookingState, VenueBooking

PAST_DAYS = 62
REQUESTS = 3


@dataclass
class PlacesSeed:
    bookings: int = 0
    requests: int = 0


def _span(day: datetime.date, start: datetime.time, minutes: int):
    starts = timezone.make_aware(datetime.datetime.combine(day, start))
    return starts, starts + datetime.timedelta(minutes=minutes)


def seed_places(*, rng: random.Random, today: datetime.date) -> PlacesSeed:
    seed = PlacesSeed()
    district = Organization.objects.filter(level=Level.DISTRICT).order_by("path").first()
    if district is None:
        return seed
    taken: dict[int, list[tuple]] = {}

    def free(venue_id, starts, ends) -> bool:
        return all(ends <= s or starts >= e for s, e in taken.get(venue_id, []))

    rows = []
    meetings = (
        Meeting.objects.filter(
            branch__organization__path__startswith=district.path,
            venue__isnull=False,
            planned_on__gte=today - datetime.timedelta(days=PAST_DAYS),
        )
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("planned_on", "pk")
        .values_list("pk", "branch_id", "venue_id", "planned_on", "start_time")
    )
    for pk, branch_id, venue_id, day, start in meetings:
        starts, ends = _span(day, start or datetime.time(9), rng.choice([90, 120]))
        if not free(venue_id, starts, ends):
            continue
        taken.setdefault(venue_id, []).append((starts, ends))
        rows.append(
            VenueBooking(
                venue_id=venue_id,
                branch_id=branch_id,
                meeting_id=pk,
                starts_at=starts,
                ends_at=ends,
                state=BookingState.CONFIRMED,
            )
        )
    seed.bookings = len(rows)

    # Branches asking for a room of another community in their street.
    rooms = list(
        Venue.objects.filter(
            organization__path__startswith=district.path, organization__level=Level.COMMUNITY
        )
        .select_related("organization")
        .order_by("organization__path")
    )
    for venue in rooms[:REQUESTS]:
        street = venue.organization.parent
        neighbour = (
            street.children.exclude(pk=venue.organization_id)
            .filter(branches__isnull=False)
            .order_by("path")
            .first()
        )
        branch = (
            neighbour.branches.filter(dissolved_on__isnull=True).order_by("pk").first()
            if neighbour
            else None
        )
        if branch is None:
            continue
        day = today + datetime.timedelta(days=rng.randint(3, 10))
        starts, ends = _span(day, datetime.time(14, 30), 120)
        if not free(venue.pk, starts, ends):
            continue
        taken.setdefault(venue.pk, []).append((starts, ends))
        rows.append(
            VenueBooking(
                venue=venue,
                branch=branch,
                starts_at=starts,
                ends_at=ends,
                purpose="书画学习交流",
                state=BookingState.REQUESTED,
            )
        )
        seed.requests += 1
    VenueBooking.objects.bulk_create(rows, batch_size=2000)
    return seed
