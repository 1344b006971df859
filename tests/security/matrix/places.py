"""Places: venue_a (community_a) and its bookings. branch_a books it directly (its own
community); functional_a (a street-level branch of street_a) asks the owner first."""

import datetime
import uuid

from django.utils import timezone

from activities.meetings.models import Meeting, MeetingKind
from activities.meetings.services import planning
from resources.places.models import BookingState, VenueBooking

from . import COMMUNITY_A_VIEWERS, Spec, row

DASHBOARD = frozenset(
    {
        "city_admin",
        "district_staff",
        "street_staff",
        "community_secretary",
        "district_b_staff",
        "community_b_secretary",
        "street_a2_staff",
    }
)
# Record meetings somewhere (book) or approve bookings somewhere.
BOOKERS = frozenset(
    {
        "district_staff",
        "street_staff",
        "community_secretary",
        "branch_secretary",
        "district_b_staff",
        "community_b_secretary",
        "street_a2_staff",
    }
)
# May open venue_a: its area, and branch_a's secretary (the street's rooms are in reach).
VENUE_A = COMMUNITY_A_VIEWERS | {"branch_secretary"}
# Record meetings for a branch within venue_a's reach: branch_a (community and branch
# secretaries) and functional_a (the street's staff).
VENUE_A_BOOKERS = frozenset({"community_secretary", "branch_secretary", "street_staff"})
# Decide for venue_a's owner: its community, street and district.
VENUE_A_OWNERS = frozenset({"community_secretary", "street_staff", "district_staff"})
RECORDERS_A = frozenset({"community_secretary", "branch_secretary"})
READ_ONLY_A = frozenset({"city_admin", "district_staff", "street_staff"})


def _at(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _day(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def booking_own(cast) -> VenueBooking:
    # Found by its venue and branch, so a mirrored cast (tests/branches/test_scope.py)
    # finds or makes district B's twin.
    found = VenueBooking.objects.filter(
        venue=cast.venue_a, branch=cast.branch_a, purpose="矩阵预订"
    ).first()
    return found or VenueBooking.objects.create(
        venue=cast.venue_a,
        branch=cast.branch_a,
        starts_at=_at(10, 9),
        ends_at=_at(10, 11),
        purpose="矩阵预订",
        state=BookingState.CONFIRMED,
    )


def booking_request(cast) -> VenueBooking:
    found = VenueBooking.objects.filter(
        venue=cast.venue_a, branch=cast.functional_a, purpose="矩阵申请"
    ).first()
    return found or VenueBooking.objects.create(
        venue=cast.venue_a,
        branch=cast.functional_a,
        starts_at=_at(11, 14),
        ends_at=_at(11, 16),
        purpose="矩阵申请",
        state=BookingState.REQUESTED,
    )


def planned_meeting(cast) -> Meeting:
    found = Meeting.objects.filter(branch=cast.branch_a, topic="矩阵预订会议").first()
    if found:
        return found
    meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.THEME_DAY,
            "topic": "矩阵预订会议",
            "planned_on": timezone.localdate() + datetime.timedelta(days=12),
            "start_time": datetime.time(9),
            "end_time": datetime.time(10, 30),
        },
        client_key=uuid.uuid4(),
        actor=None,
    )
    return meeting


def bookings_now():
    return sorted(VenueBooking.objects.values_list("pk", "state"))


SPECS = [
    Spec("places:overview", ok=DASHBOARD),
    Spec("places:bookings", ok=BOOKERS),
    Spec("places:venue_week", kwargs=lambda c: {"pk": c.venue_a.pk}, ok=VENUE_A),
    Spec(
        "places:booking_create",
        kwargs=lambda c: {"pk": c.venue_a.pk},
        ok=VENUE_A_BOOKERS,
        forbidden=COMMUNITY_A_VIEWERS - VENUE_A_BOOKERS,
        post=lambda c: {
            "branch": c.branch_a.pk,
            "day": _day(20),
            "starts": "09:00",
            "ends": "10:30",
            "purpose": "矩阵新预订",
            "client_key": str(uuid.uuid4()),
        },
        state=lambda c: bookings_now(),
    ),
    Spec(
        "places:book_for_meeting",
        kwargs=lambda c: {"pk": planned_meeting(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {
            "venue": c.venue_a.pk,
            "day": _day(12),
            "starts": "09:00",
            "ends": "10:30",
            "client_key": str(uuid.uuid4()),
        },
        state=lambda c: bookings_now(),
    ),
    Spec(
        "places:booking_detail",
        kwargs=lambda c: {"pk": booking_own(c).pk},
        ok=VENUE_A,
    ),
    Spec(
        "places:booking_detail",
        case="request",
        kwargs=lambda c: {"pk": booking_request(c).pk},
        ok=COMMUNITY_A_VIEWERS,
    ),
    Spec(
        "places:booking_decide",
        kwargs=lambda c: {"pk": booking_request(c).pk},
        ok=VENUE_A_OWNERS,
        forbidden=COMMUNITY_A_VIEWERS - VENUE_A_OWNERS,
        post=lambda c: {"decision": "confirm", "note": ""},
        state=lambda c: row(booking_request(c)),
    ),
    Spec(
        "places:booking_cancel",
        kwargs=lambda c: {"pk": booking_own(c).pk},
        ok=VENUE_A_OWNERS | RECORDERS_A,
        forbidden=VENUE_A - VENUE_A_OWNERS - RECORDERS_A,
        post=lambda c: {"note": "矩阵取消"},
        state=lambda c: row(booking_own(c)),
    ),
]
