"""阵地: bookings of venues (the venue register itself is branches.models.Venue).

A booking holds a venue for a time span, for a meeting, an activity or a stated purpose,
made by a branch. Requested and confirmed bookings of one venue never overlap: on
PostgreSQL an exclusion constraint says so (migration 0001, added there and not here
because SQLite, the demo's database, has no such constraint); services check it first in
Python so the user reads which booking is in the way.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.care.models import Activity
from activities.meetings.models import Meeting
from branches.access import VIEW_STRUCTURE, ScopedQuerySet, scope_for
from branches.models import Branch, Venue

# The exclusion constraint of migration 0001 (PostgreSQL only).
NO_OVERLAP = "booking_no_overlap"


class BookingState(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    CONFIRMED = "confirmed", _("Confirmed")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


# The states that hold the venue: no two of them overlap on one venue.
HOLDING = (BookingState.REQUESTED, BookingState.CONFIRMED)


class VenueBookingQuerySet(ScopedQuerySet):
    """Bookings of the venues in one's area, and bookings made by one's branches."""

    def visible_to(self, user, capability: str | None = None):
        capability = capability or VIEW_STRUCTURE
        scope = scope_for(user)
        parts = [
            scope.q(capability, path_field="venue__organization__path"),
            scope.q(
                capability,
                path_field="branch__organization__path",
                branch_field="branch_id",
                branch_path_field="branch__organization__path",
            ),
        ]
        parts = [part for part in parts if part is not None]
        if not parts:
            return self.none()
        found = Q()
        for part in parts:
            found |= part
        return self.filter(found)

    def holding(self):
        return self.filter(state__in=HOLDING)

    def overlapping(self, *, venue_id: int, starts_at, ends_at):
        """Holding bookings of the venue that share some time with [starts_at, ends_at)."""
        return self.holding().filter(
            venue_id=venue_id, starts_at__lt=ends_at, ends_at__gt=starts_at
        )


class VenueBooking(models.Model):
    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.PROTECT, related_name="bookings"
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("booked for branch"),
        on_delete=models.PROTECT,
        related_name="venue_bookings",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # What for: a meeting, an activity, or the purpose in words (a 四方 meeting, later).
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="venue_bookings",
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="venue_bookings",
    )
    purpose = models.CharField(_("purpose"), max_length=120, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=BookingState.choices, default=BookingState.REQUESTED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("reason"), max_length=200, blank=True)
    # The key the booking form carried: a doubled POST finds its booking, not a clash.
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = VenueBookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("venue booking")
        verbose_name_plural = _("venue bookings")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["venue", "starts_at"], name="booking_venue_start_idx"),
            models.Index(
                fields=["state", "venue"],
                condition=Q(state="requested"),
                name="booking_waiting_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after_start"
            ),
        ]

    def __str__(self):
        start = timezone.localtime(self.starts_at)
        end = timezone.localtime(self.ends_at)
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {self.venue} · {self.branch}"

    @property
    def what_for(self) -> str:
        if self.meeting_id:
            return self.meeting.topic
        if self.activity_id:
            return self.activity.title
        return self.purpose

    @property
    def is_holding(self) -> bool:
        return self.state in HOLDING

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600
