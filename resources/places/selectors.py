"""Reads of venues and bookings shared by the pages, the workbench and the dashboards.

Where a branch may book (its reach): the venues of its street (the street's centre and
every community room in it) and those on the levels above it. A booking needs the
owner's approval when the branch does not belong to the venue's own area (a branch of
another community, or a street's functional branch booking a community room).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.utils import timezone

from activities.meetings.models import Meeting, MeetingStatus
from activities.meetings.selectors import meeting_roster
from branches.access import (
    APPROVE_BOOKINGS,
    RECORD_MEETING,
    VIEW_SENSITIVE,
    VIEW_STRUCTURE,
    scope_for,
)
from branches.models import Branch, Organization, Venue
from members.masking import mask_phone
from members.models import Member

from .models import BookingState, VenueBooking

STREET_DEPTH = 2  # path prefixes: city 0, district 1, street 2, community 3
MOBILE = re.compile(r"1[3-9][0-9]{9}")


def reach(path: str) -> str:
    """The area a branch at `path` books in, or whose branches may book a venue at
    `path`: the street above it (or the node itself above street level)."""
    prefixes = Organization.path_prefixes(path)
    return prefixes[min(STREET_DEPTH, len(prefixes) - 1)]


def _venues_reached_from(paths) -> Q | None:
    parts = []
    for path in paths:
        parts.append(Q(organization__path__startswith=reach(path)))
        parts.append(Q(organization__path__in=Organization.path_prefixes(path)))
    return reduce(or_, parts) if parts else None


def bookable_venues(branch: Branch):
    """The venues `branch` may book (its organisation loaded)."""
    return Venue.objects.filter(_venues_reached_from([branch.organization.path]))


def can_book(branch: Branch, venue: Venue) -> bool:
    return branch.organization.path.startswith(reach(venue.organization.path))


def needs_approval(branch: Branch, venue: Venue) -> bool:
    """A branch outside the venue's own area asks the owner first."""
    return not branch.organization.path.startswith(venue.organization.path)


def _recording_paths(user) -> list[str]:
    """The organisation paths of the areas and branches the user records meetings for
    (one query for branch grants)."""
    scope = scope_for(user)
    paths = scope.paths(RECORD_MEETING) + scope.direct_paths(RECORD_MEETING)
    if ids := scope.branch_ids(RECORD_MEETING):
        paths += list(
            Branch.objects.filter(pk__in=ids).values_list("organization__path", flat=True)
        )
    return paths


def venues_for(user):
    """Venues the user may open: those of their area, and those their branches may
    book (a branch secretary has no area, yet books the rooms of the street)."""
    scope = scope_for(user)
    parts = [
        scope.q(VIEW_STRUCTURE, path_field="organization__path"),
        _venues_reached_from(_recording_paths(user)),
    ]
    parts = [part for part in parts if part is not None]
    if not parts:
        return Venue.objects.none()
    return Venue.objects.filter(reduce(or_, parts))


def bookable_venues_for(user):
    """Venues within reach of the branches the user records meetings for."""
    reached = _venues_reached_from(_recording_paths(user))
    return Venue.objects.filter(reached) if reached is not None else Venue.objects.none()


def bookable_branches(user, venue: Venue):
    """Active branches the user records meetings for that may book `venue`."""
    return (
        Branch.objects.visible_to(user, RECORD_MEETING)
        .active()
        .filter(organization__path__startswith=reach(venue.organization.path))
        .select_related("organization")
        .order_by("organization__path", "name")
    )


def can_decide(user, booking: VenueBooking) -> bool:
    """The venue's owner side (its community, street or district) confirms or refuses."""
    return scope_for(user).covers_path(booking.venue.organization.path, APPROVE_BOOKINGS)


def can_cancel(user, booking: VenueBooking) -> bool:
    """The booking branch's recorders withdraw it; the owner side may call it off."""
    return scope_for(user).covers_branch(booking.branch, RECORD_MEETING) or can_decide(
        user, booking
    )


def contact_phone(venue: Venue, user) -> str:
    """A venue's contact phone is an office number and shown as it is; a mobile number
    may be someone's own, so it is masked unless the user may see personal data."""
    phone = venue.contact_phone
    mobile = MOBILE.fullmatch(phone.replace(" ", "").replace("-", ""))
    if mobile and not scope_for(user).has(VIEW_SENSITIVE):
        return mask_phone(phone)
    return phone


def _with_labels(qs):
    return qs.select_related(
        "venue", "venue__organization", "branch", "branch__organization", "meeting", "activity"
    )


def bookings_waiting(user):
    """Requests waiting for the user's decision, soonest first (one query): the lead's
    workbench panel and the bookings page read this."""
    area = scope_for(user).q(APPROVE_BOOKINGS, path_field="venue__organization__path")
    if area is None:
        return VenueBooking.objects.none()
    return _with_labels(
        VenueBooking.objects.filter(area, state=BookingState.REQUESTED, ends_at__gt=timezone.now())
    ).order_by("starts_at", "pk")


def bookings_of_my_branches(user):
    """Coming bookings made for the branches the user records meetings for."""
    mine = scope_for(user).q(
        RECORD_MEETING,
        path_field="branch__organization__path",
        branch_field="branch_id",
        branch_path_field="branch__organization__path",
    )
    if mine is None:
        return VenueBooking.objects.none()
    return _with_labels(VenueBooking.objects.filter(mine, ends_at__gt=timezone.now())).order_by(
        "starts_at", "pk"
    )


