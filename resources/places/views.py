"""Venue bookings: a venue's week, booking (from a venue or a meeting), the owner's
decision, cancelling, one's bookings and requests, and the area's figures."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.care.models import Activity
from activities.meetings.models import Meeting, MeetingStatus
from branches.access import (
    APPROVE_BOOKINGS,
    RECORD_MEETING,
    VIEW_DASHBOARD,
    VIEW_MEMBERS,
    get_for_user,
    require_capability,
    scope_for,
)

from . import selectors, services
from .forms import BookingForm, CancelForm, DecisionForm, MonthForm, WeekForm
from .models import BookingState, VenueBooking


def _venue_for_user(request, pk):
    """A venue of the user's area or within their branches' reach; else 404."""
    venue = (
        selectors.venues_for(request.user)
        .select_related("organization", "owner_unit")
        .filter(pk=pk)
        .first()
    )
    if venue is None:
        raise Http404
    return venue


def _booking_for_user(request, pk) -> VenueBooking:
    booking = (
        VenueBooking.objects.visible_to(request.user)
        .select_related(
            "venue",
            "venue__organization",
            "branch",
            "branch__organization",
            "meeting",
            "activity",
            "booked_by",
            "decided_by",
        )
        .filter(pk=pk)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def venue_week(request, pk):
    """One venue: its facts and its bookings from Monday to Sunday (prints on one page)."""
    venue = _venue_for_user(request, pk)
    monday = WeekForm(request.GET).monday()
    today = timezone.localdate()
    return render(
        request,
        "places/venue_week.html",
        {
            "venue": venue,
            "days": selectors.venue_week(venue, monday, request.user),
            "monday": monday,
            "sunday": monday + datetime.timedelta(days=6),
            "previous": monday - datetime.timedelta(days=7),
            "next": monday + datetime.timedelta(days=7),
            "is_this_week": monday == selectors.monday_of(today),
            "today": today,
            "contact_phone": selectors.contact_phone(venue, request.user),
            "can_book": selectors.bookable_branches(request.user, venue).exists(),
        },
    )


def _book(request, form, *, venue, branch, meeting=None):
    """Hand a valid booking form to the service; the booking's page, or the form again
    with the reason in the user's words."""
    starts_at, ends_at = form.span()
    try:
        booking = services.booking_create(
            venue=venue,
            branch=branch,
            starts_at=starts_at,
            ends_at=ends_at,
            meeting=meeting,
            activity=form.cleaned_data.get("activity"),
            purpose=form.cleaned_data.get("purpose", ""),
            actor=request.user,
            request=request,
            client_key=form.cleaned_data.get("client_key"),
        )
    except services.BookingError as error:
        form.add_error(None, error)
        return None
    if booking.state == BookingState.CONFIRMED:
        messages.success(request, _("The venue is booked."))
    else:
        messages.success(
            request, _("Your request is sent: the venue's owner confirms or refuses it.")
        )
    return redirect("places:booking_detail", pk=booking.pk)


def booking_create(request, pk):
    """Book a venue from its page, for one of the user's branches within its reach."""
    venue = _venue_for_user(request, pk)
    branches = selectors.bookable_branches(request.user, venue)
    if not branches.exists():
        raise PermissionDenied
    activities = Activity.objects.filter(
        branch__in=branches, held_on__gte=timezone.localdate()
    ).order_by("held_on", "pk")
    form = BookingForm(
        request.POST or None,
        branches=branches,
        activities=activities,
        # From a later week of the venue's calendar: that week's Monday (never before today).
        initial={"day": max(WeekForm(request.GET).monday(), timezone.localdate())},
    )
    if request.method == "POST" and form.is_valid():
        branch = form.cleaned_data["branch"]
        if done := _book(request, form, venue=venue, branch=branch):
            return done
    return render(
        request,
        "places/booking_form.html",
        {"form": form, "venue": venue, "title": _("Book %(venue)s") % {"venue": venue.name}},
    )


def book_for_meeting(request, pk):
    """Book a venue for a planned meeting, its date and times filled in; step-free venues
    first, and a note when members who find steps hard are expected."""
    meeting = get_for_user(
        request,
        Meeting.objects.select_related("branch", "branch__organization", "venue"),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_MEETING,
    )
    if meeting.status != MeetingStatus.PLANNED:
        messages.info(request, _("Only a planned meeting can book a venue."))
        return redirect("activities:meeting_detail", pk=meeting.pk)
    venues = selectors.venues_for_meeting(meeting)
    impaired = selectors.mobility_impaired_expected(meeting)
    suggested = meeting.venue
    if suggested is None or (impaired and not suggested.accessible):
        suggested = venues.first()
    form = BookingForm(
        request.POST or None,
        venues=venues,
        initial={
            "venue": suggested.pk if suggested else None,
            "day": meeting.planned_on,
            "starts": meeting.start_time,
            "ends": meeting.end_time,
        },
    )
    if request.method == "POST" and form.is_valid():
        venue = form.cleaned_data["venue"]
        if done := _book(request, form, venue=venue, branch=meeting.branch, meeting=meeting):
            return done
    return render(
        request,
        "places/booking_form.html",
        {
            "form": form,
            "meeting": meeting,
            "impaired": impaired,
            "no_venues": suggested is None,
            "title": _("Book a venue for the meeting"),
        },
    )


