"""Writes on bookings: each one transaction, audited, safe to send twice.

Overlaps are refused twice over: a query names the booking in the way (every database),
and on PostgreSQL the exclusion constraint `booking_no_overlap` catches two requests
sent at the same moment (the second insert waits for the first to commit, then fails;
the message then names the winner).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.formats import month_day
from accounts.models import AuditAction
from activities.meetings.models import MeetingStatus
from activities.meetings.services.planning import meeting_update
from branches.models import Organization

from . import selectors
from .models import HOLDING, NO_OVERLAP, BookingState, VenueBooking

FIELDS = (
    "venue_id",
    "branch_id",
    "starts_at",
    "ends_at",
    "meeting_id",
    "activity_id",
    "purpose",
    "state",
    "note",
)


class BookingError(ValidationError):
    pass


def describe(booking: VenueBooking) -> str:
    """The booking as a person reads it: 6月10日 09:00–11:00 翠园社区离退休干部党支部（学习会）."""
    start = timezone.localtime(booking.starts_at)
    end = timezone.localtime(booking.ends_at)
    text = _("%(day)s %(start)s–%(end)s, %(branch)s") % {
        "day": month_day(start),
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
        "branch": booking.branch.name,
    }
    if what := booking.what_for:
        text += _(" (%(what)s)") % {"what": what}
    return text


def _clash_error(other: VenueBooking) -> BookingError:
    return BookingError(
        _("%(venue)s is already booked at that time: %(other)s. Choose another time or venue.")
        % {"venue": other.venue.name, "other": describe(other)},
        code="overlap",
    )


def booking_create(
    *,
    venue,
    branch,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    meeting=None,
    activity=None,
    purpose: str = "",
    actor,
    request=None,
    client_key=None,
) -> VenueBooking:
    """Book `venue` for `branch`: confirmed at once inside the venue's own area, else
    waiting for the owner's approval. A form sent twice (same client_key) returns the
    booking the first one made."""
    if client_key and (done := VenueBooking.objects.filter(client_key=client_key).first()):
        return done
    if ends_at <= starts_at:
        raise BookingError(_("The booking must end after it starts."), code="ends_before_start")
    if not selectors.can_book(branch, venue):
        raise BookingError(_("This branch cannot book this venue."), code="out_of_reach")
    booking = VenueBooking(
        venue=venue,
        branch=branch,
        starts_at=starts_at,
        ends_at=ends_at,
        meeting=meeting,
        activity=activity,
        purpose=purpose,
        state=(
            BookingState.REQUESTED
            if selectors.needs_approval(branch, venue)
            else BookingState.CONFIRMED
        ),
        booked_by=actor,
        client_key=client_key,
    )
    with transaction.atomic():
        if other := selectors.clash(venue_id=venue.pk, starts_at=starts_at, ends_at=ends_at):
            raise _clash_error(other)
        try:
            with transaction.atomic():
                booking.save()
        except IntegrityError as error:
            # Sent at the same moment as another booking (PostgreSQL): that one has
            # committed by now, so it can be named.
            if NO_OVERLAP in str(error):
                other = selectors.clash(venue_id=venue.pk, starts_at=starts_at, ends_at=ends_at)
                if other is not None:
                    raise _clash_error(other) from error
            if client_key and (done := VenueBooking.objects.filter(client_key=client_key).first()):
                return done
            raise
        audit.record(
            AuditAction.CREATE,
            booking,
            actor=actor,
            request=request,
            after=audit.snapshot(booking, FIELDS),
        )
        if booking.state == BookingState.CONFIRMED:
            _place_meeting(booking, actor=actor, request=request)
    return booking


def _place_meeting(booking: VenueBooking, *, actor, request) -> None:
    """A confirmed booking for a planned meeting becomes the meeting's venue."""
    meeting = booking.meeting
    if meeting is None or meeting.status != MeetingStatus.PLANNED:
        return
    venue = booking.venue
    # The meeting form offers the venues of the branch's own organisation and the levels
    # above it; a room elsewhere in the street is named in the note instead.
    if venue.organization.path in Organization.path_prefixes(meeting.branch.organization.path):
        details = {"venue": venue}
    else:
        details = {"venue": None, "venue_note": venue.name[:120]}
    meeting_update(meeting=meeting, details=details, actor=actor, request=request)


def _decide(booking: VenueBooking, *, allowed, state: str, note: str, actor, request) -> bool:
    """Move the booking to `state` if it is still in one of `allowed` (a conditional
    update: of two decisions sent at once, or one sent twice, only the first counts)."""
    before = audit.snapshot(booking, FIELDS)
    now = timezone.now()
    moved = VenueBooking.objects.filter(pk=booking.pk, state__in=allowed).update(
        state=state, note=note, decided_by=actor, decided_at=now
    )
    if not moved:
        return False
    booking.state, booking.note, booking.decided_by, booking.decided_at = state, note, actor, now
    old, new = audit.diff(before, audit.snapshot(booking, FIELDS))
    audit.record(AuditAction.UPDATE, booking, actor=actor, request=request, before=old, after=new)
    return True


@transaction.atomic
def booking_decide(*, booking: VenueBooking, confirm: bool, note: str = "", actor, request=None):
    """The owner confirms or refuses a request. False when it was decided already."""
    state = BookingState.CONFIRMED if confirm else BookingState.REFUSED
    done = _decide(
        booking,
        allowed=[BookingState.REQUESTED],
        state=state,
        note=note,
        actor=actor,
        request=request,
    )
    if done and confirm:
        _place_meeting(booking, actor=actor, request=request)
    return done


@transaction.atomic
def booking_cancel(*, booking: VenueBooking, note: str = "", actor, request=None) -> bool:
    """Withdraw a request or call off a confirmed booking; the time is free again."""
    return _decide(
        booking,
        allowed=list(HOLDING),
        state=BookingState.CANCELLED,
        note=note,
        actor=actor,
        request=request,
    )