def clash(*, venue_id: int, starts_at, ends_at, exclude_pk=None) -> VenueBooking | None:
    found = VenueBooking.objects.overlapping(
        venue_id=venue_id, starts_at=starts_at, ends_at=ends_at
    )
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return _with_labels(found).order_by("starts_at").first()


# --- A week of one venue ------------------------------------------------------------------


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the portal's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


@dataclass
class Day:
    day: datetime.date
    bookings: list[VenueBooking]


def venue_week(venue: Venue, monday: datetime.date, user) -> list[Day]:
    """Monday to Sunday with the holding bookings of each day in time order (two
    queries: the week's bookings, and which of them the user may open)."""
    bookings = list(
        _with_labels(
            VenueBooking.objects.holding().filter(
                venue=venue,
                starts_at__lt=day_start(monday + datetime.timedelta(days=7)),
                ends_at__gt=day_start(monday),
            )
        ).order_by("starts_at", "pk")
    )
    openable = set(
        VenueBooking.objects.visible_to(user)
        .filter(pk__in=[b.pk for b in bookings])
        .values_list("pk", flat=True)
    )
    days = [Day(monday + datetime.timedelta(days=i), []) for i in range(7)]
    for booking in bookings:
        booking.openable = booking.pk in openable
        start = timezone.localdate(booking.starts_at)
        index = (start - monday).days
        days[max(0, min(6, index))].bookings.append(booking)
    return days


# --- The planner --------------------------------------------------------------------------


def mobility_impaired_expected(meeting: Meeting) -> int:
    """How many of the members expected at the meeting are marked 行动不便 (on the
    member, or as an open care need): two queries."""
    ids = [row.member_id for row in meeting_roster(meeting)]
    if not ids:
        return 0
    open_need = Q(care_need__limited_mobility=True, care_need__closed_on__isnull=True)
    return (
        Member.objects.filter(pk__in=ids)
        .filter(Q(mobility_impaired=True) | open_need)
        .distinct()
        .count()
    )


def venues_for_meeting(meeting: Meeting):
    """The venues the meeting's branch may book, step-free ones first."""
    return (
        bookable_venues(meeting.branch)
        .select_related("organization")
        .order_by("-accessible", "-has_lift", "organization__path", "name")
    )


# --- Figures (the overview page; reports may show them) -----------------------------------


def _area(paths, field: str) -> Q:
    parts = [Q(**{f"{field}__startswith": path}) for path in paths]
    return reduce(or_, parts) if parts else Q(pk__in=[])


def month_span(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return day_start(first), day_start(following)


@dataclass
class VenueUse:
    venue: Venue
    bookings: int
    hours: float


def venue_use(paths, *, year: int, month: int) -> tuple[list[VenueUse], int]:
    """Confirmed bookings starting in the month per venue of the areas under `paths`:
    the used venues by hours, and how many venues of the area were not used (two
    aggregate queries)."""
    start, end = month_span(year, month)
    in_month = Q(
        bookings__state=BookingState.CONFIRMED,
        bookings__starts_at__gte=start,
        bookings__starts_at__lt=end,
    )
    length = ExpressionWrapper(
        F("bookings__ends_at") - F("bookings__starts_at"), output_field=DurationField()
    )
    venues = Venue.objects.filter(_area(paths, "organization__path"))
    used = list(
        venues.annotate(n=Count("bookings", filter=in_month), span=Sum(length, filter=in_month))
        .filter(n__gt=0)
        .select_related("organization")
        .order_by("-span", "organization__path", "name")
    )
    rows = [VenueUse(v, v.n, round(v.span.total_seconds() / 3600, 1)) for v in used]
    return rows, venues.count() - len(rows)


def branches_without_venue(paths, *, today: datetime.date):
    """Active branches with no usual venue and no confirmed booking in the past year."""
    since = day_start(today - datetime.timedelta(days=365))
    booked = VenueBooking.objects.filter(
        branch=OuterRef("pk"), state=BookingState.CONFIRMED, starts_at__gte=since
    )
    return (
        Branch.objects.active(today)
        .filter(_area(paths, "organization__path"), venue__isnull=True)
        .exclude(Exists(booked))
        .select_related("organization")
        .order_by("organization__path", "name")
    )


@dataclass
class StepFreeShare:
    held: int  # meetings held in the span
    with_venue: int  # of which the venue is recorded
    step_free: int  # of which the venue is step-free

    @property
    def percent(self) -> int | None:
        return round(100 * self.step_free / self.with_venue) if self.with_venue else None


def step_free_share(paths, *, start: datetime.date, end: datetime.date) -> StepFreeShare:
    """Of the meetings held from `start` to `end` (inclusive) in the areas, how many were
    in a step-free venue (one aggregate query)."""
    figures = Meeting.objects.filter(
        _area(paths, "branch__organization__path"),
        status=MeetingStatus.HELD,
        held_on__gte=start,
        held_on__lte=end,
    ).aggregate(
        held=Count("pk"),
        with_venue=Count("pk", filter=Q(venue__isnull=False)),
        step_free=Count("pk", filter=Q(venue__accessible=True)),
    )
    return StepFreeShare(**figures)