def booking_detail(request, pk):
    booking = _booking_for_user(request, pk)
    user = request.user
    return render(
        request,
        "places/booking_detail.html",
        {
            "booking": booking,
            "can_decide": booking.state == BookingState.REQUESTED
            and selectors.can_decide(user, booking),
            "can_cancel": booking.is_holding and selectors.can_cancel(user, booking),
            "needs_approval": selectors.needs_approval(booking.branch, booking.venue),
        },
    )


def booking_decide(request, pk):
    """The owner's side confirms or refuses a request."""
    booking = _booking_for_user(request, pk)
    if not selectors.can_decide(request.user, booking):
        raise PermissionDenied
    if booking.state != BookingState.REQUESTED:
        messages.info(request, _("This booking has been dealt with already."))
        return redirect("places:booking_detail", pk=booking.pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirm = form.cleaned_data["decision"] == "confirm"
        done = services.booking_decide(
            booking=booking,
            confirm=confirm,
            note=form.cleaned_data["note"],
            actor=request.user,
            request=request,
        )
        if not done:
            messages.info(request, _("This booking has been dealt with already."))
        elif confirm:
            messages.success(request, _("The booking is confirmed."))
        else:
            messages.success(request, _("The booking is refused."))
        return redirect("places:booking_detail", pk=booking.pk)
    return render(
        request,
        "places/booking_action.html",
        {"form": form, "booking": booking, "title": _("Confirm or refuse the booking")},
    )


def booking_cancel(request, pk):
    booking = _booking_for_user(request, pk)
    if not selectors.can_cancel(request.user, booking):
        raise PermissionDenied
    if not booking.is_holding:
        messages.info(request, _("This booking has been dealt with already."))
        return redirect("places:booking_detail", pk=booking.pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = services.booking_cancel(
            booking=booking, note=form.cleaned_data["note"], actor=request.user, request=request
        )
        if done:
            messages.success(request, _("The booking is cancelled: the time is free again."))
        else:
            messages.info(request, _("This booking has been dealt with already."))
        return redirect("places:booking_detail", pk=booking.pk)
    return render(
        request,
        "places/booking_action.html",
        {"form": form, "booking": booking, "title": _("Cancel the booking")},
    )


def bookings(request):
    """What waits for the user's decision, their branches' coming bookings, and the
    venues they may book."""
    scope = scope_for(request.user)
    if not (scope.has(RECORD_MEETING) or scope.has(APPROVE_BOOKINGS)):
        raise Http404
    return render(
        request,
        "places/bookings.html",
        {
            "waiting": list(selectors.bookings_waiting(request.user)[:100]),
            "mine": list(selectors.bookings_of_my_branches(request.user)[:100]),
            "venues": list(
                selectors.bookable_venues_for(request.user)
                .select_related("organization")
                .order_by("-accessible", "organization__path", "name")[:200]
            ),
        },
    )


def overview(request):
    """Use of the area's venues in a month, branches without a place, and how many
    meetings this year were held step-free."""
    scope = require_capability(request, VIEW_DASHBOARD)
    paths = scope.paths(VIEW_DASHBOARD)
    year, month = MonthForm(request.GET).year_month()
    today = timezone.localdate()
    use, unused = selectors.venue_use(paths, year=year, month=month)
    without = selectors.branches_without_venue(paths, today=today)
    first = datetime.date(year, month, 1)
    month_end = selectors.month_span(year, month)[1].date() - datetime.timedelta(days=1)
    previous = first - datetime.timedelta(days=1)
    return render(
        request,
        "places/overview.html",
        {
            "first": first,
            "use": use,
            "unused": unused,
            "without": list(without[:100]),
            "without_count": without.count(),
            "share": selectors.step_free_share(
                paths, start=datetime.date(year, 1, 1), end=min(month_end, today)
            ),
            "previous": f"{previous:%Y-%m}",
            "next": f"{month_end + datetime.timedelta(days=1):%Y-%m}",
        },
    )
